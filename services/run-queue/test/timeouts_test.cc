#include "timeouts.h"

#include <catch2/catch.hpp>

#include <vector>

#include "dag_evaluator.h"
#include "gofer/common/clock.h"
#include "gofer/testing/status.h"
#include "retry_policy.h"
#include "run_queue_fakes.h"
#include "run_state_machine.h"

namespace gofer::run_queue {
namespace {

using testing::AllPending;
using testing::Done;
using testing::InState;
using testing::MustPlan;
using testing::Task;

constexpr absl::Duration kNoGlobalMax = absl::InfiniteDuration();

PlannedTask TaskWithTimeout(std::string id, absl::Duration timeout) {
  PlannedTask task = Task(std::move(id));
  task.timeout = timeout;
  return task;
}

TaskExecution RunningSince(absl::Time started) {
  TaskExecution task = InState(TaskState::kRunning);
  task.started = started;
  return task;
}

TEST_CASE("A task past its timeout times out and one within it does not") {
  FakeClock clock;
  const absl::Time start = clock.Now();
  const RunPlan plan = MustPlan(
      {TaskWithTimeout("quick", absl::Minutes(1)), TaskWithTimeout("slow", absl::Minutes(10))});
  TaskExecutions tasks;
  tasks["quick"] = RunningSince(start);
  tasks["slow"] = RunningSince(start);

  clock.Advance(absl::Seconds(59));
  TimeoutCheck check =
      FindTimeouts(plan, RunState::kRunning, start, tasks, kNoGlobalMax, clock.Now());
  CHECK(check.tasks.empty());
  CHECK(check.next_deadline == start + absl::Minutes(1));

  clock.Advance(absl::Seconds(1));  // exactly at the limit
  check = FindTimeouts(plan, RunState::kRunning, start, tasks, kNoGlobalMax, clock.Now());
  CHECK(check.tasks == std::vector<TimedOutTask>{
                           {"quick", {ReasonKind::kTimeout, "task exceeded its timeout of 1m"}}});
  CHECK_FALSE(check.run.has_value());
  CHECK(check.next_deadline == start + absl::Minutes(10));
}

TEST_CASE("The operator's global maximum caps a task's timeout") {
  FakeClock clock;
  const absl::Time start = clock.Now();
  const RunPlan plan = MustPlan({TaskWithTimeout("long", absl::Hours(5)), Task("unlimited")});
  TaskExecutions tasks;
  tasks["long"] = RunningSince(start);
  tasks["unlimited"] = RunningSince(start);
  clock.Advance(absl::Hours(2));
  const TimeoutCheck check =
      FindTimeouts(plan, RunState::kRunning, start, tasks, absl::Hours(2), clock.Now());
  REQUIRE(check.tasks.size() == 2);
  CHECK(check.tasks[0].reason.description == "task exceeded the global maximum of 2h");
  CHECK(check.tasks[1].task_id == "unlimited");
}

TEST_CASE("A run past its run timeout times out") {
  FakeClock clock;
  const absl::Time start = clock.Now();
  const RunPlan plan = MustPlan({Task("a")}, absl::Minutes(30));
  TaskExecutions tasks = AllPending(plan);
  clock.Advance(absl::Minutes(29));
  TimeoutCheck check =
      FindTimeouts(plan, RunState::kRunning, start, tasks, kNoGlobalMax, clock.Now());
  CHECK_FALSE(check.run.has_value());
  CHECK(check.next_deadline == start + absl::Minutes(30));
  clock.Advance(absl::Minutes(2));
  check = FindTimeouts(plan, RunState::kRunning, start, tasks, kNoGlobalMax, clock.Now());
  REQUIRE(check.run.has_value());
  CHECK(*check.run == StatusReason{ReasonKind::kTimeout, "run exceeded its timeout of 30m"});
  CHECK_FALSE(check.next_deadline.has_value());
}

TEST_CASE("The operator's global maximum caps a run without its own timeout") {
  FakeClock clock;
  const absl::Time start = clock.Now();
  const RunPlan plan = MustPlan({Task("a")});
  clock.Advance(absl::Hours(24));
  const TimeoutCheck check =
      FindTimeouts(plan, RunState::kRunning, start, AllPending(plan), absl::Hours(24), clock.Now());
  REQUIRE(check.run.has_value());
  CHECK(check.run->description == "run exceeded the global maximum of 24h");
}

TEST_CASE("Only running runs and active tasks without a stop requested are checked") {
  FakeClock clock;
  const absl::Time start = clock.Now();
  const RunPlan plan = MustPlan(
      {TaskWithTimeout("stopping", absl::Seconds(1)), TaskWithTimeout("waiting", absl::Seconds(1)),
       TaskWithTimeout("done", absl::Seconds(1))},
      absl::Seconds(1));
  TaskExecutions tasks;
  tasks["stopping"] = RunningSince(start);
  tasks["stopping"].stop_reason = StatusReason{ReasonKind::kCancelled, "cancelled"};
  tasks["waiting"] = InState(TaskState::kWaiting);
  tasks["done"] = Done(TaskStatus::kSuccessful);
  tasks["done"].started = start;
  clock.Advance(absl::Hours(1));
  TimeoutCheck check =
      FindTimeouts(plan, RunState::kRunning, start, tasks, kNoGlobalMax, clock.Now());
  CHECK(check.tasks.empty());
  CHECK(check.run.has_value());
  check = FindTimeouts(plan, RunState::kPending, start, tasks, kNoGlobalMax, clock.Now());
  CHECK_FALSE(check.run.has_value());
  check = FindTimeouts(plan, RunState::kComplete, start, tasks, kNoGlobalMax, clock.Now());
  CHECK_FALSE(check.run.has_value());
}

TEST_CASE("A timed-out task attempt fails with reason timeout and is not retried") {
  const RunPlan plan = MustPlan({TaskWithTimeout("a", absl::Minutes(1))});
  PlannedTask planned = plan.tasks()[0];
  planned.retry = {kMaxAttempts, RetryOn::kAny};
  testing::FixedRandomSource random(0.5);
  const RetryDecision d =
      DecideRetry({AttemptEnd::kTimeout, 143, false, {}, "task exceeded its timeout of 1m"}, 1,
                  planned.retry, {}, random);
  CHECK_FALSE(d.retry);
  CHECK(d.status == TaskStatus::kFailed);
  CHECK(d.reason ==
        StatusReason{ReasonKind::kTimeout, "timed out: task exceeded its timeout of 1m"});
}

TEST_CASE("A run timeout cancels the run, which ends cancelled with reason timeout") {
  FakeClock clock;
  const absl::Time start = clock.Now();
  const RunPlan plan = MustPlan({Task("a"), Task("b", {testing::OnSuccess("a")})}, absl::Hours(1));
  TaskExecutions tasks = AllPending(plan);
  tasks["a"] = RunningSince(start);
  clock.Advance(absl::Hours(1));
  const TimeoutCheck check =
      FindTimeouts(plan, RunState::kRunning, start, tasks, kNoGlobalMax, clock.Now());
  REQUIRE(check.run.has_value());
  const auto cancel =
      PlanRunCancellation(plan, RunState::kRunning, tasks, *check.run, absl::Seconds(10));
  GOFER_REQUIRE_OK(cancel);
  CHECK(cancel->to_stop == std::vector<StopRequest>{{"a", absl::Seconds(10)}});
  REQUIRE(cancel->to_cancel.size() == 1);
  CHECK(cancel->to_cancel[0].reason.kind == ReasonKind::kTimeout);

  tasks["b"] = Done(TaskStatus::kCancelled, ReasonKind::kTimeout, check.run->description);
  tasks["a"] = Done(TaskStatus::kFailed, ReasonKind::kTimeout, check.run->description);
  const Evaluation e = Evaluate(plan, tasks, *check.run);
  REQUIRE(e.run_outcome.has_value());
  CHECK(*e.run_outcome == RunOutcome{RunStatus::kCancelled, *check.run});
}

}  // namespace
}  // namespace gofer::run_queue
