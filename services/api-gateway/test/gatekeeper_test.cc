// The gateway's error policy (Gatekeeper::Sanitize) as logic: internal errors leave as an opaque
// error id; every other error passes unchanged. No server or database is contacted.
#include "gatekeeper.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "gofer/common/errors.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway {
namespace {

// A pool that is never used: Create validates the options but does not connect.
std::unique_ptr<pg::Pool> UnusedPool() {
  auto pool = pg::Pool::Create({.dsn = "postgresql://nobody@127.0.0.1:1/none", .size = 1});
  REQUIRE(pool.ok());
  return *std::move(pool);
}

// A Gatekeeper whose store is never used.
struct SanitizeTest {
  std::unique_ptr<pg::Pool> pool = UnusedPool();
  events::Outbox outbox;
  FakeClock clock;
  SequentialIdGenerator ids;
  AccessStore access{*pool, outbox, clock, ids};
  rpc::Runtime runtime{rpc::RuntimeOptions{.executor_threads = 1}};
  Gatekeeper gate{access, runtime, /*dev_no_auth=*/false};

  ~SanitizeTest() { runtime.Shutdown(); }
};

}  // namespace

TEST_CASE("Sanitize replaces an internal error's detail by an opaque error id") {
  SanitizeTest t;
  for (absl::Status internal :
       {absl::InternalError("postgres: relation \"tokens\" does not exist"),
        absl::UnknownError("postgres: relation \"tokens\" does not exist"),
        absl::DataLossError("postgres: relation \"tokens\" does not exist")}) {
    const absl::Status out = t.gate.Sanitize(internal, "GetToken");
    INFO(out.ToString());
    CHECK(out.code() == internal.code());
    CHECK_THAT(std::string(out.message()), !Catch::Contains("tokens"));
    CHECK_THAT(std::string(out.message()), Catch::StartsWith("internal error "));
    const ErrorDetails details = GetErrorDetails(out);
    CHECK(details.reason == "INTERNAL_ERROR");
    REQUIRE(details.metadata.count("error_id") == 1);
    CHECK_THAT(std::string(out.message()), Catch::Contains(details.metadata.at("error_id")));
  }
}

TEST_CASE("Sanitize gives every internal error an id of its own") {
  SanitizeTest t;
  const absl::Status a = t.gate.Sanitize(absl::InternalError("boom"), "A");
  const absl::Status b = t.gate.Sanitize(absl::InternalError("boom"), "A");
  CHECK(GetErrorDetails(a).metadata.at("error_id") != GetErrorDetails(b).metadata.at("error_id"));
}

TEST_CASE("Sanitize passes OK and client-facing errors through unchanged") {
  SanitizeTest t;
  CHECK(t.gate.Sanitize(absl::OkStatus(), "M").ok());
  for (const absl::Status& status :
       {NotFoundError("namespace", "prod"), AlreadyExistsError("role", "ops"),
        InvalidArgumentError({{"id", "must be 3-64 characters"}}),
        absl::PermissionDeniedError("not allowed"), absl::UnauthenticatedError("no token"),
        WithErrorInfo(absl::UnavailableError("server is at capacity"), ErrorReason::kOverloaded),
        absl::FailedPreconditionError("in use")}) {
    INFO(status.ToString());
    CHECK(t.gate.Sanitize(status, "M") == status);
  }
}

TEST_CASE("Sanitize hides where an unreachable dependency lives, behind an error id") {
  SanitizeTest t;
  const absl::Status s =
      t.gate.Sanitize(absl::UnavailableError("failed to connect to 10.0.3.7:7002"), "M");
  CHECK(absl::IsUnavailable(s));
  CHECK(std::string(s.message()).find("10.0.3.7") == std::string::npos);
  CHECK(std::string(s.message()).find("unavailable; retry later") != std::string::npos);
  const ErrorDetails details = GetErrorDetails(s);
  CHECK(details.reason == "DEPENDENCY_UNAVAILABLE");
  CHECK(std::string(s.message()).find(details.metadata.at("error_id")) != std::string::npos);
}

}  // namespace gofer::api_gateway
