// rpc::Client and CheckHealth against a real in-process server: every call has a deadline,
// and a target where nothing listens fails fast.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "echo_service.h"
#include "gofer/rpc/channel.h"
#include "gofer/testing/status.h"

namespace gofer::rpc {
namespace {

// A loopback port that was free a moment ago and has nothing listening on it.
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("NewContext sets the call's own timeout as its deadline") {
  Client client({.target = "127.0.0.1:1", .default_timeout = absl::Seconds(10)});
  const absl::Time before = absl::Now();
  auto context = client.NewContext({.timeout = absl::Seconds(3)});
  const absl::Time after = absl::Now();
  const absl::Time deadline = absl::FromChrono(context->deadline());
  CHECK(deadline >= before + absl::Seconds(3));
  CHECK(deadline <= after + absl::Seconds(3));
}

TEST_CASE("NewContext uses the client's default timeout when the call sets none") {
  Client client({.target = "127.0.0.1:1", .default_timeout = absl::Seconds(7)});
  const absl::Time before = absl::Now();
  auto context = client.NewContext();
  const absl::Time after = absl::Now();
  const absl::Time deadline = absl::FromChrono(context->deadline());
  CHECK(deadline >= before + absl::Seconds(7));
  CHECK(deadline <= after + absl::Seconds(7));
}

TEST_CASE("A call slower than its timeout fails DEADLINE_EXCEEDED") {
  EchoServer echo;
  Client client({.target = echo.address()});
  const EchoResult result =
      CallEcho(client, MakeRequest("slow", 5000), {.timeout = absl::Milliseconds(200)});
  CHECK(result.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_CASE("A call slower than the default timeout fails DEADLINE_EXCEEDED") {
  EchoServer echo;
  Client client({.target = echo.address(), .default_timeout = absl::Milliseconds(200)});
  const EchoResult result = CallEcho(client, MakeRequest("slow", 5000));
  CHECK(result.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_CASE("A call within its timeout succeeds") {
  EchoServer echo;
  Client client({.target = echo.address(), .default_timeout = absl::Seconds(20)});
  const EchoResult result = CallEcho(client, MakeRequest("quick", 10));
  REQUIRE(result.status.ok());
  CHECK(result.response.message() == "quick");
}

TEST_CASE("A response over the client's max_receive_message_bytes fails RESOURCE_EXHAUSTED") {
  EchoServer echo;
  Client client({.target = echo.address(), .max_receive_message_bytes = 64 * 1024});
  const EchoResult result = CallEcho(client, MakeRequest(std::string(100 * 1024, 'x')));
  CHECK(result.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(echo.service().finished() == 1);  // the server answered; the client refused it
}

TEST_CASE("CheckHealth fails UNAVAILABLE where nothing listens") {
  // Connection refused fails a call that is not wait-for-ready at once with UNAVAILABLE; the
  // timeout is only a safety net.
  const std::string target = absl::StrCat("127.0.0.1:", UnusedPort());
  const auto health = CheckHealth(target, "", absl::Seconds(10));
  INFO(health.status());
  CHECK(health.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace gofer::rpc
