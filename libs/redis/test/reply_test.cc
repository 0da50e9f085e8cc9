// Error-reply mapping and address parsing: pure functions, no server.
#include "gofer/redis/reply.h"

#include <catch2/catch.hpp>

#include <string>

#include "gofer/common/errors.h"
#include "gofer/redis/client.h"
#include "gofer/testing/status.h"

namespace gofer::redis {

TEST_CASE("Redis error replies map to canonical codes by their first word") {
  struct Case {
    const char* text;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"NOSCRIPT No matching script. Please use EVAL.", absl::StatusCode::kNotFound},
      {"WRONGTYPE Operation against a key holding the wrong kind of value",
       absl::StatusCode::kFailedPrecondition},
      {"OOM command not allowed when used memory > 'maxmemory'.",
       absl::StatusCode::kResourceExhausted},
      {"LOADING Redis is loading the dataset in memory", absl::StatusCode::kUnavailable},
      {"BUSY Redis is busy running a script.", absl::StatusCode::kUnavailable},
      {"MASTERDOWN Link with MASTER is down", absl::StatusCode::kUnavailable},
      {"READONLY You can't write against a read only replica.", absl::StatusCode::kUnavailable},
      {"TRYAGAIN Multiple keys request during rehashing of slot", absl::StatusCode::kUnavailable},
      {"CLUSTERDOWN The cluster is down", absl::StatusCode::kUnavailable},
      {"NOAUTH Authentication required.", absl::StatusCode::kUnavailable},
      {"WRONGPASS invalid username-password pair", absl::StatusCode::kUnavailable},
      {"ERR unknown command 'FOO'", absl::StatusCode::kInternal},
      {"ERR Error running script (call to f_abc): @user_script:1: boom",
       absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(StatusFromErrorReply(c.text).code() == c.code);
  }
}

TEST_CASE("A bare error word without a message still maps by that word") {
  GOFER_REQUIRE_CODE(StatusFromErrorReply("NOSCRIPT"), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(StatusFromErrorReply("LOADING"), absl::StatusCode::kUnavailable);
}

TEST_CASE("Only the whole first word selects the mapping") {
  // "OOMPH" and "NOSCRIPTS" are not OOM or NOSCRIPT.
  GOFER_REQUIRE_CODE(StatusFromErrorReply("OOMPH not really"), absl::StatusCode::kInternal);
  GOFER_REQUIRE_CODE(StatusFromErrorReply("NOSCRIPTS nope"), absl::StatusCode::kInternal);
  GOFER_REQUIRE_CODE(StatusFromErrorReply("ERR WRONGTYPE later"), absl::StatusCode::kInternal);
}

TEST_CASE("The error reply's message is the server text prefixed with redis:") {
  const absl::Status s = StatusFromErrorReply("WRONGTYPE Operation against a key");
  CHECK(std::string(s.message()) == "redis: WRONGTYPE Operation against a key");
}

TEST_CASE("Unavailable and overload error replies carry an ErrorInfo reason") {
  CHECK(GetErrorDetails(StatusFromErrorReply("LOADING ...")).reason ==
        ErrorReasonName(ErrorReason::kDependencyUnavailable));
  CHECK(GetErrorDetails(StatusFromErrorReply("OOM ...")).reason ==
        ErrorReasonName(ErrorReason::kOverloaded));
}

TEST_CASE("ParseAddress reads host:port") {
  Options options;
  options.unix_socket = "/stale.sock";
  GOFER_REQUIRE_OK(ParseAddress("127.0.0.1:6379", &options));
  CHECK(options.host == "127.0.0.1");
  CHECK(options.port == 6379);
  CHECK(options.unix_socket.empty());
}

TEST_CASE("ParseAddress reads a host name and the highest port") {
  Options options;
  GOFER_REQUIRE_OK(ParseAddress("redis.internal:65535", &options));
  CHECK(options.host == "redis.internal");
  CHECK(options.port == 65535);
}

TEST_CASE("ParseAddress reads unix:/path as a unix socket") {
  Options options;
  GOFER_REQUIRE_OK(ParseAddress("unix:/tmp/r.sock", &options));
  CHECK(options.unix_socket == "/tmp/r.sock");
}

TEST_CASE("ParseAddress rejects addresses without a host or a valid port") {
  for (const char* bad : {"nohost", ":1", "h:0", "h:70000", "h:abc", "h:", "h:-1", "unix:"}) {
    INFO(bad);
    Options options;
    GOFER_REQUIRE_CODE(ParseAddress(bad, &options), absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("ParseAddress leaves the options untouched when it fails") {
  Options options;
  options.host = "keep";
  options.port = 1234;
  GOFER_REQUIRE_CODE(ParseAddress("h:abc", &options), absl::StatusCode::kInvalidArgument);
  CHECK(options.host == "keep");
  CHECK(options.port == 1234);
}

}  // namespace gofer::redis
