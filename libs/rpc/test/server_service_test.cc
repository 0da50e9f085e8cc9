// rpc::Server and rpc::Runtime with a real in-process server on loopback: health, reflection,
// request ids, the internal credential, caller forwarding, error details on the wire,
// overload, message size limits and the graceful drain.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "echo_service.h"
#include "gofer/common/errors.h"
#include "gofer/rpc/channel.h"
#include "gofer/rpc/server.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"

namespace gofer::rpc {
namespace {

using gofer::testing::Eventually;
using gofer::testing::v1::EchoRequest;
using gofer::testing::v1::EchoResponse;

constexpr absl::Duration kHealthTimeout = absl::Seconds(5);

// The raw bytes of a grpc.reflection.v1alpha ListServices answer (service names appear in them
// as plain strings). The reflection protos and ProtoReflectionDescriptorDatabase are not
// installed, so the request is hand-encoded: ServerReflectionRequest field 7 (list_services).
std::string ListServicesRaw(const std::string& target) {
  Client client({.target = target});
  grpc::GenericStub stub(client.channel());
  grpc::CompletionQueue cq;
  auto context = client.NewContext({.timeout = absl::Seconds(10)});
  auto call = stub.PrepareCall(
      context.get(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](intptr_t expected) {
    REQUIRE(cq.Next(&tag, &ok));
    REQUIRE(reinterpret_cast<intptr_t>(tag) == expected);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  REQUIRE(step(1));
  const std::string request("\x3a\x01*", 3);
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  call->Write(request_buffer, reinterpret_cast<void*>(2));
  REQUIRE(step(2));
  grpc::ByteBuffer response_buffer;
  call->Read(&response_buffer, reinterpret_cast<void*>(3));
  REQUIRE(step(3));
  call->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  REQUIRE(status.ok());
  std::vector<grpc::Slice> slices;
  REQUIRE(response_buffer.Dump(&slices).ok());
  std::string raw;
  for (const grpc::Slice& s : slices) {
    raw.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return raw;
}

}  // namespace

TEST_CASE("Health reports SERVING for the server and its configured services") {
  EchoServer echo;
  auto whole = CheckHealth(echo.address(), "", kHealthTimeout);
  GOFER_REQUIRE_OK(whole);
  CHECK(*whole == "SERVING");
  auto named = CheckHealth(echo.address(), kEchoServiceName, kHealthTimeout);
  GOFER_REQUIRE_OK(named);
  CHECK(*named == "SERVING");
}

TEST_CASE("Health answers NOT_FOUND for a service name it does not know") {
  EchoServer echo;
  const auto health = CheckHealth(echo.address(), "no.such.Service", kHealthTimeout);
  INFO(health.status());
  CHECK(health.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("SetServing(false) makes health report NOT_SERVING until set back") {
  EchoServer echo;
  echo.server().SetServing(false);
  CHECK(*CheckHealth(echo.address(), "", kHealthTimeout) == "NOT_SERVING");
  CHECK(*CheckHealth(echo.address(), kEchoServiceName, kHealthTimeout) == "NOT_SERVING");
  echo.server().SetServing(true);
  CHECK(*CheckHealth(echo.address(), kEchoServiceName, kHealthTimeout) == "SERVING");
}

TEST_CASE("After Shutdown the port no longer answers") {
  EchoServer echo;
  const std::string address = echo.address();
  GOFER_REQUIRE_OK(CheckHealth(address, "", kHealthTimeout));
  echo.server().Shutdown();
  const auto after = CheckHealth(address, "", absl::Seconds(2));
  INFO(after.status().ToString());
  CHECK_FALSE(after.ok());
}

TEST_CASE("Server::Start rejects a listen address without a port") {
  Runtime runtime({});
  EchoService service(runtime);
  const auto server = Server::Start({.listen_address = "localhost"}, {&service});
  INFO(server.status());
  CHECK(server.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Server::Start fails UNAVAILABLE on a port another server listens on") {
  EchoServer first;
  EchoService service(first.runtime());
  auto second = Server::Start({.listen_address = first.address()}, {&service});
  // SO_REUSEPORT would let both bind and silently split the traffic between them.
  INFO(second.status());
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("Server::Start rejects a listen address whose port is not a number") {
  Runtime runtime({});
  EchoService service(runtime);
  const auto server = Server::Start({.listen_address = "127.0.0.1:notaport"}, {&service});
  INFO(server.status());
  CHECK(server.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Reflection lists the registered services") {
  EchoServer echo;
  const std::string raw = ListServicesRaw(echo.address());
  CHECK(raw.find(kEchoServiceName) != std::string::npos);
  CHECK(raw.find("grpc.health.v1.Health") != std::string::npos);
}

TEST_CASE("The server assigns a request id when the client sends none") {
  EchoServer echo;
  Client client({.target = echo.address()});
  const EchoResult result = CallEcho(client, MakeRequest("hi"));
  REQUIRE(result.status.ok());
  CHECK(result.response.message() == "hi");
  CHECK_FALSE(result.request_id_header.empty());
  CHECK(result.response.request_id() == result.request_id_header);
  // Each call gets its own.
  CHECK(CallEcho(client, MakeRequest("again")).request_id_header != result.request_id_header);
}

TEST_CASE("The server keeps the client's request id and returns it") {
  EchoServer echo;
  Client client({.target = echo.address()});
  const EchoResult result = CallEcho(client, MakeRequest("hi"), {.request_id = "req-42"});
  REQUIRE(result.status.ok());
  CHECK(result.request_id_header == "req-42");
  CHECK(result.response.request_id() == "req-42");
}

TEST_CASE("An overlong client request id is cut to 128 characters, the same for the handler") {
  EchoServer echo;
  Client client({.target = echo.address()});
  const std::string long_id(200, 'r');
  const EchoResult result = CallEcho(client, MakeRequest("hi"), {.request_id = long_id});
  REQUIRE(result.status.ok());
  CHECK(result.request_id_header == long_id.substr(0, 128));
  CHECK(result.response.request_id() == result.request_id_header);
}

TEST_CASE("An empty client request id is replaced by a generated one, the same for the handler") {
  EchoServer echo;
  Client client({.target = echo.address()});
  auto stub = gofer::testing::v1::Echo::NewStub(client.channel());
  auto context = client.NewContext();
  context->AddMetadata(kRequestIdHeader, "");
  EchoResponse response;
  REQUIRE(stub->Echo(context.get(), MakeRequest("hi"), &response).ok());
  const auto& md = context->GetServerInitialMetadata();
  const auto it = md.find(kRequestIdHeader);
  REQUIRE(it != md.end());
  const std::string header(it->second.data(), it->second.size());
  CHECK_FALSE(header.empty());
  CHECK(response.request_id() == header);
}

TEST_CASE("A call without the internal credential fails UNAUTHENTICATED before its work runs") {
  EchoServer echo({.internal_credential = "s3cret"});
  Client client({.target = echo.address()});
  const EchoResult result = CallEcho(client, MakeRequest("hi"));
  CHECK(result.status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(GetErrorDetails(FromGrpcStatus(result.status)).reason == "UNAUTHENTICATED");
  CHECK(echo.service().started() == 0);
}

TEST_CASE("A call with a wrong internal credential fails UNAUTHENTICATED") {
  EchoServer echo({.internal_credential = "s3cret"});
  for (const std::string wrong : {"s3cre", "s3cret!", "S3CRET", ""}) {
    INFO("credential '" << wrong << "'");
    Client client({.target = echo.address(), .internal_credential = wrong});
    const EchoResult result = CallEcho(client, MakeRequest("hi"));
    CHECK(result.status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK(GetErrorDetails(FromGrpcStatus(result.status)).reason == "UNAUTHENTICATED");
  }
  CHECK(echo.service().started() == 0);
}

TEST_CASE("A call with the right internal credential succeeds") {
  EchoServer echo({.internal_credential = "s3cret"});
  Client client({.target = echo.address(), .internal_credential = "s3cret"});
  const EchoResult result = CallEcho(client, MakeRequest("hi"));
  REQUIRE(result.status.ok());
  CHECK(result.response.message() == "hi");
}

TEST_CASE("Health stays reachable without the internal credential") {
  EchoServer echo({.internal_credential = "s3cret"});
  auto health = CheckHealth(echo.address(), kEchoServiceName, kHealthTimeout);
  GOFER_REQUIRE_OK(health);
  CHECK(*health == "SERVING");
}

TEST_CASE("The caller identity is forwarded to the handler") {
  EchoServer echo;
  Client client({.target = echo.address()});
  CHECK(CallEcho(client, MakeRequest("hi"), {.caller = "token:alice"}).response.caller() ==
        "token:alice");
  const EchoResult anonymous = CallEcho(client, MakeRequest("hi"));
  REQUIRE(anonymous.status.ok());
  CHECK(anonymous.response.caller().empty());
}

TEST_CASE("Field violations cross the wire with INVALID_ARGUMENT") {
  EchoServer echo;
  Client client({.target = echo.address()});
  EchoRequest request = MakeRequest("is wrong", 0, 3);
  request.add_bad_fields("pipeline_id");
  request.add_bad_fields("config.tasks[0].image");
  const EchoResult result = CallEcho(client, request);
  REQUIRE(result.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  const absl::Status status = FromGrpcStatus(result.status);
  CHECK(GetFieldViolations(status) ==
        std::vector<FieldViolation>{{"pipeline_id", "is wrong"},
                                    {"config.tasks[0].image", "is wrong"}});
  CHECK(GetErrorDetails(status).reason == "INVALID_FIELD");
}

TEST_CASE("A handler's error code and message reach the client") {
  EchoServer echo;
  Client client({.target = echo.address()});
  const EchoResult result = CallEcho(client, MakeRequest("run is finished", 0, 9));
  CHECK(result.status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(result.status.error_message() == "run is finished");
  CHECK_FALSE(result.request_id_header.empty());
}

TEST_CASE("A call fails RESOURCE_EXHAUSTED with reason OVERLOADED when the executor is full") {
  EchoServer echo({.executor_threads = 1, .executor_queue = 0});
  Client client({.target = echo.address()});
  auto stub = gofer::testing::v1::Echo::NewStub(client.channel());
  auto context = client.NewContext();
  const EchoRequest slow = MakeRequest("slow", 3000);
  EchoResponse slow_response;
  grpc::Status slow_status;
  absl::Notification slow_done;
  stub->async()->Echo(context.get(), &slow, &slow_response, [&](grpc::Status s) {
    slow_status = std::move(s);
    slow_done.Notify();
  });
  REQUIRE(Eventually([&] { return echo.runtime().executor().running() == 1; }));

  const EchoResult rejected = CallEcho(client, MakeRequest("fast"));
  CHECK(rejected.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(GetErrorDetails(FromGrpcStatus(rejected.status)).reason == "OVERLOADED");

  slow_done.WaitForNotification();
  CHECK(slow_status.ok());
  CHECK(slow_response.message() == "slow");
  CHECK(echo.service().started() == 1);
}

TEST_CASE("A request larger than max_receive_message_bytes fails before any handler runs") {
  EchoServer echo({}, {.max_receive_message_bytes = 64 * 1024});
  Client client({.target = echo.address()});
  const EchoResult result = CallEcho(client, MakeRequest(std::string(100 * 1024, 'x')));
  CHECK(result.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(echo.service().calls() == 0);
  // A request under the limit still goes through.
  CHECK(CallEcho(client, MakeRequest(std::string(32 * 1024, 'x'))).status.ok());
}

TEST_CASE("Shutdown lets an in-flight call finish before it returns") {
  EchoServer echo({}, {.drain_timeout = absl::Seconds(10)});
  Client client({.target = echo.address()});
  EchoResult result;
  std::thread call([&] { result = CallEcho(client, MakeRequest("drained", 500)); });
  REQUIRE(Eventually([&] { return echo.service().started() == 1; }));

  echo.server().Shutdown();
  CHECK(echo.service().finished() == 1);  // Shutdown returned after the work ended
  call.join();
  CHECK(result.status.ok());
  CHECK(result.response.message() == "drained");
}

TEST_CASE("Shutdown cancels a call still running when the drain timeout passes") {
  EchoServer echo({}, {.drain_timeout = absl::Milliseconds(100)});
  Client client({.target = echo.address()});
  EchoResult result;
  std::thread call([&] {
    result = CallEcho(client, MakeRequest("too slow", 3000), {.timeout = absl::Seconds(30)});
  });
  REQUIRE(Eventually([&] { return echo.service().started() == 1; }));

  echo.server().Shutdown();
  // The cancelled work has returned: nothing touches the call after Shutdown.
  CHECK(echo.service().finished() == 1);
  call.join();
  INFO("code " << result.status.error_code() << ": " << result.status.error_message());
  CHECK_FALSE(result.status.ok());
}

}  // namespace gofer::rpc
