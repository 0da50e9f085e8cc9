#include "run_state_machine.h"

#include <fmt/format.h>

#include "gofer/common/status_macros.h"

namespace gofer::run_queue {
namespace {

absl::Status IllegalRun(RunState from, RunState to, RunStatus status) {
  return absl::FailedPreconditionError(
      fmt::format("illegal run transition: {} → {}{}", RunStateName(from), RunStateName(to),
                  status == RunStatus::kNone ? "" : fmt::format(" ({})", RunStatusName(status))));
}

absl::Status IllegalTask(TaskState from, TaskState to, TaskStatus status) {
  return absl::FailedPreconditionError(fmt::format(
      "illegal task execution transition: {} → {}{}", TaskStateName(from), TaskStateName(to),
      status == TaskStatus::kNone ? "" : fmt::format(" ({})", TaskStatusName(status))));
}

// The statuses a task may complete with from `from`.
bool MayCompleteWith(TaskState from, TaskStatus status) {
  switch (from) {
    case TaskState::kPending:
    case TaskState::kWaiting:
      return status == TaskStatus::kSkipped || status == TaskStatus::kCancelled;
    case TaskState::kStarting:
    case TaskState::kRunning:
      return status == TaskStatus::kSuccessful || status == TaskStatus::kFailed ||
             status == TaskStatus::kCancelled;
    case TaskState::kComplete:
      break;
  }
  return false;
}

bool MayMove(TaskState from, TaskState to) {
  switch (to) {
    case TaskState::kWaiting:  // dispatch, or a retry of an attempt that started
      return from == TaskState::kPending || IsActive(from);
    case TaskState::kStarting:
      return from == TaskState::kWaiting;
    case TaskState::kRunning:
      return from == TaskState::kStarting;
    case TaskState::kPending:
    case TaskState::kComplete:
      break;
  }
  return false;
}

absl::Status CheckCancelArguments(const StatusReason& reason, absl::Duration grace) {
  if (reason.kind != ReasonKind::kCancelled && reason.kind != ReasonKind::kTimeout) {
    return absl::InvalidArgumentError(
        fmt::format("a cancellation's reason must be cancelled or timeout, not {}",
                    ReasonKindName(reason.kind)));
  }
  if (grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the grace period must not be negative");
  }
  return absl::OkStatus();
}

// Adds what cancelling `task` takes to `out`.
void CancelOne(const std::string& id, const TaskExecution& task, const StatusReason& reason,
               absl::Duration grace, CancellationPlan& out) {
  if (task.state == TaskState::kPending || task.state == TaskState::kWaiting) {
    out.to_cancel.push_back({id, TaskStatus::kCancelled, reason});
  } else if (IsActive(task.state) && !task.stop_reason.has_value()) {
    out.to_stop.push_back({id, grace});
  }
}

}  // namespace

absl::Status CheckRunTransition(RunState from, RunState to, RunStatus status) {
  bool legal = false;
  if (to == RunState::kRunning) {
    legal = from == RunState::kPending && status == RunStatus::kNone;
  } else if (to == RunState::kComplete && from == RunState::kRunning) {
    legal = status != RunStatus::kNone;
  } else if (to == RunState::kComplete && from == RunState::kPending) {
    legal = status == RunStatus::kFailed || status == RunStatus::kCancelled;
  }
  return legal ? absl::OkStatus() : IllegalRun(from, to, status);
}

absl::Status CheckTaskTransition(TaskState from, TaskState to, TaskStatus status) {
  const bool legal = to == TaskState::kComplete ? MayCompleteWith(from, status)
                                                : status == TaskStatus::kNone && MayMove(from, to);
  return legal ? absl::OkStatus() : IllegalTask(from, to, status);
}

absl::StatusOr<CancellationPlan> PlanRunCancellation(const RunPlan& plan, RunState run_state,
                                                     const TaskExecutions& tasks,
                                                     const StatusReason& reason,
                                                     absl::Duration grace) {
  GOFER_RETURN_IF_ERROR(CheckCancelArguments(reason, grace));
  if (run_state == RunState::kComplete) {
    return absl::FailedPreconditionError("the run is already complete");
  }
  CancellationPlan out;
  for (const PlannedTask& planned : plan.tasks()) {
    const auto it = tasks.find(planned.id);
    CancelOne(planned.id, it == tasks.end() ? TaskExecution{} : it->second, reason, grace, out);
  }
  return out;
}

absl::StatusOr<CancellationPlan> PlanTaskCancellation(const RunPlan& plan, RunState run_state,
                                                      const TaskExecutions& tasks,
                                                      std::string_view task_id,
                                                      const StatusReason& reason,
                                                      absl::Duration grace) {
  GOFER_RETURN_IF_ERROR(CheckCancelArguments(reason, grace));
  const PlannedTask* planned = plan.Find(task_id);
  if (planned == nullptr) {
    return absl::NotFoundError(fmt::format("the run has no task '{}'", task_id));
  }
  if (run_state == RunState::kComplete) {
    return absl::FailedPreconditionError("the run is already complete");
  }
  const auto it = tasks.find(task_id);
  const TaskExecution task = it == tasks.end() ? TaskExecution{} : it->second;
  if (task.state == TaskState::kComplete) {
    return absl::FailedPreconditionError(
        fmt::format("task '{}' is already complete ({})", task_id, TaskStatusName(task.status)));
  }
  CancellationPlan out;
  CancelOne(planned->id, task, reason, grace, out);
  return out;
}

}  // namespace gofer::run_queue
