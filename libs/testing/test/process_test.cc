// ChildProcess: output capture, environment, exit codes, signals and failures to start.
#include "gofer/testing/process.h"

#include <signal.h>

#include <catch2/catch.hpp>

#include <string>

#include "gofer/testing/status.h"

namespace gofer::testing {
namespace {

// A safety net for waits that are expected to succeed; they return as soon as they can.
constexpr absl::Duration kPatience = absl::Seconds(20);

auto Equals(std::string want) {
  return [want = std::move(want)](const std::string& line) { return line == want; };
}

}  // namespace

TEST_CASE("ChildProcess captures stdout and stderr lines and reports the exit code") {
  auto child = ChildProcess::Start({"/bin/sh", "-c", "echo hello; echo err >&2; exit 3"});
  GOFER_REQUIRE_OK(child);
  auto out = (*child)->WaitForLine(Equals("hello"), kPatience);
  GOFER_REQUIRE_OK(out);
  CHECK(*out == "hello");
  auto err = (*child)->WaitForLine(Equals("err"), kPatience);
  GOFER_REQUIRE_OK(err);
  auto code = (*child)->Wait(kPatience);
  GOFER_REQUIRE_OK(code);
  CHECK(*code == 3);
}

TEST_CASE("ChildProcess searches PATH for a bare program name") {
  auto child = ChildProcess::Start({"sh", "-c", "exit 0"});
  GOFER_REQUIRE_OK(child);
  auto code = (*child)->Wait(kPatience);
  GOFER_REQUIRE_OK(code);
  CHECK(*code == 0);
}

TEST_CASE("ChildProcess passes environment overrides to the child") {
  auto child = ChildProcess::Start(
      {"/bin/sh", "-c", "echo \"foo=$FOO\"; echo \"path=${PATH:+set}\""}, {{"FOO", "bar baz"}});
  GOFER_REQUIRE_OK(child);
  GOFER_REQUIRE_OK((*child)->WaitForLine(Equals("foo=bar baz"), kPatience));
  // The parent's environment is inherited alongside the overrides.
  GOFER_REQUIRE_OK((*child)->WaitForLine(Equals("path=set"), kPatience));
}

TEST_CASE("A child killed by a signal reports 128 plus the signal number") {
  auto child = ChildProcess::Start({"sleep", "30"});
  GOFER_REQUIRE_OK(child);
  (*child)->Signal(SIGTERM);
  auto code = (*child)->Wait(kPatience);
  GOFER_REQUIRE_OK(code);
  CHECK(*code == 128 + SIGTERM);
}

TEST_CASE("Wait reports DEADLINE_EXCEEDED while the child is still running") {
  auto child = ChildProcess::Start({"sleep", "30"});
  GOFER_REQUIRE_OK(child);
  GOFER_REQUIRE_CODE((*child)->Wait(absl::ZeroDuration()), absl::StatusCode::kDeadlineExceeded);
  // The destructor kills and reaps it.
}

TEST_CASE("WaitForLine fails with FAILED_PRECONDITION when the child exits without the line") {
  auto child = ChildProcess::Start({"/bin/sh", "-c", "echo something else"});
  GOFER_REQUIRE_OK(child);
  GOFER_REQUIRE_CODE((*child)->WaitForLine(Equals("never"), kPatience),
                     absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("WaitForLine reports DEADLINE_EXCEEDED when a running child stays silent") {
  auto child = ChildProcess::Start({"sleep", "30"});
  GOFER_REQUIRE_OK(child);
  GOFER_REQUIRE_CODE((*child)->WaitForLine(Equals("never"), absl::Milliseconds(20)),
                     absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("A last line without a newline is still captured") {
  auto child = ChildProcess::Start({"/bin/sh", "-c", "printf 'one\\ntwo'"});
  GOFER_REQUIRE_OK(child);
  GOFER_REQUIRE_OK((*child)->WaitForLine(Equals("two"), kPatience));
  GOFER_REQUIRE_OK((*child)->Wait(kPatience));
  CHECK((*child)->output() == "one\ntwo");
}

TEST_CASE("Starting a program that does not exist fails") {
  auto child = ChildProcess::Start({"/nonexistent/gofer-no-such-binary"});
  REQUIRE_FALSE(child.ok());
  auto bare = ChildProcess::Start({"gofer-no-such-binary-in-path"});
  REQUIRE_FALSE(bare.ok());
}

TEST_CASE("Starting with an empty argv fails with INVALID_ARGUMENT") {
  GOFER_REQUIRE_CODE(ChildProcess::Start({}), absl::StatusCode::kInvalidArgument);
}

}  // namespace gofer::testing
