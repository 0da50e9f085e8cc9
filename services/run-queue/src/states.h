// The states of runs and task executions as the run-queue's decision logic sees them: plain
// domain types (no proto), converted to and from gofer.v1 (common.proto) at the service edge.
// docs/run-queue.md ("States and DAG semantics") describes the lifecycle they encode.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace gofer::run_queue {

// Lifecycle of a run (gofer.v1.RunState).
enum class RunState {
  kPending,   // accepted and durable, waiting for admission
  kRunning,   // admitted: its DAG is being executed
  kComplete,  // finished; RunOutcome says how
};

// How a complete run ended (gofer.v1.RunStatus).
enum class RunStatus {
  kNone,        // not complete yet
  kSuccessful,  // no task failed or was cancelled (skipped tasks included)
  kFailed,      // a task failed, or the run could not be executed (invalid snapshot)
  kCancelled,   // cancelled by request or by the run/global timeout
};

// Lifecycle of one task execution (gofer.v1.TaskExecutionState).
enum class TaskState {
  kPending,   // created with the run; its parents have not all finished
  kWaiting,   // parents finished and conditions hold; waiting to be dispatched (or retried)
  kStarting,  // the scheduler was asked to start the current attempt's container
  kRunning,   // the current attempt's container runs
  kComplete,  // finished; status says how
};

// How a complete task execution ended (gofer.v1.TaskExecutionStatus).
enum class TaskStatus {
  kNone,        // not complete yet
  kSuccessful,  // the container exited 0
  kFailed,      // non-zero exit, OOM, timeout, or it could not be run
  kCancelled,   // stopped or never started because of a cancellation
  kSkipped,     // not run: a dependency condition was not met
};

// Why a run or task execution ended the way it did (gofer.v1.StatusReasonKind).
enum class ReasonKind {
  kNone,                // no reason (successful, or not complete)
  kAbnormalExit,        // the container exited with a non-zero code
  kTimeout,             // a task, run or global timeout was reached
  kSchedulerError,      // the scheduler failed in a way retries did not fix
  kFailedPrecondition,  // something required was missing (secret, object, valid config)
  kCancelled,           // cancelled by request
  kOomKilled,           // killed for exceeding the memory limit
  kInfrastructure,      // node lost, image pull failed, lease lost, beyond retries
  kDependencyNotMet,    // a dependency condition was not met, so the task was skipped
};

// A structured explanation of a status: a kind for programs, a description for people (never
// holds secrets).
struct StatusReason {
  ReasonKind kind = ReasonKind::kNone;
  std::string description;

  friend bool operator==(const StatusReason&, const StatusReason&) = default;
};

// What the decision logic needs to know about one task execution (one row per task of a run;
// its attempts are recorded separately by the orchestrator).
struct TaskExecution {
  TaskState state = TaskState::kPending;
  // kNone unless state is kComplete.
  TaskStatus status = TaskStatus::kNone;
  // Set when complete and not successful.
  StatusReason reason;
  // The current (or last) attempt, 1-based. A retry moves the task back to kWaiting with the
  // next attempt number.
  int attempt = 1;
  // When the current attempt entered kStarting (the task timeout counts from here); unset
  // before that.
  std::optional<absl::Time> started;
  // Set once the orchestrator asked the scheduler to stop the current attempt, with why
  // (kCancelled or kTimeout); the task completes when the scheduler reports the container gone,
  // the attempt ending as that kind (retry_policy.h AttemptEnd).
  std::optional<StatusReason> stop_reason;

  friend bool operator==(const TaskExecution&, const TaskExecution&) = default;
};

// The task executions of one run by task id. Ordered, so iteration is deterministic.
using TaskExecutions = std::map<std::string, TaskExecution, std::less<>>;

// How a run ended: its final status and the reason.
struct RunOutcome {
  RunStatus status = RunStatus::kNone;
  StatusReason reason;

  friend bool operator==(const RunOutcome&, const RunOutcome&) = default;
};

// One task execution to complete now, with the status and reason to record.
struct TaskCompletion {
  std::string task_id;
  TaskStatus status = TaskStatus::kNone;
  StatusReason reason;

  friend bool operator==(const TaskCompletion&, const TaskCompletion&) = default;
};

// True for the states in which an attempt may have a container: kStarting and kRunning.
bool IsActive(TaskState state);

// Lowercase names as the documentation and descriptions spell them ("pending", "successful",
// "dependency_not_met", ...). Thread-safe.
std::string_view RunStateName(RunState state);
std::string_view RunStatusName(RunStatus status);
std::string_view TaskStateName(TaskState state);
std::string_view TaskStatusName(TaskStatus status);
std::string_view ReasonKindName(ReasonKind kind);

}  // namespace gofer::run_queue
