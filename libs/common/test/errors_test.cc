#include "gofer/common/errors.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gofer/v1/errors.pb.h"
#include "google/rpc/error_details.pb.h"

namespace {

using Metadata = std::map<std::string, std::string>;

// The raw ErrorInfo payload, as libs/rpc puts it on the wire.
google::rpc::ErrorInfo RawErrorInfo(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  const auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  REQUIRE(payload.has_value());
  REQUIRE(info.ParseFromString(std::string(*payload)));
  return info;
}

}  // namespace

TEST_CASE("InvalidArgumentError lists every violation in its message") {
  const absl::Status s =
      gofer::InvalidArgumentError({{"a", "x"}, {"config.tasks[2].image", "is required"}});
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() == "invalid request: a: x; config.tasks[2].image: is required");
}

TEST_CASE("InvalidArgumentError carries the violations as a BadRequest payload") {
  const std::vector<gofer::FieldViolation> violations = {
      {"namespace_id", "must start with a lowercase letter"},
      {"key", "is required"},
      {"page_size", "must be at most 1000"},
  };
  const absl::Status s = gofer::InvalidArgumentError(violations);
  const std::vector<gofer::FieldViolation> got = gofer::GetFieldViolations(s);
  REQUIRE(got.size() == violations.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].field == violations[i].field);
    CHECK(got[i].description == violations[i].description);
  }
}

TEST_CASE("InvalidArgumentError has reason INVALID_FIELD in domain gofer.dev") {
  const absl::Status s = gofer::InvalidArgumentError({{"a", "x"}});
  const gofer::ErrorDetails details = gofer::GetErrorDetails(s);
  CHECK(details.reason == "INVALID_FIELD");
  CHECK(details.metadata.empty());
  CHECK(RawErrorInfo(s).domain() == "gofer.dev");
  CHECK(RawErrorInfo(s).reason() == "INVALID_FIELD");
}

TEST_CASE("NotFoundError names the resource and its parents") {
  const absl::Status s = gofer::NotFoundError("pipeline", "build", {{"namespace_id", "prod"}});
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(s.message() == "pipeline 'build' not found in namespace 'prod'");
  const gofer::ErrorDetails details = gofer::GetErrorDetails(s);
  CHECK(details.reason == "RESOURCE_NOT_FOUND");
  CHECK(details.metadata ==
        Metadata{{"resource", "pipeline"}, {"id", "build"}, {"namespace_id", "prod"}});
  CHECK(gofer::GetFieldViolations(s).empty());
}

TEST_CASE("NotFoundError joins several parents with commas") {
  const absl::Status s =
      gofer::NotFoundError("run", "7", {{"namespace_id", "prod"}, {"pipeline_id", "build"}});
  CHECK(s.message() == "run '7' not found in namespace 'prod', pipeline 'build'");
  CHECK(gofer::GetErrorDetails(s).metadata.at("pipeline_id") == "build");
}

TEST_CASE("NotFoundError without parents has a short message") {
  const absl::Status s = gofer::NotFoundError("namespace", "prod");
  CHECK(s.message() == "namespace 'prod' not found");
  CHECK(gofer::GetErrorDetails(s).metadata == Metadata{{"resource", "namespace"}, {"id", "prod"}});
}

TEST_CASE("NotFoundError for a missing parent has reason PARENT_NOT_FOUND") {
  const absl::Status s = gofer::NotFoundError("namespace", "prod", {}, /*parent=*/true);
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(gofer::GetErrorDetails(s).reason == "PARENT_NOT_FOUND");
  CHECK(RawErrorInfo(s).domain() == "gofer.dev");
}

TEST_CASE("AlreadyExistsError names the resource with reason RESOURCE_EXISTS") {
  const absl::Status s = gofer::AlreadyExistsError("pipeline", "build");
  CHECK(s.code() == absl::StatusCode::kAlreadyExists);
  CHECK(s.message() == "pipeline 'build' already exists");
  const gofer::ErrorDetails details = gofer::GetErrorDetails(s);
  CHECK(details.reason == "RESOURCE_EXISTS");
  CHECK(details.metadata == Metadata{{"resource", "pipeline"}, {"id", "build"}});
}

TEST_CASE("WithErrorInfo leaves an OK status OK and without payload") {
  const absl::Status s = gofer::WithErrorInfo(absl::OkStatus(), gofer::ErrorReason::kInternalError,
                                              {{"error_id", "e-1"}});
  CHECK(s.ok());
  CHECK(gofer::GetErrorDetails(s).reason.empty());
}

TEST_CASE("WithErrorInfo keeps code and message and replaces an earlier ErrorInfo") {
  absl::Status s =
      gofer::WithErrorInfo(absl::UnavailableError("redis down"),
                           gofer::ErrorReason::kDependencyUnavailable, {{"dependency", "redis"}});
  CHECK(gofer::GetErrorDetails(s).reason == "DEPENDENCY_UNAVAILABLE");
  s = gofer::WithErrorInfo(s, gofer::ErrorReason::kOverloaded);
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK(s.message() == "redis down");
  const gofer::ErrorDetails details = gofer::GetErrorDetails(s);
  CHECK(details.reason == "OVERLOADED");
  CHECK(details.metadata.empty());
}

TEST_CASE("GetErrorDetails and GetFieldViolations are empty for a plain status") {
  const absl::Status s = absl::InternalError("boom");
  CHECK(gofer::GetErrorDetails(s).reason.empty());
  CHECK(gofer::GetErrorDetails(s).metadata.empty());
  CHECK(gofer::GetFieldViolations(s).empty());
}

TEST_CASE("Every ErrorReason has the name of the proto ErrorReason with the next number") {
  const int last = static_cast<int>(gofer::ErrorReason::kRunsPaused);
  for (int i = 0; i <= last; ++i) {
    const auto reason = static_cast<gofer::ErrorReason>(i);
    INFO("ErrorReason ordinal " << i);
    REQUIRE(gofer::v1::ErrorReason_IsValid(i + 1));
    const std::string proto_name =
        gofer::v1::ErrorReason_Name(static_cast<gofer::v1::ErrorReason>(i + 1));
    CHECK(std::string(gofer::ErrorReasonName(reason)) == proto_name);
  }
}

TEST_CASE("The proto ErrorReason has exactly the C++ values plus UNSPECIFIED") {
  const int cpp_values = static_cast<int>(gofer::ErrorReason::kRunsPaused) + 1;
  CHECK(gofer::v1::ErrorReason_descriptor()->value_count() == cpp_values + 1);
  CHECK(gofer::v1::ErrorReason_Name(gofer::v1::ERROR_REASON_UNSPECIFIED) ==
        "ERROR_REASON_UNSPECIFIED");
}
