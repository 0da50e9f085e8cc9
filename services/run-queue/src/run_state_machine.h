// The legal transitions of runs and task executions (F-RUN-3), and what cancelling a run or a
// task means for its task executions (F-RUN-5). Pure: the orchestrator checks a transition
// before persisting it and applies the cancellation plans it gets here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "run_plan.h"
#include "states.h"

namespace gofer::run_queue {

// Checks that a run may go from `from` to `to`, completing with `status` (kNone unless `to` is
// kComplete). Legal:
//   pending → running                       (admitted)
//   running → complete(successful|failed|cancelled)
//   pending → complete(failed|cancelled)    (invalid snapshot; cancelled before admission)
// Returns OK, or FAILED_PRECONDITION naming both states for anything else: a transition out of
// complete, backwards, to the same state, or with a status that does not fit. Thread-safe.
absl::Status CheckRunTransition(RunState from, RunState to, RunStatus status = RunStatus::kNone);

// Checks that a task execution may go from `from` to `to`, completing with `status` (kNone
// unless `to` is kComplete). Legal:
//   pending → waiting → starting → running            (the happy path)
//   pending|waiting → complete(skipped|cancelled)     (unmet condition; cancellation)
//   starting → complete(successful|failed|cancelled)  (scheduler error, failed precondition,
//                                                      cancelled before the container ran, or a
//                                                      container found already exited)
//   running → complete(successful|failed|cancelled)
//   starting|running → waiting                        (a retry: the next attempt waits for its
//                                                      backoff delay, then is dispatched again)
// Returns OK, or FAILED_PRECONDITION naming both states for anything else (a transition out of
// complete, to the same state, skipping a step, or with a status that does not fit). Thread-safe.
absl::Status CheckTaskTransition(TaskState from, TaskState to,
                                 TaskStatus status = TaskStatus::kNone);

// A container the orchestrator must stop: SIGTERM, then SIGKILL after `grace`.
struct StopRequest {
  std::string task_id;
  absl::Duration grace = absl::ZeroDuration();

  friend bool operator==(const StopRequest&, const StopRequest&) = default;
};

// What a cancellation does to the task executions, in plan order.
struct CancellationPlan {
  // Tasks that never started (pending, waiting): complete/cancelled now, with the reason.
  std::vector<TaskCompletion> to_cancel;
  // Active tasks (starting, running) without a stop already requested: record their
  // stop_reason, ask the scheduler to stop them; each completes when its container is gone.
  std::vector<StopRequest> to_stop;
};

// Cancels a run (F-RUN-5). `reason` is why: kind kCancelled (a request; the description says
// by whom) or kTimeout (the run or global timeout). The orchestrator records the cancellation on
// the run (it is Evaluate's `cancellation` from then on, so tasks that were pending or waiting
// cannot start), applies the plan, and completes the run as cancelled once Evaluate reports it
// (when no task is active any more; at once when none was). Fails with FAILED_PRECONDITION when
// the run is already complete, INVALID_ARGUMENT when `reason`'s kind is neither kCancelled nor
// kTimeout or `grace` is negative. Thread-safe.
absl::StatusOr<CancellationPlan> PlanRunCancellation(const RunPlan& plan, RunState run_state,
                                                     const TaskExecutions& tasks,
                                                     const StatusReason& reason,
                                                     absl::Duration grace);

// Cancels one task of a run that is not complete: pending or waiting → cancelled now; starting or
// running → stopped with `grace` (nothing to do when its stop was already requested). Its children
// then follow their conditions (any runs, success and failure are skipped), and the run ends
// cancelled (ComputeRunOutcome). Fails with NOT_FOUND for a task not in the plan,
// FAILED_PRECONDITION when the run or the task is already complete, INVALID_ARGUMENT as
// PlanRunCancellation. Thread-safe.
absl::StatusOr<CancellationPlan> PlanTaskCancellation(const RunPlan& plan, RunState run_state,
                                                      const TaskExecutions& tasks,
                                                      std::string_view task_id,
                                                      const StatusReason& reason,
                                                      absl::Duration grace);

}  // namespace gofer::run_queue
