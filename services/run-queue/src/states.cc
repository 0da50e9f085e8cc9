#include "states.h"

namespace gofer::run_queue {

bool IsActive(TaskState state) {
  return state == TaskState::kStarting || state == TaskState::kRunning;
}

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kPending:
      return "pending";
    case RunState::kRunning:
      return "running";
    case RunState::kComplete:
      return "complete";
  }
  return "unknown";
}

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kNone:
      return "none";
    case RunStatus::kSuccessful:
      return "successful";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string_view TaskStateName(TaskState state) {
  switch (state) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kWaiting:
      return "waiting";
    case TaskState::kStarting:
      return "starting";
    case TaskState::kRunning:
      return "running";
    case TaskState::kComplete:
      return "complete";
  }
  return "unknown";
}

std::string_view TaskStatusName(TaskStatus status) {
  switch (status) {
    case TaskStatus::kNone:
      return "none";
    case TaskStatus::kSuccessful:
      return "successful";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kCancelled:
      return "cancelled";
    case TaskStatus::kSkipped:
      return "skipped";
  }
  return "unknown";
}

std::string_view ReasonKindName(ReasonKind kind) {
  switch (kind) {
    case ReasonKind::kNone:
      return "none";
    case ReasonKind::kAbnormalExit:
      return "abnormal_exit";
    case ReasonKind::kTimeout:
      return "timeout";
    case ReasonKind::kSchedulerError:
      return "scheduler_error";
    case ReasonKind::kFailedPrecondition:
      return "failed_precondition";
    case ReasonKind::kCancelled:
      return "cancelled";
    case ReasonKind::kOomKilled:
      return "oom_killed";
    case ReasonKind::kInfrastructure:
      return "infrastructure";
    case ReasonKind::kDependencyNotMet:
      return "dependency_not_met";
  }
  return "unknown";
}

}  // namespace gofer::run_queue
