#include "dag_evaluator.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "run_queue_fakes.h"

namespace gofer::run_queue {
namespace {

using testing::AllPending;
using testing::Done;
using testing::InState;
using testing::MustPlan;
using testing::OnAny;
using testing::OnFailure;
using testing::OnSuccess;
using testing::Task;

using Ids = std::vector<std::string>;

Ids SkippedIds(const Evaluation& e) {
  Ids ids;
  for (const TaskCompletion& c : e.to_skip) {
    ids.push_back(c.task_id);
  }
  return ids;
}

// Applies an evaluation's task decisions to `tasks`.
void Apply(const Evaluation& e, TaskExecutions& tasks) {
  for (const std::string& id : e.to_wait) {
    tasks[id].state = TaskState::kWaiting;
  }
  for (const auto& list : {e.to_skip, e.to_cancel}) {
    for (const TaskCompletion& c : list) {
      tasks[c.task_id] = Done(c.status, c.reason.kind, c.reason.description);
    }
  }
}

TEST_CASE("Tasks without parents are all marked waiting in one evaluation (fan-out)") {
  const RunPlan plan = MustPlan({Task("c"), Task("a"), Task("b"), Task("join", {OnSuccess("a")})});
  const Evaluation e = Evaluate(plan, AllPending(plan));
  CHECK(e.to_wait == Ids{"a", "b", "c"});
  CHECK(e.to_skip.empty());
  CHECK(e.to_cancel.empty());
  CHECK_FALSE(e.run_outcome.has_value());
}

TEST_CASE("A fan-in task waits until every parent is complete") {
  const RunPlan plan = MustPlan({Task("a"), Task("b"), Task("c"),
                                 Task("join", {OnSuccess("a"), OnSuccess("b"), OnAny("c")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = Done(TaskStatus::kSuccessful);
  tasks["b"] = Done(TaskStatus::kSuccessful);
  tasks["c"] = InState(TaskState::kRunning);
  CHECK(Evaluate(plan, tasks).NoTaskDecisions());

  tasks["c"] = Done(TaskStatus::kFailed, ReasonKind::kAbnormalExit);
  const Evaluation e = Evaluate(plan, tasks);
  CHECK(e.to_wait == Ids{"join"});
  CHECK_FALSE(e.run_outcome.has_value());
}

TEST_CASE("A success condition runs the child only when the parent succeeded") {
  const RunPlan plan = MustPlan({Task("parent"), Task("child", {OnSuccess("parent")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["parent"] = Done(TaskStatus::kSuccessful);
  CHECK(Evaluate(plan, tasks).to_wait == Ids{"child"});

  for (TaskStatus status : {TaskStatus::kFailed, TaskStatus::kCancelled, TaskStatus::kSkipped}) {
    tasks["parent"] = Done(status);
    const Evaluation e = Evaluate(plan, tasks);
    CHECK(e.to_wait.empty());
    CHECK(SkippedIds(e) == Ids{"child"});
  }
}

TEST_CASE("A failure condition runs the child only when the parent failed") {
  const RunPlan plan = MustPlan({Task("parent"), Task("child", {OnFailure("parent")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["parent"] = Done(TaskStatus::kFailed, ReasonKind::kAbnormalExit);
  CHECK(Evaluate(plan, tasks).to_wait == Ids{"child"});

  for (TaskStatus status :
       {TaskStatus::kSuccessful, TaskStatus::kCancelled, TaskStatus::kSkipped}) {
    tasks["parent"] = Done(status);
    CHECK(SkippedIds(Evaluate(plan, tasks)) == Ids{"child"});
  }
}

TEST_CASE("An any condition runs the child after a parent that succeeded or failed") {
  const RunPlan plan = MustPlan({Task("parent"), Task("child", {OnAny("parent")})});
  TaskExecutions tasks = AllPending(plan);
  for (TaskStatus status : {TaskStatus::kSuccessful, TaskStatus::kFailed}) {
    tasks["parent"] = Done(status);
    CHECK(Evaluate(plan, tasks).to_wait == Ids{"child"});
  }
}

TEST_CASE("An any condition runs the child after a skipped parent") {
  const RunPlan plan = MustPlan(
      {Task("root"), Task("parent", {OnFailure("root")}), Task("child", {OnAny("parent")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["root"] = Done(TaskStatus::kSuccessful);
  const Evaluation e = Evaluate(plan, tasks);
  CHECK(SkippedIds(e) == Ids{"parent"});
  CHECK(e.to_wait == Ids{"child"});  // in the same evaluation as the parent's skip
}

TEST_CASE("An any condition runs the child after a cancelled parent") {
  const RunPlan plan = MustPlan({Task("parent"), Task("cleanup", {OnAny("parent")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["parent"] = Done(TaskStatus::kCancelled, ReasonKind::kCancelled, "cancelled by alice");
  const Evaluation e = Evaluate(plan, tasks);
  CHECK(e.to_wait == Ids{"cleanup"});
  CHECK(e.to_skip.empty());
}

TEST_CASE("The skip reason names the parent and the unmet condition") {
  const RunPlan plan = MustPlan(
      {Task("build"), Task("lint"), Task("deploy", {OnSuccess("build"), OnFailure("lint")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["build"] = Done(TaskStatus::kFailed, ReasonKind::kAbnormalExit);
  tasks["lint"] = Done(TaskStatus::kSuccessful);
  const Evaluation e = Evaluate(plan, tasks);
  REQUIRE(e.to_skip.size() == 1);
  const TaskCompletion& skip = e.to_skip.front();
  CHECK(skip.task_id == "deploy");
  CHECK(skip.status == TaskStatus::kSkipped);
  CHECK(skip.reason.kind == ReasonKind::kDependencyNotMet);
  CHECK(skip.reason.description ==
        "parent 'build' failed; condition 'success' requires it to succeed; "
        "parent 'lint' succeeded; condition 'failure' requires it to fail");
}

TEST_CASE("Skips propagate through several levels in one evaluation") {
  // build fails; test (success) is skipped, so package (success) and publish (failure) are too,
  // while report (any) runs; docs depends on nothing and runs.
  const RunPlan plan = MustPlan(
      {Task("build"), Task("test", {OnSuccess("build")}), Task("package", {OnSuccess("test")}),
       Task("publish", {OnFailure("package")}), Task("report", {OnAny("publish")}), Task("docs")});
  TaskExecutions tasks = AllPending(plan);
  tasks["build"] = Done(TaskStatus::kFailed, ReasonKind::kAbnormalExit);
  tasks["docs"] = Done(TaskStatus::kSuccessful);
  const Evaluation e = Evaluate(plan, tasks);
  REQUIRE(SkippedIds(e) == Ids{"test", "package", "publish"});
  CHECK(e.to_skip[1].reason.description ==
        "parent 'test' was skipped; condition 'success' requires it to succeed");
  CHECK(e.to_wait == Ids{"report"});
  CHECK_FALSE(e.run_outcome.has_value());
}

TEST_CASE("A diamond with one skipped branch skips a success join and runs an any join") {
  //      top
  //     /    \.
  //  left    right (runs only if top fails: skipped)
  //     \    /
  //   join-all (success on both) / join-any (any on both)
  const RunPlan plan =
      MustPlan({Task("top"), Task("left", {OnSuccess("top")}), Task("right", {OnFailure("top")}),
                Task("join-all", {OnSuccess("left"), OnSuccess("right")}),
                Task("join-any", {OnAny("left"), OnAny("right")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["top"] = Done(TaskStatus::kSuccessful);
  Evaluation e = Evaluate(plan, tasks);
  CHECK(e.to_wait == Ids{"left"});
  CHECK(SkippedIds(e) == Ids{"right"});
  Apply(e, tasks);

  tasks["left"] = Done(TaskStatus::kSuccessful);
  e = Evaluate(plan, tasks);
  CHECK(SkippedIds(e) == Ids{"join-all"});
  CHECK(e.to_wait == Ids{"join-any"});
}

TEST_CASE("Evaluating again after applying the decisions decides nothing") {
  const RunPlan plan = MustPlan({Task("a"), Task("b", {OnFailure("a")}), Task("c", {OnAny("b")}),
                                 Task("d", {OnSuccess("a")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = Done(TaskStatus::kSuccessful);
  const Evaluation first = Evaluate(plan, tasks);
  CHECK_FALSE(first.NoTaskDecisions());
  Apply(first, tasks);
  const Evaluation second = Evaluate(plan, tasks);
  CHECK(second.NoTaskDecisions());
  CHECK_FALSE(second.run_outcome.has_value());
}

TEST_CASE("Waiting, starting and running tasks are left alone") {
  const RunPlan plan = MustPlan({Task("a"), Task("b"), Task("c")});
  TaskExecutions tasks;
  tasks["a"] = InState(TaskState::kWaiting);
  tasks["b"] = InState(TaskState::kStarting);
  tasks["c"] = InState(TaskState::kRunning);
  const Evaluation e = Evaluate(plan, tasks);
  CHECK(e.NoTaskDecisions());
  CHECK_FALSE(e.run_outcome.has_value());
}

TEST_CASE("A task missing from the executions counts as pending") {
  const RunPlan plan = MustPlan({Task("a"), Task("b", {OnSuccess("a")})});
  TaskExecutions tasks;
  tasks["a"] = Done(TaskStatus::kSuccessful);
  tasks["not-in-plan"] = InState(TaskState::kRunning);
  CHECK(Evaluate(plan, tasks).to_wait == Ids{"b"});
}

TEST_CASE("A run whose tasks all succeeded or were skipped is successful") {
  const RunPlan plan = MustPlan({Task("a"), Task("b", {OnFailure("a")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = Done(TaskStatus::kSuccessful);
  const Evaluation e = Evaluate(plan, tasks);  // the skip of b completes the run at once
  CHECK(SkippedIds(e) == Ids{"b"});
  REQUIRE(e.run_outcome.has_value());
  CHECK(*e.run_outcome == RunOutcome{RunStatus::kSuccessful, {}});
}

TEST_CASE("A run with failed tasks is failed and its reason names them") {
  const RunPlan plan = MustPlan({Task("build"), Task("lint"), Task("test", {OnAny("build")})});
  TaskExecutions tasks;
  tasks["build"] = Done(TaskStatus::kFailed, ReasonKind::kOomKilled, "killed");
  tasks["lint"] = Done(TaskStatus::kSuccessful);
  tasks["test"] =
      Done(TaskStatus::kFailed, ReasonKind::kTimeout, "task exceeded its timeout of 10m");
  const RunOutcome outcome = ComputeRunOutcome(plan, tasks, std::nullopt);
  CHECK(outcome.status == RunStatus::kFailed);
  CHECK(outcome.reason.kind == ReasonKind::kOomKilled);  // the most upstream failure's kind
  CHECK(outcome.reason.description ==
        "failed tasks: 'build' (killed), 'test' (task exceeded its timeout of 10m)");
  CHECK(Evaluate(plan, tasks).run_outcome == outcome);
}

TEST_CASE("A run with a cancelled task is cancelled even when another failed") {
  const RunPlan plan = MustPlan({Task("a"), Task("b")});
  TaskExecutions tasks;
  tasks["a"] = Done(TaskStatus::kFailed, ReasonKind::kAbnormalExit);
  tasks["b"] = Done(TaskStatus::kCancelled, ReasonKind::kCancelled, "cancelled by bob");
  const RunOutcome outcome = ComputeRunOutcome(plan, tasks, std::nullopt);
  CHECK(outcome.status == RunStatus::kCancelled);
  CHECK(outcome.reason == StatusReason{ReasonKind::kCancelled, "cancelled tasks: 'b'"});
}

TEST_CASE("A requested cancellation makes the run cancelled with its reason") {
  const RunPlan plan = MustPlan({Task("a")});
  TaskExecutions tasks;
  tasks["a"] = Done(TaskStatus::kSuccessful);
  const StatusReason reason{ReasonKind::kTimeout, "run exceeded its timeout of 1h"};
  CHECK(ComputeRunOutcome(plan, tasks, reason) == RunOutcome{RunStatus::kCancelled, reason});
}

TEST_CASE(
    "A requested cancellation cancels tasks that have not started and waits for active ones") {
  const RunPlan plan = MustPlan({Task("a"), Task("b"), Task("c", {OnSuccess("a")}), Task("d")});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = InState(TaskState::kRunning);
  tasks["b"] = InState(TaskState::kWaiting);
  tasks["d"] = Done(TaskStatus::kSuccessful);
  const StatusReason reason{ReasonKind::kCancelled, "cancelled by carol"};
  Evaluation e = Evaluate(plan, tasks, reason);
  REQUIRE(e.to_cancel.size() == 2);
  CHECK(e.to_cancel[0] == TaskCompletion{"b", TaskStatus::kCancelled, reason});
  CHECK(e.to_cancel[1].task_id == "c");
  CHECK(e.to_wait.empty());
  CHECK_FALSE(e.run_outcome.has_value());  // a still runs
  Apply(e, tasks);

  tasks["a"] = Done(TaskStatus::kCancelled, ReasonKind::kCancelled, "cancelled by carol");
  e = Evaluate(plan, tasks, reason);
  CHECK(e.NoTaskDecisions());
  REQUIRE(e.run_outcome.has_value());
  CHECK(*e.run_outcome == RunOutcome{RunStatus::kCancelled, reason});
}

}  // namespace
}  // namespace gofer::run_queue
