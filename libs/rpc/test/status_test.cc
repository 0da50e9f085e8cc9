// absl::Status ⇄ grpc::Status: codes map one to one, and payloads (ErrorInfo, BadRequest)
// travel in the google.rpc.Status details and come back unchanged.
#include "gofer/rpc/status.h"
#include "gofer/rpc/proto_time.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gofer/common/errors.h"

namespace gofer::rpc {
namespace {

// Every canonical code but OK, paired by name on both sides.
const std::vector<std::pair<absl::StatusCode, grpc::StatusCode>>& ErrorCodes() {
  static const auto* const kCodes = new std::vector<std::pair<absl::StatusCode, grpc::StatusCode>>{
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
  };
  return *kCodes;
}

}  // namespace

TEST_CASE("An invalid-argument error keeps its code, message and details across the round trip") {
  const absl::Status original = InvalidArgumentError(
      {{"pipeline_id", "must not be empty"}, {"config.tasks[2].image", "is required"}});

  const grpc::Status wire = ToGrpcStatus(original);
  CHECK(wire.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(wire.error_message() == original.message());
  CHECK_FALSE(wire.error_details().empty());

  const absl::Status back = FromGrpcStatus(wire);
  CHECK(back.code() == absl::StatusCode::kInvalidArgument);
  CHECK(back.message() == original.message());
  CHECK(GetFieldViolations(back) == GetFieldViolations(original));
  REQUIRE(GetFieldViolations(back).size() == 2);
  const ErrorDetails before = GetErrorDetails(original);
  const ErrorDetails after = GetErrorDetails(back);
  CHECK(after.reason == "INVALID_FIELD");
  CHECK(after.reason == before.reason);
  CHECK(after.metadata == before.metadata);
}

TEST_CASE("ErrorInfo metadata survives the round trip") {
  const absl::Status original =
      WithErrorInfo(absl::UnavailableError("postgres is down"), ErrorReason::kDependencyUnavailable,
                    {{"dependency", "postgres"}, {"replica", "r1"}});
  const absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
  CHECK(back == original);
  const ErrorDetails details = GetErrorDetails(back);
  CHECK(details.reason == "DEPENDENCY_UNAVAILABLE");
  CHECK(details.metadata ==
        std::map<std::string, std::string>{{"dependency", "postgres"}, {"replica", "r1"}});
}

TEST_CASE("OK maps to OK in both directions") {
  CHECK(ToGrpcStatus(absl::OkStatus()).ok());
  CHECK(ToGrpcStatus(absl::OkStatus()).error_details().empty());
  CHECK(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST_CASE("A status without payloads is sent without error details") {
  const grpc::Status wire = ToGrpcStatus(absl::NotFoundError("no such run"));
  CHECK(wire.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(wire.error_message() == "no such run");
  CHECK(wire.error_details().empty());

  const absl::Status back = FromGrpcStatus(wire);
  CHECK(back == absl::NotFoundError("no such run"));
  CHECK(GetErrorDetails(back).reason.empty());
}

TEST_CASE("Unparsable error details from the wire are ignored, keeping code and message") {
  const grpc::Status wire(grpc::StatusCode::INTERNAL, "boom", "\xff\xff not a proto");
  const absl::Status back = FromGrpcStatus(wire);
  CHECK(back.code() == absl::StatusCode::kInternal);
  CHECK(back.message() == "boom");
  CHECK(GetErrorDetails(back).reason.empty());
}

TEST_CASE("Every canonical code maps to the gRPC code of the same name and back") {
  REQUIRE(ErrorCodes().size() == 16);
  for (const auto& [absl_code, grpc_code] : ErrorCodes()) {
    INFO("code " << absl::StatusCodeToString(absl_code));
    const grpc::Status wire = ToGrpcStatus(absl::Status(absl_code, "message"));
    CHECK(wire.error_code() == grpc_code);
    CHECK(wire.error_message() == "message");
    CHECK(FromGrpcStatus(grpc::Status(grpc_code, "message")) == absl::Status(absl_code, "message"));
  }
}

}  // namespace gofer::rpc

namespace gofer::rpc {
namespace {

TEST_CASE("Times convert to Timestamps and back, before and after 1970") {
  for (const absl::Time t : {absl::FromUnixNanos(1767225600123456789),
                             absl::FromUnixNanos(-1500000000), absl::UnixEpoch()}) {
    google::protobuf::Timestamp ts;
    ToTimestamp(t, &ts);
    CHECK(ts.nanos() >= 0);
    CHECK(ts.nanos() < 1000000000);
    CHECK(FromTimestamp(ts) == t);
  }
}

}  // namespace
}  // namespace gofer::rpc
