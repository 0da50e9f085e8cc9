// The durable records of the run-queue (runs, task executions, attempts, log chunks) as plain
// structs: what RunStore reads and writes, what the orchestrator decides on, and what the service
// converts to gofer.v1 messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/v1/common.pb.h"
#include "gofer/v1/pipelines.pb.h"
#include "states.h"

namespace gofer::run_queue {

// Names one run.
struct RunKey {
  std::string namespace_id;
  std::string pipeline_id;
  int64_t run_id = 0;

  // "<namespace>/<pipeline>/<run>": the run's member in the ready queue and its lease key.
  std::string ToString() const;
  // The inverse of ToString; INVALID_ARGUMENT for anything else.
  static absl::StatusOr<RunKey> Parse(std::string_view text);

  friend bool operator==(const RunKey&, const RunKey&) = default;
  friend auto operator<=>(const RunKey&, const RunKey&) = default;
};

// One durable run.
struct RunRecord {
  RunKey key;
  int64_t config_version = 0;
  // The snapshot the run executes.
  gofer::v1::PipelineConfig config;
  std::vector<gofer::v1::Variable> variables;
  gofer::v1::Initiator initiator;
  RunState state = RunState::kPending;
  RunStatus status = RunStatus::kNone;
  StatusReason reason;
  // While pending: why it is not admitted yet.
  std::string waiting_reason;
  int64_t retry_of = 0;
  // A requested cancellation (kind kCancelled or kTimeout), and its grace period.
  std::optional<StatusReason> cancellation;
  absl::Duration cancel_grace = absl::ZeroDuration();
  absl::Time queued;
  std::optional<absl::Time> started;
  std::optional<absl::Time> ended;
  int64_t lease_epoch = 0;
  std::string lease_holder;
  bool expired = false;
};

// When each phase of an attempt happened (F-RUN-10); unset: not yet.
struct PhaseTimes {
  std::optional<absl::Time> queued;
  std::optional<absl::Time> leased;
  std::optional<absl::Time> container_created;
  std::optional<absl::Time> image_pulled;
  std::optional<absl::Time> started;
  std::optional<absl::Time> exited;
  std::optional<absl::Time> logs_flushed;
};

// One task execution: the decision state (`exec`, what dag_evaluator.h and friends read) plus
// what the orchestrator and the API need.
struct TaskRecord {
  std::string task_id;
  int position = 0;
  TaskExecution exec;
  std::optional<int> exit_code;
  std::string node;
  std::string image_digest;
  std::string scheduler_id;
  bool reused = false;
  // Earliest dispatch of the current attempt (retry backoff).
  std::optional<absl::Time> not_before;
  absl::Duration stop_grace = absl::ZeroDuration();
  // A cancellation requested through the API, not applied yet by the lease holder.
  bool cancel_requested = false;
  absl::Duration cancel_grace = absl::ZeroDuration();
  std::string cancel_by;
  PhaseTimes phases;
};

// One finished attempt (never changes once written).
struct AttemptRecord {
  std::string task_id;
  int attempt = 1;
  TaskStatus status = TaskStatus::kNone;
  StatusReason reason;
  std::optional<int> exit_code;
  std::string node;
  std::string image_digest;
  PhaseTimes phases;
};

// One stored chunk of an attempt's log.
struct LogChunkRecord {
  int attempt = 1;
  int seq = 0;
  int64_t first_line = 0;
  int line_count = 0;
  int64_t bytes = 0;
  // The scheduler's output offset just after the chunk's last line.
  int64_t end_offset = 0;
  std::string object_key;
};

// Parses the lowercase names of states.h (the inverse of RunStateName and friends).
// INVALID_ARGUMENT for an unknown name.
absl::StatusOr<RunState> ParseRunState(std::string_view name);
absl::StatusOr<RunStatus> ParseRunStatus(std::string_view name);
absl::StatusOr<TaskState> ParseTaskState(std::string_view name);
absl::StatusOr<TaskStatus> ParseTaskStatus(std::string_view name);
absl::StatusOr<ReasonKind> ParseReasonKind(std::string_view name);

}  // namespace gofer::run_queue
