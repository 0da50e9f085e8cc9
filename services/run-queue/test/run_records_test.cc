// Run keys (run_records.h), state names, and deterministic container names (attempt_watcher.h).
#include "run_records.h"

#include <catch2/catch.hpp>

#include <set>

#include "attempt_watcher.h"
#include "gofer/testing/status.h"

namespace gofer::run_queue {
namespace {

TEST_CASE("A run key round-trips through its text form") {
  const RunKey key{"team-a", "build-and-test", 1234567890123};
  CHECK(key.ToString() == "team-a/build-and-test/1234567890123");
  auto parsed = RunKey::Parse(key.ToString());
  GOFER_REQUIRE_OK(parsed);
  CHECK(*parsed == key);
  auto one = RunKey::Parse("ns/p/1");
  GOFER_REQUIRE_OK(one);
  CHECK(*one == RunKey{"ns", "p", 1});
}

TEST_CASE("Text that is not a run key is refused with INVALID_ARGUMENT") {
  for (const char* text : {"", "ns", "ns/p", "ns/p/", "/p/1", "ns//1", "ns/p/0", "ns/p/-3",
                           "ns/p/x", "ns/p/1/extra", "ns/p/1.5", "ns/p/99999999999999999999"}) {
    INFO("'" << text << "'");
    auto key = RunKey::Parse(text);
    GOFER_REQUIRE_CODE(key, absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(key.status().message()), Catch::Matchers::Contains("not a run key"));
  }
}

TEST_CASE("Run keys order by namespace, pipeline, then run number") {
  CHECK(RunKey{"a", "p", 9} < RunKey{"b", "a", 1});
  CHECK(RunKey{"a", "p", 2} < RunKey{"a", "q", 1});
  CHECK(RunKey{"a", "p", 2} < RunKey{"a", "p", 10});
}

TEST_CASE("State, status and reason names parse back to their values") {
  for (RunState s : {RunState::kPending, RunState::kRunning, RunState::kComplete}) {
    CHECK(ParseRunState(RunStateName(s)).value() == s);
  }
  for (TaskState s : {TaskState::kPending, TaskState::kWaiting, TaskState::kStarting,
                      TaskState::kRunning, TaskState::kComplete}) {
    CHECK(ParseTaskState(TaskStateName(s)).value() == s);
  }
  for (TaskStatus s : {TaskStatus::kNone, TaskStatus::kSuccessful, TaskStatus::kFailed,
                       TaskStatus::kCancelled, TaskStatus::kSkipped}) {
    CHECK(ParseTaskStatus(TaskStatusName(s)).value() == s);
  }
  for (ReasonKind k :
       {ReasonKind::kNone, ReasonKind::kAbnormalExit, ReasonKind::kTimeout,
        ReasonKind::kSchedulerError, ReasonKind::kFailedPrecondition, ReasonKind::kCancelled,
        ReasonKind::kOomKilled, ReasonKind::kInfrastructure, ReasonKind::kDependencyNotMet}) {
    CHECK(ParseReasonKind(ReasonKindName(k)).value() == k);
  }
  GOFER_REQUIRE_CODE(ParseRunState("Running"), absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(ParseReasonKind(""), absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Container names are deterministic per attempt") {
  const RunKey run{"test", "build", 12};
  CHECK(ContainerName(run, "compile", 1) == "gofer-test-build-12-compile-1");
  CHECK(ContainerName(run, "compile", 1) == ContainerName(run, "compile", 1));
  CHECK(ContainerName(run, "compile", 2) != ContainerName(run, "compile", 1));
  CHECK(ContainerName({"test", "build", 13}, "compile", 1) != ContainerName(run, "compile", 1));
}

TEST_CASE("Long container names are shortened to 128 characters and stay distinct") {
  const std::string ns(64, 'n');
  const std::string pipeline(64, 'p');
  const std::string task(64, 't');
  std::set<std::string> names;
  for (int64_t run_id : {1, 2, 999999999}) {
    for (int attempt : {1, 2, 10}) {
      for (const std::string& t : {task, task.substr(0, 63) + "u"}) {
        const std::string name = ContainerName({ns, pipeline, run_id}, t, attempt);
        INFO(name);
        CHECK(name.size() <= 128);
        CHECK(name.rfind("gofer-", 0) == 0);
        // Deterministic.
        CHECK(name == ContainerName({ns, pipeline, run_id}, t, attempt));
        names.insert(name);
      }
    }
  }
  // Every run, task and attempt has a name of its own.
  CHECK(names.size() == 18);
  // Just at the limit nothing is shortened.
  const std::string fits = ContainerName({"n", "p", 1}, std::string(114, 'x'), 1);
  CHECK(fits.size() == 128);
  CHECK(fits == "gofer-n-p-1-" + std::string(114, 'x') + "-1");
}

}  // namespace
}  // namespace gofer::run_queue
