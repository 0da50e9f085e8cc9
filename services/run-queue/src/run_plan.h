// The immutable plan of one run: its tasks in dependency order with their conditions, timeouts
// and retry policies, built from the run's config snapshot (run_plan_config.h converts the
// proto). Every decision of the run-queue (dag_evaluator.h, run_state_machine.h, timeouts.h,
// retry_policy.h, retry_run.h) reads the plan; none changes it.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "states.h"

namespace gofer::run_queue {

// How a task depends on one parent (gofer.v1.DependencyCondition).
enum class Condition {
  kSuccess,  // run only if the parent succeeded
  kFailure,  // run only if the parent failed
  kAny,      // run once the parent is complete, whatever its status (skipped, cancelled too)
};

// Which failures of a task are retried (gofer.v1.RetryOn).
enum class RetryOn {
  kInfrastructure,  // only infrastructure failures (scheduler unreachable, image pull, node or
                    // lease lost)
  kAny,             // infrastructure and user failures (non-zero exit, OOM)
};

// Attempts in all (the first included) when a policy leaves `attempts` unset: infrastructure
// failures are retried up to this many attempts by default.
inline constexpr int kDefaultAttempts = 3;
// Attempts in all for user failures (non-zero exit, OOM) unless the policy says `on: any`:
// user failures are not retried by default.
inline constexpr int kDefaultUserFailureAttempts = 1;
// The most attempts a policy may ask for (ValidationLimits::max_retry_attempts).
inline constexpr int kMaxAttempts = 10;

// Retries of a task. Timeouts, cancellations and failed preconditions are never retried.
struct RetryPolicy {
  // Attempts in all, the first included, for the failures `on` selects (1..kMaxAttempts).
  // Infrastructure failures are always selected; an explicit 1 turns their retries off.
  int attempts = kDefaultAttempts;
  // Which failures are retried.
  RetryOn on = RetryOn::kInfrastructure;

  // Attempts in all allowed after infrastructure failures: `attempts`.
  int InfrastructureAttempts() const { return attempts; }
  // Attempts in all allowed after user failures: `attempts` with on: any, else
  // kDefaultUserFailureAttempts.
  int UserFailureAttempts() const {
    return on == RetryOn::kAny ? attempts : kDefaultUserFailureAttempts;
  }

  friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

// One parent of a task and the condition on it.
struct Dependency {
  std::string parent_id;
  Condition condition = Condition::kSuccess;

  friend bool operator==(const Dependency&, const Dependency&) = default;
};

// One task of a plan.
struct PlannedTask {
  std::string id;
  // The parents with their conditions; RunPlan::Create sorts them by parent id.
  std::vector<Dependency> parents;
  // Longest one attempt may take from dispatch; absl::InfiniteDuration() when unlimited.
  absl::Duration timeout = absl::InfiniteDuration();
  RetryPolicy retry;
};

// An immutable, validated plan. Copyable; thread-safe for concurrent reads.
class RunPlan {
 public:
  // Validates `tasks` and builds the plan. Fails with FAILED_PRECONDITION, the message listing
  // every problem ("invalid run snapshot: task 'b' depends on unknown task 'x'; ..."), when
  // there are no tasks, a task id is empty or used twice, a parent is unknown, listed twice or
  // the task itself, the tasks depend on each other in a cycle ("a → b → a", → reading
  // "depends on"), a timeout is not positive, or retry attempts are outside 1..kMaxAttempts.
  // `run_timeout` is the pipeline's limit for the whole run (InfiniteDuration: none).
  static absl::StatusOr<RunPlan> Create(std::vector<PlannedTask> tasks,
                                        absl::Duration run_timeout = absl::InfiniteDuration());

  // The tasks in dependency order: every task after all of its parents; among tasks whose
  // parents are placed, the smallest id first. A pure function of the task set.
  const std::vector<PlannedTask>& tasks() const { return tasks_; }

  // Number of tasks (at least one).
  size_t size() const { return tasks_.size(); }

  // The position of `id` in tasks(), or size() when there is no such task.
  size_t IndexOf(std::string_view id) const;

  // The task `id`, or nullptr.
  const PlannedTask* Find(std::string_view id) const;

  // Positions of the parents of tasks()[index], in the order of its `parents`.
  const std::vector<size_t>& ParentsOf(size_t index) const { return parents_[index]; }

  // Positions of the tasks that depend on tasks()[index], ascending.
  const std::vector<size_t>& ChildrenOf(size_t index) const { return children_[index]; }

  // The pipeline's run timeout; absl::InfiniteDuration() when it sets none.
  absl::Duration run_timeout() const { return run_timeout_; }

 private:
  RunPlan() = default;

  std::vector<PlannedTask> tasks_;
  std::vector<std::vector<size_t>> parents_;
  std::vector<std::vector<size_t>> children_;
  std::map<std::string, size_t, std::less<>> index_;
  absl::Duration run_timeout_ = absl::InfiniteDuration();
};

// Lowercase name of a condition as configs spell it: "success", "failure", "any".
std::string_view ConditionName(Condition condition);

// The outcome of a run whose snapshot could not be planned (`error` from RunPlan::Create or
// FromConfig): failed, reason kFailedPrecondition with the error's message. Such a run has no
// task executions; the orchestrator completes it at once instead of evaluating it.
RunOutcome InvalidSnapshotOutcome(const absl::Status& error);

}  // namespace gofer::run_queue
