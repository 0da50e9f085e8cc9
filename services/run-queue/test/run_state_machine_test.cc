#include "run_state_machine.h"

#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "dag_evaluator.h"
#include "gofer/testing/status.h"
#include "run_queue_fakes.h"

namespace gofer::run_queue {
namespace {

using testing::AllPending;
using testing::Done;
using testing::InState;
using testing::MustPlan;
using testing::OnAny;
using testing::OnSuccess;
using testing::Task;

constexpr TaskState kPending = TaskState::kPending;
constexpr TaskState kWaiting = TaskState::kWaiting;
constexpr TaskState kStarting = TaskState::kStarting;
constexpr TaskState kRunning = TaskState::kRunning;
constexpr TaskState kComplete = TaskState::kComplete;

const StatusReason kByAlice{ReasonKind::kCancelled, "cancelled by alice"};

TEST_CASE("A task execution may go pending, waiting, starting, running, complete") {
  GOFER_REQUIRE_OK(CheckTaskTransition(kPending, kWaiting));
  GOFER_REQUIRE_OK(CheckTaskTransition(kWaiting, kStarting));
  GOFER_REQUIRE_OK(CheckTaskTransition(kStarting, kRunning));
  GOFER_REQUIRE_OK(CheckTaskTransition(kRunning, kComplete, TaskStatus::kSuccessful));
}

TEST_CASE("Tasks that never started may complete only as skipped or cancelled") {
  for (TaskState from : {kPending, kWaiting}) {
    GOFER_REQUIRE_OK(CheckTaskTransition(from, kComplete, TaskStatus::kSkipped));
    GOFER_REQUIRE_OK(CheckTaskTransition(from, kComplete, TaskStatus::kCancelled));
    GOFER_REQUIRE_CODE(CheckTaskTransition(from, kComplete, TaskStatus::kSuccessful),
                       absl::StatusCode::kFailedPrecondition);
    GOFER_REQUIRE_CODE(CheckTaskTransition(from, kComplete, TaskStatus::kFailed),
                       absl::StatusCode::kFailedPrecondition);
  }
}

TEST_CASE("Active tasks may complete as successful, failed or cancelled but not skipped") {
  for (TaskState from : {kStarting, kRunning}) {
    for (TaskStatus status :
         {TaskStatus::kSuccessful, TaskStatus::kFailed, TaskStatus::kCancelled}) {
      GOFER_REQUIRE_OK(CheckTaskTransition(from, kComplete, status));
    }
    GOFER_REQUIRE_CODE(CheckTaskTransition(from, kComplete, TaskStatus::kSkipped),
                       absl::StatusCode::kFailedPrecondition);
  }
}

TEST_CASE("An attempt that started may go back to waiting for a retry") {
  GOFER_REQUIRE_OK(CheckTaskTransition(kStarting, kWaiting));
  GOFER_REQUIRE_OK(CheckTaskTransition(kRunning, kWaiting));
}

TEST_CASE("Illegal task execution transitions are rejected with FAILED_PRECONDITION") {
  const std::vector<std::tuple<TaskState, TaskState, TaskStatus>> illegal = {
      {kPending, kStarting, TaskStatus::kNone},       // skips waiting
      {kPending, kRunning, TaskStatus::kNone},        // skips two steps
      {kWaiting, kRunning, TaskStatus::kNone},        // skips starting
      {kWaiting, kPending, TaskStatus::kNone},        // backwards
      {kRunning, kStarting, TaskStatus::kNone},       // backwards
      {kRunning, kRunning, TaskStatus::kNone},        // not a transition
      {kComplete, kPending, TaskStatus::kNone},       // out of complete
      {kComplete, kWaiting, TaskStatus::kNone},       // out of complete
      {kComplete, kComplete, TaskStatus::kFailed},    // completes twice
      {kRunning, kComplete, TaskStatus::kNone},       // complete without a status
      {kPending, kWaiting, TaskStatus::kSuccessful},  // a status before complete
  };
  for (const auto& [from, to, status] : illegal) {
    INFO(TaskStateName(from) << " → " << TaskStateName(to) << " " << TaskStatusName(status));
    GOFER_REQUIRE_CODE(CheckTaskTransition(from, to, status),
                       absl::StatusCode::kFailedPrecondition);
  }
  CHECK(CheckTaskTransition(kComplete, kPending).message() ==
        "illegal task execution transition: complete → pending");
}

TEST_CASE("A run may go pending, running, complete, or complete from pending unsuccessfully") {
  GOFER_REQUIRE_OK(CheckRunTransition(RunState::kPending, RunState::kRunning));
  for (RunStatus status : {RunStatus::kSuccessful, RunStatus::kFailed, RunStatus::kCancelled}) {
    GOFER_REQUIRE_OK(CheckRunTransition(RunState::kRunning, RunState::kComplete, status));
  }
  GOFER_REQUIRE_OK(CheckRunTransition(RunState::kPending, RunState::kComplete, RunStatus::kFailed));
  GOFER_REQUIRE_OK(
      CheckRunTransition(RunState::kPending, RunState::kComplete, RunStatus::kCancelled));
}

TEST_CASE("Illegal run transitions are rejected with FAILED_PRECONDITION") {
  const std::vector<std::tuple<RunState, RunState, RunStatus>> illegal = {
      {RunState::kPending, RunState::kComplete, RunStatus::kSuccessful},
      {RunState::kRunning, RunState::kPending, RunStatus::kNone},
      {RunState::kRunning, RunState::kRunning, RunStatus::kNone},
      {RunState::kRunning, RunState::kComplete, RunStatus::kNone},
      {RunState::kComplete, RunState::kRunning, RunStatus::kNone},
      {RunState::kComplete, RunState::kComplete, RunStatus::kFailed},
      {RunState::kPending, RunState::kRunning, RunStatus::kFailed},
  };
  for (const auto& [from, to, status] : illegal) {
    INFO(RunStateName(from) << " → " << RunStateName(to) << " " << RunStatusName(status));
    GOFER_REQUIRE_CODE(CheckRunTransition(from, to, status), absl::StatusCode::kFailedPrecondition);
  }
  CHECK(CheckRunTransition(RunState::kComplete, RunState::kRunning).message() ==
        "illegal run transition: complete → running");
}

TEST_CASE("Cancelling a run cancels tasks that never started and stops active ones") {
  const RunPlan plan =
      MustPlan({Task("a"), Task("b"), Task("c"), Task("d"), Task("e", {OnSuccess("a")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = InState(kRunning);
  tasks["b"] = InState(kStarting);
  tasks["c"] = InState(kWaiting);
  tasks["d"] = Done(TaskStatus::kSuccessful);
  const auto cancel =
      PlanRunCancellation(plan, RunState::kRunning, tasks, kByAlice, absl::Seconds(15));
  GOFER_REQUIRE_OK(cancel);
  CHECK(cancel->to_cancel == std::vector<TaskCompletion>{{"c", TaskStatus::kCancelled, kByAlice},
                                                         {"e", TaskStatus::kCancelled, kByAlice}});
  CHECK(cancel->to_stop ==
        std::vector<StopRequest>{{"a", absl::Seconds(15)}, {"b", absl::Seconds(15)}});
}

TEST_CASE("A cancelled run completes as cancelled once no task is active") {
  const RunPlan plan = MustPlan({Task("a"), Task("b", {OnAny("a")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = InState(kRunning);
  const auto cancel =
      PlanRunCancellation(plan, RunState::kRunning, tasks, kByAlice, absl::Seconds(10));
  GOFER_REQUIRE_OK(cancel);
  for (const TaskCompletion& c : cancel->to_cancel) {
    tasks[c.task_id] = Done(c.status, c.reason.kind, c.reason.description);
  }
  tasks["a"].stop_reason = kByAlice;
  Evaluation e = Evaluate(plan, tasks, kByAlice);
  CHECK_FALSE(e.run_outcome.has_value());  // a is still being stopped

  tasks["a"] = Done(TaskStatus::kCancelled, ReasonKind::kCancelled, "cancelled by alice");
  e = Evaluate(plan, tasks, kByAlice);
  REQUIRE(e.run_outcome.has_value());
  CHECK(*e.run_outcome == RunOutcome{RunStatus::kCancelled, kByAlice});
}

TEST_CASE("Cancelling a pending run cancels every task and completes the run at once") {
  const RunPlan plan = MustPlan({Task("a"), Task("b", {OnSuccess("a")})});
  TaskExecutions tasks = AllPending(plan);
  const auto cancel =
      PlanRunCancellation(plan, RunState::kPending, tasks, kByAlice, absl::Seconds(10));
  GOFER_REQUIRE_OK(cancel);
  CHECK(cancel->to_cancel.size() == 2);
  CHECK(cancel->to_stop.empty());
  for (const TaskCompletion& c : cancel->to_cancel) {
    tasks[c.task_id] = Done(c.status, c.reason.kind, c.reason.description);
  }
  const Evaluation e = Evaluate(plan, tasks, kByAlice);
  REQUIRE(e.run_outcome.has_value());
  CHECK(e.run_outcome->status == RunStatus::kCancelled);
  GOFER_REQUIRE_OK(
      CheckRunTransition(RunState::kPending, RunState::kComplete, e.run_outcome->status));
}

TEST_CASE("Cancelling a complete run or with a wrong reason is rejected") {
  const RunPlan plan = MustPlan({Task("a")});
  TaskExecutions tasks = AllPending(plan);
  GOFER_REQUIRE_CODE(PlanRunCancellation(plan, RunState::kComplete, tasks, kByAlice, {}),
                     absl::StatusCode::kFailedPrecondition);
  GOFER_REQUIRE_CODE(PlanRunCancellation(plan, RunState::kRunning, tasks,
                                         {ReasonKind::kAbnormalExit, "x"}, absl::Seconds(1)),
                     absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(
      PlanRunCancellation(plan, RunState::kRunning, tasks, kByAlice, absl::Seconds(-1)),
      absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Cancelling a pending task cancels it now and a running one stops it with grace") {
  const RunPlan plan = MustPlan({Task("a"), Task("b")});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = InState(kRunning);
  const auto pending =
      PlanTaskCancellation(plan, RunState::kRunning, tasks, "b", kByAlice, absl::Seconds(5));
  GOFER_REQUIRE_OK(pending);
  CHECK(pending->to_cancel == std::vector<TaskCompletion>{{"b", TaskStatus::kCancelled, kByAlice}});
  CHECK(pending->to_stop.empty());

  const auto running =
      PlanTaskCancellation(plan, RunState::kRunning, tasks, "a", kByAlice, absl::Seconds(5));
  GOFER_REQUIRE_OK(running);
  CHECK(running->to_cancel.empty());
  CHECK(running->to_stop == std::vector<StopRequest>{{"a", absl::Seconds(5)}});
}

TEST_CASE("A task already being stopped is not stopped again") {
  const RunPlan plan = MustPlan({Task("a")});
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = InState(kRunning);
  tasks["a"].stop_reason = StatusReason{ReasonKind::kTimeout, "task exceeded its timeout of 1m"};
  const auto run = PlanRunCancellation(plan, RunState::kRunning, tasks, kByAlice, absl::Seconds(5));
  GOFER_REQUIRE_OK(run);
  CHECK(run->to_stop.empty());
  const auto task =
      PlanTaskCancellation(plan, RunState::kRunning, tasks, "a", kByAlice, absl::Seconds(5));
  GOFER_REQUIRE_OK(task);
  CHECK(task->to_stop.empty());
}

TEST_CASE("Cancelling a complete task or a task not in the plan is rejected") {
  const RunPlan plan = MustPlan({Task("a")});
  TaskExecutions tasks;
  tasks["a"] = Done(TaskStatus::kSuccessful);
  GOFER_REQUIRE_CODE(
      PlanTaskCancellation(plan, RunState::kRunning, tasks, "a", kByAlice, absl::Seconds(1)),
      absl::StatusCode::kFailedPrecondition);
  GOFER_REQUIRE_CODE(
      PlanTaskCancellation(plan, RunState::kRunning, tasks, "zz", kByAlice, absl::Seconds(1)),
      absl::StatusCode::kNotFound);
}

TEST_CASE("After a single task is cancelled its any-children run and the run ends cancelled") {
  const RunPlan plan = MustPlan(
      {Task("slow"), Task("after", {OnSuccess("slow")}), Task("cleanup", {OnAny("slow")})});
  TaskExecutions tasks = AllPending(plan);
  tasks["slow"] = Done(TaskStatus::kCancelled, ReasonKind::kCancelled, "cancelled by alice");
  Evaluation e = Evaluate(plan, tasks);
  CHECK(e.to_wait == std::vector<std::string>{"cleanup"});
  REQUIRE(e.to_skip.size() == 1);
  CHECK(e.to_skip[0].task_id == "after");
  tasks["after"] = Done(TaskStatus::kSkipped, ReasonKind::kDependencyNotMet);
  tasks["cleanup"] = Done(TaskStatus::kSuccessful);
  e = Evaluate(plan, tasks);
  REQUIRE(e.run_outcome.has_value());
  CHECK(e.run_outcome->status == RunStatus::kCancelled);
}

}  // namespace
}  // namespace gofer::run_queue
