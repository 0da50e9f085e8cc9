#include "retry_run.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dag_evaluator.h"
#include "gofer/testing/status.h"
#include "run_queue_fakes.h"

namespace gofer::run_queue {
namespace {

using testing::Done;
using testing::InState;
using testing::MustPlan;
using testing::OnAny;
using testing::OnFailure;
using testing::OnSuccess;
using testing::Task;

using Ids = std::vector<std::string>;

// build → test → package; lint; notify (on build's failure); report (any, after test).
RunPlan Pipeline() {
  return MustPlan({Task("build"), Task("lint"), Task("test", {OnSuccess("build")}),
                   Task("package", {OnSuccess("test")}), Task("notify", {OnFailure("lint")}),
                   Task("report", {OnAny("test")})});
}

Ids Reused(const std::vector<RetryRunTask>& tasks) {
  Ids ids;
  for (const RetryRunTask& t : tasks) {
    if (t.reused) {
      ids.push_back(t.task_id);
    }
  }
  return ids;
}

Ids Pending(const std::vector<RetryRunTask>& tasks) {
  Ids ids;
  for (const RetryRunTask& t : tasks) {
    if (t.initial.state == TaskState::kPending) {
      ids.push_back(t.task_id);
    }
  }
  return ids;
}

// build succeeded, lint succeeded, test failed, so package was skipped; notify skipped; report
// ran and succeeded.
TaskExecutions FinishedRun() {
  TaskExecutions tasks;
  tasks["build"] = Done(TaskStatus::kSuccessful);
  tasks["build"].attempt = 2;
  tasks["lint"] = Done(TaskStatus::kSuccessful);
  tasks["test"] = Done(TaskStatus::kFailed, ReasonKind::kAbnormalExit, "exited with code 1");
  tasks["package"] = Done(TaskStatus::kSkipped, ReasonKind::kDependencyNotMet);
  tasks["notify"] = Done(TaskStatus::kSkipped, ReasonKind::kDependencyNotMet);
  tasks["report"] = Done(TaskStatus::kSuccessful);
  return tasks;
}

TEST_CASE("Retrying all tasks makes every task pending again") {
  const auto retry = PlanRetryRun(Pipeline(), FinishedRun(), RetryMode::kAll);
  GOFER_REQUIRE_OK(retry);
  CHECK(Reused(*retry).empty());
  CHECK(Pending(*retry) == Ids{"build", "lint", "notify", "test", "package", "report"});
  for (const RetryRunTask& t : *retry) {
    CHECK(t.initial == TaskExecution{});
  }
}

TEST_CASE("Retrying failed only keeps successful tasks and reruns failed ones and descendants") {
  const auto retry = PlanRetryRun(Pipeline(), FinishedRun(), RetryMode::kFailedOnly);
  GOFER_REQUIRE_OK(retry);
  // report succeeded but depends on test, which runs again: its inputs may change.
  CHECK(Reused(*retry) == Ids{"build", "lint"});
  CHECK(Pending(*retry) == Ids{"notify", "test", "package", "report"});
  const RetryRunTask& build = retry->front();
  CHECK(build.initial.state == TaskState::kComplete);
  CHECK(build.initial.status == TaskStatus::kSuccessful);
  CHECK(build.initial.attempt == 2);  // its result is the original's
}

TEST_CASE("Retrying failed only reruns cancelled and skipped tasks") {
  const RunPlan plan = MustPlan({Task("a"), Task("b"), Task("c")});
  TaskExecutions finished;
  finished["a"] = Done(TaskStatus::kCancelled, ReasonKind::kCancelled);
  finished["b"] = Done(TaskStatus::kSkipped, ReasonKind::kDependencyNotMet);
  finished["c"] = Done(TaskStatus::kSuccessful);
  const auto retry = PlanRetryRun(plan, finished, RetryMode::kFailedOnly);
  GOFER_REQUIRE_OK(retry);
  CHECK(Pending(*retry) == Ids{"a", "b"});
  CHECK(Reused(*retry) == Ids{"c"});
}

TEST_CASE("A retry-failed run starts from the failed tasks with the kept results") {
  const RunPlan plan = Pipeline();
  const auto retry = PlanRetryRun(plan, FinishedRun(), RetryMode::kFailedOnly);
  GOFER_REQUIRE_OK(retry);
  TaskExecutions tasks;
  for (const RetryRunTask& t : *retry) {
    tasks[t.task_id] = t.initial;
  }
  const Evaluation e = Evaluate(plan, tasks);
  CHECK(e.to_wait == Ids{"test"});
  REQUIRE(e.to_skip.size() == 1);
  CHECK(e.to_skip[0].task_id == "notify");  // lint's kept success still skips it
}

TEST_CASE("Retrying a run that is not finished is rejected") {
  TaskExecutions tasks = FinishedRun();
  tasks["report"] = InState(TaskState::kRunning);
  GOFER_REQUIRE_CODE(PlanRetryRun(Pipeline(), tasks, RetryMode::kAll),
                     absl::StatusCode::kFailedPrecondition);
  tasks.erase("report");
  GOFER_REQUIRE_CODE(PlanRetryRun(Pipeline(), tasks, RetryMode::kAll),
                     absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Retrying only the failed tasks of a successful run is rejected") {
  const RunPlan plan = MustPlan({Task("a"), Task("b", {OnSuccess("a")})});
  TaskExecutions finished;
  finished["a"] = Done(TaskStatus::kSuccessful);
  finished["b"] = Done(TaskStatus::kSuccessful);
  GOFER_REQUIRE_CODE(PlanRetryRun(plan, finished, RetryMode::kFailedOnly),
                     absl::StatusCode::kFailedPrecondition);
  GOFER_REQUIRE_OK(PlanRetryRun(plan, finished, RetryMode::kAll));
}

}  // namespace
}  // namespace gofer::run_queue
