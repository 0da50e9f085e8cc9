// Postgres storage of runs, task executions, attempts and log-chunk indexes (schema
// `runqueue`, migrations/0001_runs.sql). Postgres is the source of truth of the run-queue.
//
// Two kinds of writes:
//   - requests from the API (insert a run, ask for a cancellation), which any replica makes;
//   - the lease holder's writes while it processes a run, made through Fenced(): each runs in a
//     transaction that first locks the run's row and checks its lease epoch, so a replica whose
//     lease lapsed (and whose epoch was bumped by the next holder) cannot write (ABORTED,
//     ErrorInfo reason LEASE_LOST).
// Every state change appends its event to the outbox in the same transaction, with the actor
// ("run-queue:<replica>@epoch-<n>" for the holder's writes; the caller's for requests).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/events/outbox.h"
#include "run_records.h"

namespace gofer::pg {
class Pool;
}

namespace gofer::run_queue {

// A run to insert.
struct NewRun {
  // namespace and pipeline; run_id is assigned.
  RunKey key;
  int64_t config_version = 0;
  gofer::v1::PipelineConfig config;
  std::vector<gofer::v1::Variable> variables;
  gofer::v1::Initiator initiator;
  // A second insert with the same key returns the first run (empty: none).
  std::string idempotency_key;
  int64_t retry_of = 0;
  // The task executions to create, in plan order (empty when the snapshot cannot be planned).
  // Reused tasks (retry of a failed run) come complete with their results.
  std::vector<TaskRecord> tasks;
};

// The answer to an admission check.
struct Admission {
  bool admitted = false;
  // Why not ("pipeline parallelism 2 reached", "global limit of 100 running runs reached").
  std::string waiting_reason;
};

// What the finished attempt changes on its task execution: the attempt record's fields, and
// either the next attempt (retry) or the task's completion.
struct AttemptOutcome {
  AttemptRecord attempt;
  bool retry = false;
  absl::Time not_before;  // with retry: earliest dispatch of attempt + 1
};

// The holder's writes to one run, inside one fenced transaction. Each method appends its event.
class FencedWrites {
 public:
  // pending → running.
  virtual void Admit(absl::Time now) = 0;
  // Records why a pending run waits (no event when unchanged).
  virtual void SetWaitingReason(const std::string& reason) = 0;
  // Completes the run (and clears its lease holder).
  virtual void CompleteRun(const RunOutcome& outcome, absl::Time now) = 0;
  // Records a cancellation of the run decided by the holder (the run timeout).
  virtual void RecordCancellation(const StatusReason& reason, absl::Duration grace) = 0;
  // pending → waiting.
  virtual void TaskWaiting(const std::string& task_id, absl::Time now) = 0;
  // pending|waiting → complete (skipped, cancelled), or starting → complete (cancelled before
  // its container ran: the attempt is recorded too).
  virtual void CompleteTask(const TaskCompletion& completion, absl::Time now) = 0;
  // waiting → starting for `attempt`; with `from_pending`, pending → waiting → starting in one
  // write (a task dispatched as soon as it is ready; both events are appended).
  virtual void TaskStarting(const std::string& task_id, int attempt, absl::Time now,
                            bool from_pending = false) = 0;
  // starting → running, with where the container runs.
  virtual void TaskRunning(const std::string& task_id, int attempt, const std::string& scheduler_id,
                           const std::string& node, const std::string& image_digest,
                           const PhaseTimes& phases) = 0;
  // Records that the current attempt is being stopped, and why.
  virtual void TaskStopRequested(const std::string& task_id, const StatusReason& reason,
                                 absl::Duration grace) = 0;
  // Marks an API cancellation request of the task as applied.
  virtual void ClearTaskCancelRequest(const std::string& task_id) = 0;
  // Records a finished attempt: retried (back to waiting, next attempt) or complete.
  virtual void FinishAttempt(const std::string& task_id, const AttemptOutcome& outcome) = 0;
  // Indexes a stored log chunk of the current attempt.
  virtual void AddLogChunk(const std::string& task_id, const LogChunkRecord& chunk) = 0;
  // The lease epoch these writes are fenced by.
  virtual int64_t epoch() const = 0;

 protected:
  ~FencedWrites() = default;
};

class RunStore {
 public:
  // `outbox` writes to the shared events schema. `pool` and `outbox` must outlive the store.
  RunStore(pg::Pool& pool, const events::Outbox& outbox);

  // Inserts a pending run with the next run number of its pipeline, and its task executions.
  // With an idempotency key already used for the pipeline, returns that run and false.
  absl::StatusOr<std::pair<RunRecord, bool>> Insert(const NewRun& run, const std::string& actor,
                                                    absl::Time now);

  // Reads. NOT_FOUND names the run.
  absl::StatusOr<RunRecord> GetRun(const RunKey& key);
  // A pipeline's runs, newest first, with run_id < before (0: from the newest).
  absl::StatusOr<std::vector<RunRecord>> ListRuns(const std::string& namespace_id,
                                                  const std::string& pipeline_id,
                                                  std::optional<RunState> state, int64_t before,
                                                  int limit);
  // The run and its task executions, read together.
  absl::StatusOr<std::pair<RunRecord, std::vector<TaskRecord>>> LoadRun(const RunKey& key);
  // Finished attempts of one task (every task when empty), oldest first.
  absl::StatusOr<std::vector<AttemptRecord>> ListAttempts(const RunKey& key,
                                                          const std::string& task_id);
  // An attempt's log chunks whose lines end after `from_line`, in order.
  absl::StatusOr<std::vector<LogChunkRecord>> ListLogChunks(const RunKey& key,
                                                            const std::string& task_id, int attempt,
                                                            int64_t from_line);
  // Deletes the log-chunk index of a task (every attempt); returns the object keys it named.
  absl::StatusOr<std::vector<std::string>> DeleteLogChunks(const RunKey& key,
                                                           const std::string& task_id,
                                                           const std::string& actor);

  // Requests (any replica). A cancellation of a complete run is FAILED_PRECONDITION; asking
  // twice keeps the first request. RequestCancelAll returns the runs it asked to cancel.
  absl::StatusOr<RunRecord> RequestRunCancel(const RunKey& key, const StatusReason& reason,
                                             absl::Duration grace, const std::string& actor);
  absl::StatusOr<TaskRecord> RequestTaskCancel(const RunKey& key, const std::string& task_id,
                                               absl::Duration grace, const std::string& actor);
  absl::StatusOr<std::vector<int64_t>> RequestCancelAll(const std::string& namespace_id,
                                                        const std::string& pipeline_id,
                                                        const StatusReason& reason,
                                                        absl::Duration grace,
                                                        const std::string& actor);

  // Every unfinished run with when it is due, oldest first, after `after` (for rebuilding the
  // ready queue in pages).
  absl::StatusOr<std::vector<std::pair<RunKey, absl::Time>>> ListUnfinished(const RunKey& after,
                                                                            int limit);
  // The oldest pending runs of a pipeline (the next to admit).
  absl::StatusOr<std::vector<RunKey>> OldestPending(const std::string& namespace_id,
                                                    const std::string& pipeline_id, int limit);

  // Takes the run for `holder`: bumps its lease epoch and returns the run with the new epoch.
  // The caller must hold the run's Redis lease. The event's actor is
  // "<actor_prefix>@epoch-<new epoch>".
  absl::StatusOr<RunRecord> Acquire(const RunKey& key, const std::string& holder,
                                    const std::string& actor_prefix);

  // Decides admission of a pending run under a global advisory lock: the pipeline's running
  // runs plus its pending runs queued before this one must be below `parallelism` (0: no limit),
  // and all running runs below `global_limit` (0: no limit). Fenced like Fenced(); admits the
  // run when allowed, else records the waiting reason.
  absl::StatusOr<Admission> Admit(const RunKey& key, int64_t epoch, const std::string& actor,
                                  int parallelism, int global_limit, absl::Time now);

  // Runs `body` in one transaction fenced by `epoch`: ABORTED (reason LEASE_LOST) when the
  // run's epoch is not `epoch` any more; nothing is written then.
  absl::Status Fenced(const RunKey& key, int64_t epoch, const std::string& actor,
                      const std::function<void(FencedWrites&)>& body);

  // Marks runs of a pipeline beyond its newest `keep` complete runs as expired and returns them
  // (their logs and run objects are to be deleted).
  absl::StatusOr<std::vector<int64_t>> ExpireOldRuns(const std::string& namespace_id,
                                                     const std::string& pipeline_id, int keep);

 private:
  pg::Pool& pool_;
  const events::Outbox& outbox_;
};

// The ErrorInfo reason of a write refused because the lease epoch moved on.
inline constexpr char kLeaseLostReason[] = "LEASE_LOST";
// True for the error Fenced() returns when the lease was lost.
bool IsLeaseLost(const absl::Status& status);

}  // namespace gofer::run_queue
