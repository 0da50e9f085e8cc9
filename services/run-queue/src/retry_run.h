// Retrying a finished run (F-RUN-7): the initial task executions of the new run, either all
// pending, or only the failed, cancelled and skipped tasks — and every task downstream of them —
// pending again while the other successful tasks keep their results.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "run_plan.h"
#include "states.h"

namespace gofer::run_queue {

// Which tasks a retry runs again.
enum class RetryMode {
  kAll,         // every task
  kFailedOnly,  // failed, cancelled and skipped tasks, and their descendants
};

// The initial state of one task of the retry run.
struct RetryRunTask {
  std::string task_id;
  // Pending (attempt 1), or, when reused, the original execution (complete/successful).
  TaskExecution initial;
  // Kept from the original run: the orchestrator copies its result (exit code, attempts, logs
  // reference) and the new run reuses its run objects instead of running it.
  bool reused = false;

  friend bool operator==(const RetryRunTask&, const RetryRunTask&) = default;
};

// Plans the retry of a finished run whose tasks ended as `finished` (by task id). The retry
// uses the same plan (the original run's config snapshot). Returns one entry per task, in plan
// order. With kFailedOnly a successful task is reused unless one of its ancestors runs again
// (its inputs may change); everything else is pending. Fails with FAILED_PRECONDITION when a
// task of `plan` is missing from `finished` or not complete (the run is not finished), or, with
// kFailedOnly, when every task succeeded (nothing to retry). Thread-safe.
absl::StatusOr<std::vector<RetryRunTask>> PlanRetryRun(const RunPlan& plan,
                                                       const TaskExecutions& finished,
                                                       RetryMode mode);

}  // namespace gofer::run_queue
