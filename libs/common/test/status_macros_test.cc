#include "gofer/common/status_macros.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace {

// Counts calls so tests can see whether code after a macro ran, and how often an expression
// was evaluated.
struct Trace {
  int evaluated = 0;
  int reached_end = 0;
};

absl::Status Check(Trace& trace, absl::Status result) {
  GOFER_RETURN_IF_ERROR((++trace.evaluated, result));
  ++trace.reached_end;
  return absl::OkStatus();
}

absl::StatusOr<int> CheckInStatusOr(absl::Status result) {
  GOFER_RETURN_IF_ERROR(result);
  return 7;
}

absl::StatusOr<int> Parse(bool ok, int value) {
  if (!ok) {
    return absl::NotFoundError("no value");
  }
  return value;
}

absl::StatusOr<std::unique_ptr<std::string>> MakeBox(bool ok, std::string text) {
  if (!ok) {
    return absl::UnavailableError("no box");
  }
  return std::make_unique<std::string>(std::move(text));
}

absl::Status AssignExisting(Trace& trace, bool ok, int* out) {
  int value = -1;
  GOFER_ASSIGN_OR_RETURN(value, (++trace.evaluated, Parse(ok, 42)));
  ++trace.reached_end;
  *out = value;
  return absl::OkStatus();
}

absl::StatusOr<int> SumWithDeclarations(bool first_ok, bool second_ok) {
  GOFER_ASSIGN_OR_RETURN(int a, Parse(first_ok, 40));
  GOFER_ASSIGN_OR_RETURN(const int b, Parse(second_ok, 2));
  return a + b;
}

absl::StatusOr<std::string> Unbox(bool ok) {
  GOFER_ASSIGN_OR_RETURN(std::unique_ptr<std::string> box, MakeBox(ok, "inside"));
  return *box;
}

}  // namespace

TEST_CASE("GOFER_RETURN_IF_ERROR continues past an OK status") {
  Trace trace;
  REQUIRE(Check(trace, absl::OkStatus()).ok());
  CHECK(trace.evaluated == 1);
  CHECK(trace.reached_end == 1);
}

TEST_CASE("GOFER_RETURN_IF_ERROR returns the error unchanged and skips the rest") {
  Trace trace;
  const absl::Status s = Check(trace, absl::FailedPreconditionError("paused"));
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message() == "paused");
  CHECK(trace.evaluated == 1);
  CHECK(trace.reached_end == 0);
}

TEST_CASE("GOFER_RETURN_IF_ERROR works in a function returning StatusOr") {
  CHECK(CheckInStatusOr(absl::OkStatus()).value() == 7);
  const absl::StatusOr<int> failed = CheckInStatusOr(absl::AbortedError("conflict"));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == absl::StatusCode::kAborted);
  CHECK(failed.status().message() == "conflict");
}

TEST_CASE("GOFER_ASSIGN_OR_RETURN assigns to an existing variable on OK") {
  Trace trace;
  int out = 0;
  REQUIRE(AssignExisting(trace, true, &out).ok());
  CHECK(out == 42);
  CHECK(trace.evaluated == 1);
  CHECK(trace.reached_end == 1);
}

TEST_CASE("GOFER_ASSIGN_OR_RETURN propagates the error and leaves the target untouched") {
  Trace trace;
  int out = 0;
  const absl::Status s = AssignExisting(trace, false, &out);
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(s.message() == "no value");
  CHECK(out == 0);
  CHECK(trace.evaluated == 1);
  CHECK(trace.reached_end == 0);
}

TEST_CASE("GOFER_ASSIGN_OR_RETURN declares variables, twice in one function") {
  CHECK(SumWithDeclarations(true, true).value() == 42);
  const absl::StatusOr<int> first = SumWithDeclarations(false, true);
  REQUIRE_FALSE(first.ok());
  CHECK(first.status().code() == absl::StatusCode::kNotFound);
  const absl::StatusOr<int> second = SumWithDeclarations(true, false);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("GOFER_ASSIGN_OR_RETURN moves a move-only value out of the StatusOr") {
  CHECK(Unbox(true).value() == "inside");
  const absl::StatusOr<std::string> failed = Unbox(false);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == absl::StatusCode::kUnavailable);
  CHECK(failed.status().message() == "no box");
}
