#include "run_store_fenced.h"

#include <pqxx/result>
#include <pqxx/row>

#include <vector>

#include "run_store_sql.h"

namespace gofer::run_queue {

using json = nlohmann::json;
using namespace store_sql;  // NOLINT: the store's SQL helpers

class FencedWritesImpl final : public FencedWrites {
 public:
  FencedWritesImpl(pqxx::work& tx, const events::Outbox& outbox, const RunKey& key, int64_t epoch,
                   std::string actor)
      : tx_(tx), outbox_(outbox), key_(key), epoch_(epoch), actor_(std::move(actor)) {}

  void Admit(absl::Time now) override {
    tx_.exec_params(fmt::format("UPDATE runs SET state = 'running', waiting_reason = '', "
                                "started = {} WHERE {}",
                                Ts(4), kRunWhere),
                    key_.namespace_id, key_.pipeline_id, key_.run_id, ToUs(now));
    Event("run.started", "", json::object());
  }

  void SetWaitingReason(const std::string& reason) override {
    const pqxx::result r = tx_.exec_params(
        fmt::format("UPDATE runs SET waiting_reason = $4 WHERE {} AND waiting_reason <> $4",
                    kRunWhere),
        key_.namespace_id, key_.pipeline_id, key_.run_id, reason);
    if (r.affected_rows() > 0) {
      Event("run.waiting", "", {{"waiting_reason", reason}});
    }
  }

  void CompleteRun(const RunOutcome& outcome, absl::Time now) override {
    tx_.exec_params(
        fmt::format("UPDATE runs SET state = 'complete', status = $4, reason_kind = $5, "
                    "reason_description = $6, waiting_reason = '', ended = {}, lease_holder = '' "
                    "WHERE {}",
                    Ts(7), kRunWhere),
        key_.namespace_id, key_.pipeline_id, key_.run_id,
        std::string(RunStatusName(outcome.status)),
        std::string(ReasonKindName(outcome.reason.kind)), outcome.reason.description, ToUs(now));
    json details = ReasonDetails(outcome.reason);
    details["status"] = RunStatusName(outcome.status);
    Event("run.completed", "", details);
  }

  void RecordCancellation(const StatusReason& reason, absl::Duration grace) override {
    tx_.exec_params(fmt::format("UPDATE runs SET cancel_kind = $4, cancel_description = $5, "
                                "cancel_grace_ms = $6 WHERE {} AND cancel_kind IS NULL",
                                kRunWhere),
                    key_.namespace_id, key_.pipeline_id, key_.run_id,
                    std::string(ReasonKindName(reason.kind)), reason.description, ToMs(grace));
    Event("run.cancelling", "", ReasonDetails(reason));
  }

  void TaskWaiting(const std::string& task_id, absl::Time now) override {
    UpdateTask(task_id, fmt::format("state = 'waiting', queued = {}", Ts(5)), ToUs(now));
    Event("task.waiting", task_id, json::object());
  }

  void CompleteTask(const TaskCompletion& c, absl::Time now) override {
    tx_.exec_params(
        fmt::format("UPDATE task_executions SET state = 'complete', status = $5, "
                    "reason_kind = $6, reason_description = $7, cancel_requested = false, "
                    "exited = CASE WHEN state IN ('starting', 'running') THEN {} ELSE exited END "
                    "WHERE {} AND task_id = $4",
                    Ts(8), kRunWhere),
        key_.namespace_id, key_.pipeline_id, key_.run_id, c.task_id,
        std::string(TaskStatusName(c.status)), std::string(ReasonKindName(c.reason.kind)),
        c.reason.description, ToUs(now));
    json details = ReasonDetails(c.reason);
    details["status"] = TaskStatusName(c.status);
    Event("task.completed", c.task_id, details);
  }

  void TaskStarting(const std::string& task_id, int attempt, absl::Time now,
                    bool from_pending) override {
    if (from_pending) {
      Event("task.waiting", task_id, json::object());
    }
    UpdateTask(task_id,
               fmt::format("state = 'starting', attempt = $6, leased = {0}, not_before = NULL, "
                           "queued = CASE WHEN $7::boolean THEN {0} ELSE queued END, "
                           "container_created = NULL, image_pulled = NULL, started = NULL, "
                           "exited = NULL, logs_flushed = NULL, exit_code = NULL, node = '', "
                           "image_digest = '', scheduler_id = '', stop_kind = NULL, "
                           "stop_description = '', stop_grace_ms = 0",
                           Ts(5)),
               ToUs(now), attempt, from_pending);
    Event("task.starting", task_id, {{"attempt", attempt}});
  }

  void TaskRunning(const std::string& task_id, int attempt, const std::string& scheduler_id,
                   const std::string& node, const std::string& image_digest,
                   const PhaseTimes& phases) override {
    UpdateTask(task_id,
               fmt::format("state = 'running', scheduler_id = $5, node = $6, image_digest = $7, "
                           "container_created = {}, image_pulled = {}, started = {}",
                           Ts(8), Ts(9), Ts(10)),
               scheduler_id, node, image_digest, ToUs(phases.container_created),
               ToUs(phases.image_pulled), ToUs(phases.started));
    Event("task.running", task_id,
          {{"attempt", attempt}, {"node", node}, {"image_digest", image_digest}});
  }

  void TaskStopRequested(const std::string& task_id, const StatusReason& reason,
                         absl::Duration grace) override {
    UpdateTask(task_id, "stop_kind = $5, stop_description = $6, stop_grace_ms = $7",
               std::string(ReasonKindName(reason.kind)), reason.description, ToMs(grace));
    json details = ReasonDetails(reason);
    details["grace_ms"] = ToMs(grace);
    Event("task.stopping", task_id, details);
  }

  void ClearTaskCancelRequest(const std::string& task_id) override {
    UpdateTask(task_id, "cancel_requested = false");
  }

  void FinishAttempt(const std::string& task_id, const AttemptOutcome& outcome) override {
    const AttemptRecord& a = outcome.attempt;
    const PhaseTimes& p = a.phases;
    tx_.exec_params(
        fmt::format("INSERT INTO task_attempts (namespace_id, pipeline_id, run_id, task_id, "
                    "attempt, status, reason_kind, reason_description, exit_code, node, "
                    "image_digest, queued, leased, container_created, image_pulled, started, "
                    "exited, logs_flushed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                    "NULLIF($9::integer, -1000000), $10, $11, {}, {}, {}, {}, {}, {}, {}) "
                    "ON CONFLICT DO NOTHING",
                    Ts(12), Ts(13), Ts(14), Ts(15), Ts(16), Ts(17), Ts(18)),
        key_.namespace_id, key_.pipeline_id, key_.run_id, task_id, a.attempt,
        std::string(TaskStatusName(a.status)), std::string(ReasonKindName(a.reason.kind)),
        a.reason.description, a.exit_code.value_or(-1000000), a.node, a.image_digest,
        ToUs(p.queued), ToUs(p.leased), ToUs(p.container_created), ToUs(p.image_pulled),
        ToUs(p.started), ToUs(p.exited), ToUs(p.logs_flushed));
    json details = ReasonDetails(a.reason);
    details["attempt"] = a.attempt;
    details["status"] = TaskStatusName(a.status);
    if (a.exit_code) {
      details["exit_code"] = *a.exit_code;
    }
    if (outcome.retry) {
      UpdateTask(task_id,
                 fmt::format("state = 'waiting', attempt = $5, not_before = {}, exit_code = "
                             "NULLIF($7::integer, -1000000), exited = {}, logs_flushed = {}, "
                             "reason_kind = $10, reason_description = $11",
                             Ts(6), Ts(8), Ts(9)),
                 a.attempt + 1, ToUs(outcome.not_before), a.exit_code.value_or(-1000000),
                 ToUs(p.exited), ToUs(p.logs_flushed), std::string(ReasonKindName(a.reason.kind)),
                 a.reason.description);
      details["next_attempt"] = a.attempt + 1;
      Event("task.retrying", task_id, details);
      return;
    }
    UpdateTask(task_id,
               fmt::format("state = 'complete', status = $5, reason_kind = $6, "
                           "reason_description = $7, exit_code = NULLIF($8::integer, -1000000), "
                           "exited = {}, logs_flushed = {}, cancel_requested = false",
                           Ts(9), Ts(10)),
               std::string(TaskStatusName(a.status)), std::string(ReasonKindName(a.reason.kind)),
               a.reason.description, a.exit_code.value_or(-1000000), ToUs(p.exited),
               ToUs(p.logs_flushed));
    Event("task.completed", task_id, details);
  }

  void AddLogChunk(const std::string& task_id, const LogChunkRecord& c) override {
    tx_.exec_params(
        "INSERT INTO task_log_chunks (namespace_id, pipeline_id, run_id, task_id, attempt, seq, "
        "first_line, line_count, bytes, end_offset, object_key) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        key_.namespace_id, key_.pipeline_id, key_.run_id, task_id, c.attempt, c.seq, c.first_line,
        c.line_count, c.bytes, c.end_offset, c.object_key);
  }

  int64_t epoch() const override { return epoch_; }

 private:
  template <typename... Args>
  void UpdateTask(const std::string& task_id, const std::string& set, Args&&... args) {
    const pqxx::result r = tx_.exec_params(
        fmt::format("UPDATE task_executions SET {} WHERE {} AND task_id = $4", set, kRunWhere),
        key_.namespace_id, key_.pipeline_id, key_.run_id, task_id, std::forward<Args>(args)...);
    if (r.affected_rows() != 1) {
      throw std::runtime_error(
          fmt::format("run {} has no task execution '{}'", key_.ToString(), task_id));
    }
  }

  void Event(const char* kind, const std::string& task_id, json details) {
    events_.push_back({.kind = kind,
                       .namespace_id = key_.namespace_id,
                       .pipeline_id = key_.pipeline_id,
                       .run_id = key_.run_id,
                       .task_id = task_id,
                       .actor = actor_,
                       .details = details.dump()});
  }

 public:
  // Appends the events of every write, in order, in one statement.
  void Flush() {
    outbox_.AppendAll(tx_, events_);
    events_.clear();
  }

 private:
  std::vector<events::Event> events_;

  pqxx::work& tx_;
  const events::Outbox& outbox_;
  const RunKey& key_;
  const int64_t epoch_;
  const std::string actor_;
};

// Locks the run's row and checks its epoch.
absl::Status CheckEpoch(pqxx::work& tx, const RunKey& key, int64_t epoch) {
  const pqxx::result r =
      tx.exec_params(fmt::format("SELECT lease_epoch FROM runs WHERE {} FOR UPDATE", kRunWhere),
                     key.namespace_id, key.pipeline_id, key.run_id);
  if (r.empty()) {
    return RunNotFound(key);
  }
  if (r[0][0].as<int64_t>() != epoch) {
    return LeaseLost(key, epoch);
  }
  return absl::OkStatus();
}

FencedTransaction::FencedTransaction(pqxx::work& tx, const events::Outbox& outbox,
                                     const RunKey& key, int64_t epoch, std::string actor)
    : impl_(std::make_unique<FencedWritesImpl>(tx, outbox, key, epoch, std::move(actor))) {}

FencedTransaction::~FencedTransaction() = default;

FencedWrites& FencedTransaction::writes() { return *impl_; }

void FencedTransaction::Flush() { impl_->Flush(); }

}  // namespace gofer::run_queue
