// Property tests: random DAGs (seeded PRNG, up to 30 tasks, random conditions and retry
// policies) driven by random task outcomes through the evaluator, the transition checks, the
// retry policy and cancellations, as the orchestrator will drive them. Every run must end with
// every task complete and the run complete: the "never hangs" guarantee.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dag_evaluator.h"
#include "gofer/testing/status.h"
#include "retry_policy.h"
#include "run_queue_fakes.h"
#include "run_state_machine.h"

namespace gofer::run_queue {
namespace {

constexpr int kSeeds = 300;
constexpr int kMaxTasks = 30;
// Far more steps than any run needs (30 tasks × 10 attempts × 4 steps): reaching it is a hang.
constexpr int kMaxSteps = 5000;

bool Chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
}

int Between(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

Condition RandomCondition(std::mt19937_64& rng) {
  const int r = Between(rng, 0, 9);
  return r < 5 ? Condition::kSuccess : r < 7 ? Condition::kFailure : Condition::kAny;
}

// Tasks t00..tNN; each may depend on any earlier one (so the graph is acyclic), given shuffled.
RunPlan RandomPlan(std::mt19937_64& rng) {
  const int n = Between(rng, 1, kMaxTasks);
  std::vector<PlannedTask> tasks;
  for (int i = 0; i < n; ++i) {
    PlannedTask task = testing::Task(fmt::format("t{:02}", i));
    for (int j = 0; j < i; ++j) {
      if (Chance(rng, 0.15)) {
        task.parents.push_back({fmt::format("t{:02}", j), RandomCondition(rng)});
      }
    }
    task.retry = {Between(rng, 1, 4), Chance(rng, 0.5) ? RetryOn::kAny : RetryOn::kInfrastructure};
    tasks.push_back(std::move(task));
  }
  std::shuffle(tasks.begin(), tasks.end(), rng);
  return testing::MustPlan(std::move(tasks));
}

struct Simulation {
  RunPlan plan;
  std::mt19937_64 rng;
  bool with_cancellations = false;
  TaskExecutions tasks;
  std::optional<StatusReason> cancellation;
  bool any_cancel = false;
  std::optional<RunOutcome> outcome;
};

void Move(TaskExecution& task, TaskState to, TaskStatus status = TaskStatus::kNone) {
  GOFER_REQUIRE_OK(CheckTaskTransition(task.state, to, status));
  task.state = to;
  task.status = status;
}

void Complete(TaskExecution& task, const TaskCompletion& c) {
  Move(task, TaskState::kComplete, c.status);
  task.reason = c.reason;
}

bool ConditionHolds(Condition condition, TaskStatus status) {
  return condition == Condition::kAny ||
         (condition == Condition::kSuccess && status == TaskStatus::kSuccessful) ||
         (condition == Condition::kFailure && status == TaskStatus::kFailed);
}

// Applies an evaluation, checking each transition and that every task marked waiting has its
// parents complete with their conditions met.
void Apply(Simulation& sim, const Evaluation& e) {
  for (const auto& list : {e.to_skip, e.to_cancel}) {
    for (const TaskCompletion& c : list) {
      Complete(sim.tasks[c.task_id], c);
    }
  }
  for (const std::string& id : e.to_wait) {
    Move(sim.tasks[id], TaskState::kWaiting);
  }
  for (const std::string& id : e.to_wait) {
    for (const Dependency& dep : sim.plan.Find(id)->parents) {
      const TaskExecution& parent = sim.tasks[dep.parent_id];
      REQUIRE(parent.state == TaskState::kComplete);
      REQUIRE(ConditionHolds(dep.condition, parent.status));
    }
  }
}

// How a running attempt ends when nobody stops it.
AttemptResult RandomResult(std::mt19937_64& rng) {
  AttemptResult r;
  const int roll = Between(rng, 0, 99);
  if (roll < 50) {
    r.exit_code = 0;
  } else if (roll < 75) {
    r.exit_code = 1;
  } else if (roll < 90) {
    r.end = AttemptEnd::kInfrastructure;
    r.cause = InfrastructureCause::kNodeLost;
  } else {
    r.exit_code = 137;
    r.oom_killed = true;
  }
  return r;
}

// Ends the current attempt of an active task through the retry policy.
void Finish(Simulation& sim, const std::string& id, TaskExecution& task, const AttemptResult& r) {
  testing::FixedRandomSource random(0.5);
  const RetryDecision d = DecideRetry(r, task.attempt, sim.plan.Find(id)->retry, {}, random);
  REQUIRE(d.attempt == task.attempt);
  if (d.retry) {
    Move(task, TaskState::kWaiting);
    REQUIRE(d.next_attempt == task.attempt + 1);
    task.attempt = d.next_attempt;
    task.started.reset();
    return;
  }
  Complete(task, {id, d.status, d.reason});
}

AttemptResult StoppedResult(const StatusReason& why) {
  AttemptResult r;
  r.end = why.kind == ReasonKind::kTimeout ? AttemptEnd::kTimeout : AttemptEnd::kCancelled;
  r.detail = why.description;
  return r;
}

// Moves every task the orchestrator is working on one step. Returns whether one was.
bool AdvanceActive(Simulation& sim) {
  bool any = false;
  for (auto& [id, task] : sim.tasks) {
    any = any || task.state == TaskState::kWaiting || IsActive(task.state);
    if (task.state == TaskState::kWaiting) {
      Move(task, TaskState::kStarting);
      task.started = absl::UnixEpoch();
    } else if (IsActive(task.state) && task.stop_reason.has_value()) {
      Finish(sim, id, task, StoppedResult(*task.stop_reason));
    } else if (task.state == TaskState::kStarting) {
      if (Chance(sim.rng, 0.1)) {
        Finish(sim, id, task,
               {AttemptEnd::kInfrastructure,
                {},
                false,
                InfrastructureCause::kImagePullFailed,
                "pull failed"});
      } else {
        Move(task, TaskState::kRunning);
      }
    } else if (task.state == TaskState::kRunning && !Chance(sim.rng, 0.2)) {
      Finish(sim, id, task, RandomResult(sim.rng));
    }
  }
  return any;
}

void ApplyCancellation(Simulation& sim, const absl::StatusOr<CancellationPlan>& plan,
                       const StatusReason& reason) {
  GOFER_REQUIRE_OK(plan);
  for (const TaskCompletion& c : plan->to_cancel) {
    Complete(sim.tasks[c.task_id], c);
  }
  for (const StopRequest& stop : plan->to_stop) {
    sim.tasks[stop.task_id].stop_reason = reason;
  }
  sim.any_cancel = true;
}

// Sometimes cancels the run (by request or timeout) or one incomplete task.
void MaybeCancel(Simulation& sim) {
  if (!sim.with_cancellations || sim.cancellation.has_value()) {
    return;
  }
  if (Chance(sim.rng, 0.03)) {
    const StatusReason reason =
        Chance(sim.rng, 0.5) ? StatusReason{ReasonKind::kCancelled, "cancelled by test"}
                             : StatusReason{ReasonKind::kTimeout, "run exceeded its timeout"};
    ApplyCancellation(
        sim, PlanRunCancellation(sim.plan, RunState::kRunning, sim.tasks, reason, absl::Seconds(1)),
        reason);
    sim.cancellation = reason;
  } else if (Chance(sim.rng, 0.05)) {
    const std::string id =
        sim.plan.tasks()[Between(sim.rng, 0, static_cast<int>(sim.plan.size()) - 1)].id;
    if (sim.tasks[id].state != TaskState::kComplete) {
      const StatusReason reason{ReasonKind::kCancelled, "task cancelled by test"};
      ApplyCancellation(sim,
                        PlanTaskCancellation(sim.plan, RunState::kRunning, sim.tasks, id, reason,
                                             absl::Seconds(1)),
                        reason);
    }
  }
}

// Drives the run until the evaluator completes it; fails on a hang.
void RunToCompletion(Simulation& sim) {
  sim.tasks = testing::AllPending(sim.plan);
  for (int step = 0; step < kMaxSteps && !sim.outcome.has_value(); ++step) {
    const Evaluation e = Evaluate(sim.plan, sim.tasks, sim.cancellation);
    Apply(sim, e);
    REQUIRE(Evaluate(sim.plan, sim.tasks, sim.cancellation).NoTaskDecisions());  // idempotent
    if (e.run_outcome.has_value()) {
      sim.outcome = e.run_outcome;
      break;
    }
    const bool progressed = AdvanceActive(sim) || !e.NoTaskDecisions();
    INFO("step " << step << ": nothing active, nothing decided, run not complete");
    REQUIRE(progressed);
    MaybeCancel(sim);
  }
  REQUIRE(sim.outcome.has_value());
}

// The final state follows F-RUN-2 exactly: a task ran iff all its conditions held on its
// parents' final statuses, and was skipped otherwise (unless it was cancelled).
void CheckFinalState(const Simulation& sim) {
  for (const PlannedTask& planned : sim.plan.tasks()) {
    const TaskExecution& task = sim.tasks.at(planned.id);
    INFO("task " << planned.id << " ended " << TaskStatusName(task.status));
    REQUIRE(task.state == TaskState::kComplete);
    bool holds = true;
    for (const Dependency& dep : planned.parents) {
      holds = holds && ConditionHolds(dep.condition, sim.tasks.at(dep.parent_id).status);
    }
    if (task.status == TaskStatus::kSkipped) {
      CHECK_FALSE(holds);
      CHECK(task.reason.kind == ReasonKind::kDependencyNotMet);
    } else if (task.status != TaskStatus::kCancelled) {
      CHECK(holds);
    } else {
      CHECK(sim.any_cancel);
    }
  }
  CHECK(*sim.outcome == ComputeRunOutcome(sim.plan, sim.tasks, sim.cancellation));
  if (sim.any_cancel) {
    CHECK(sim.outcome->status == RunStatus::kCancelled);
  }
}

TEST_CASE("Random DAGs with random outcomes always run to completion as F-RUN-2 says") {
  for (int seed = 0; seed < kSeeds; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    Simulation sim{RandomPlan(rng), std::mt19937_64(seed + 1'000'000)};
    RunToCompletion(sim);
    CheckFinalState(sim);
    CHECK(sim.outcome->status != RunStatus::kCancelled);
  }
}

TEST_CASE("Random DAGs with random cancellations of runs and tasks always complete") {
  int cancelled_runs = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    Simulation sim{RandomPlan(rng), std::mt19937_64(seed + 2'000'000), true};
    RunToCompletion(sim);
    CheckFinalState(sim);
    cancelled_runs += sim.outcome->status == RunStatus::kCancelled ? 1 : 0;
  }
  CHECK(cancelled_runs > kSeeds / 10);  // the test exercises cancellations, not only success
}

}  // namespace
}  // namespace gofer::run_queue
