#include "run_store.h"

#include <algorithm>

#include <pqxx/binarystring>
#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"
#include "gofer/pg/pool.h"
#include "gofer/pg/transaction.h"
#include "run_store_fenced.h"
#include "run_store_sql.h"

namespace gofer::run_queue {
namespace {

using json = nlohmann::json;
using namespace store_sql;  // NOLINT: the store's SQL helpers

std::optional<absl::Time> OptTime(const pqxx::field& f) {
  if (f.is_null()) {
    return std::nullopt;
  }
  return absl::FromUnixMicros(f.as<int64_t>());
}

std::optional<int> OptInt(const pqxx::field& f) {
  if (f.is_null()) {
    return std::nullopt;
  }
  return f.as<int>();
}

template <typename T>
T OrThrow(absl::StatusOr<T> value) {
  if (!value.ok()) {
    throw std::runtime_error(std::string(value.status().message()));
  }
  return *std::move(value);
}

StatusReason Reason(const pqxx::field& kind, const pqxx::field& description) {
  return {OrThrow(ParseReasonKind(kind.as<std::string>())), description.as<std::string>()};
}

std::string VariablesJson(const std::vector<gofer::v1::Variable>& variables) {
  json out = json::array();
  for (const auto& v : variables) {
    out.push_back(
        {{"key", v.key()}, {"value", v.value()}, {"source", static_cast<int>(v.source())}});
  }
  return out.dump();
}

std::vector<gofer::v1::Variable> ParseVariables(const std::string& text) {
  std::vector<gofer::v1::Variable> out;
  for (const auto& item : json::parse(text)) {
    gofer::v1::Variable v;
    v.set_key(item.value("key", ""));
    v.set_value(item.value("value", ""));
    v.set_source(static_cast<gofer::v1::VariableSource>(item.value("source", 0)));
    out.push_back(std::move(v));
  }
  return out;
}

std::string InitiatorJson(const gofer::v1::Initiator& initiator) {
  return json{{"kind", static_cast<int>(initiator.kind())},
              {"name", initiator.name()},
              {"reason", initiator.reason()}}
      .dump();
}

gofer::v1::Initiator ParseInitiator(const std::string& text) {
  const json item = json::parse(text);
  gofer::v1::Initiator out;
  out.set_kind(static_cast<gofer::v1::InitiatorKind>(item.value("kind", 0)));
  out.set_name(item.value("name", ""));
  out.set_reason(item.value("reason", ""));
  return out;
}

const std::string kRunColumns = fmt::format(
    "namespace_id, pipeline_id, run_id, config_version, config, variables::text, "
    "initiator::text, state, status, reason_kind, reason_description, waiting_reason, retry_of, "
    "cancel_kind, cancel_description, cancel_grace_ms, {}, {}, {}, lease_epoch, lease_holder, "
    "expired",
    Us("queued"), Us("started"), Us("ended"));

RunRecord RunFromRow(const pqxx::row& r) {
  RunRecord run;
  run.key = {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int64_t>()};
  run.config_version = r[3].as<int64_t>();
  if (!run.config.ParseFromString(pqxx::binarystring(r[4]).str())) {
    throw std::runtime_error(
        fmt::format("run {}: stored config does not parse", run.key.ToString()));
  }
  run.variables = ParseVariables(r[5].as<std::string>());
  run.initiator = ParseInitiator(r[6].as<std::string>());
  run.state = OrThrow(ParseRunState(r[7].as<std::string>()));
  run.status = OrThrow(ParseRunStatus(r[8].as<std::string>()));
  run.reason = Reason(r[9], r[10]);
  run.waiting_reason = r[11].as<std::string>();
  run.retry_of = r[12].as<int64_t>();
  if (!r[13].is_null()) {
    run.cancellation = Reason(r[13], r[14]);
  }
  run.cancel_grace = absl::Milliseconds(r[15].as<int64_t>());
  run.queued = absl::FromUnixMicros(r[16].as<int64_t>());
  run.started = OptTime(r[17]);
  run.ended = OptTime(r[18]);
  run.lease_epoch = r[19].as<int64_t>();
  run.lease_holder = r[20].as<std::string>();
  run.expired = r[21].as<bool>();
  return run;
}

const std::string kPhaseColumns =
    fmt::format("{}, {}, {}, {}, {}, {}, {}", Us("queued"), Us("leased"), Us("container_created"),
                Us("image_pulled"), Us("started"), Us("exited"), Us("logs_flushed"));

PhaseTimes PhasesFromRow(const pqxx::row& r, int first) {
  return {OptTime(r[first]),     OptTime(r[first + 1]), OptTime(r[first + 2]),
          OptTime(r[first + 3]), OptTime(r[first + 4]), OptTime(r[first + 5]),
          OptTime(r[first + 6])};
}

const std::string kTaskColumns = fmt::format(
    "task_id, position, attempt, state, status, reason_kind, reason_description, exit_code, "
    "node, image_digest, scheduler_id, reused, {}, stop_kind, stop_description, stop_grace_ms, "
    "cancel_requested, cancel_grace_ms, cancel_by, {}",
    Us("not_before"), kPhaseColumns);

TaskRecord TaskFromRow(const pqxx::row& r) {
  TaskRecord t;
  t.task_id = r[0].as<std::string>();
  t.position = r[1].as<int>();
  t.exec.attempt = r[2].as<int>();
  t.exec.state = OrThrow(ParseTaskState(r[3].as<std::string>()));
  t.exec.status = OrThrow(ParseTaskStatus(r[4].as<std::string>()));
  t.exec.reason = Reason(r[5], r[6]);
  t.exit_code = OptInt(r[7]);
  t.node = r[8].as<std::string>();
  t.image_digest = r[9].as<std::string>();
  t.scheduler_id = r[10].as<std::string>();
  t.reused = r[11].as<bool>();
  t.not_before = OptTime(r[12]);
  if (!r[13].is_null()) {
    t.exec.stop_reason = Reason(r[13], r[14]);
  }
  t.stop_grace = absl::Milliseconds(r[15].as<int64_t>());
  t.cancel_requested = r[16].as<bool>();
  t.cancel_grace = absl::Milliseconds(r[17].as<int64_t>());
  t.cancel_by = r[18].as<std::string>();
  t.phases = PhasesFromRow(r, 19);
  // The task timeout counts from entering starting (the attempt's lease time).
  t.exec.started = IsActive(t.exec.state) ? t.phases.leased : std::nullopt;
  return t;
}

const std::string kAttemptColumns = fmt::format(
    "task_id, attempt, status, reason_kind, reason_description, exit_code, node, image_digest, {}",
    kPhaseColumns);

AttemptRecord AttemptFromRow(const pqxx::row& r) {
  AttemptRecord a;
  a.task_id = r[0].as<std::string>();
  a.attempt = r[1].as<int>();
  a.status = OrThrow(ParseTaskStatus(r[2].as<std::string>()));
  a.reason = Reason(r[3], r[4]);
  a.exit_code = OptInt(r[5]);
  a.node = r[6].as<std::string>();
  a.image_digest = r[7].as<std::string>();
  a.phases = PhasesFromRow(r, 8);
  return a;
}

void AppendEvent(pqxx::work& tx, const events::Outbox& outbox, const char* kind, const RunKey& key,
                 const std::string& task_id, const std::string& actor, json details) {
  outbox.Append(tx, {.kind = kind,
                     .namespace_id = key.namespace_id,
                     .pipeline_id = key.pipeline_id,
                     .run_id = key.run_id,
                     .task_id = task_id,
                     .actor = actor,
                     .details = details.dump()});
}

}  // namespace

bool IsLeaseLost(const absl::Status& status) {
  if (!absl::IsAborted(status)) {
    return false;
  }
  const ErrorDetails details = GetErrorDetails(status);
  auto it = details.metadata.find("lease");
  return it != details.metadata.end() && it->second == kLeaseLostReason;
}

RunStore::RunStore(pg::Pool& pool, const events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

absl::StatusOr<std::pair<RunRecord, bool>> RunStore::Insert(const NewRun& run,
                                                            const std::string& actor,
                                                            absl::Time now) {
  using Result = std::pair<RunRecord, bool>;
  return pg::TransactValue<Result>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    const RunKey& k = run.key;
    if (!run.idempotency_key.empty()) {
      const pqxx::result existing = tx.exec_params(
          fmt::format("SELECT {} FROM runs WHERE namespace_id = $1 AND pipeline_id = $2 AND "
                      "idempotency_key = $3",
                      kRunColumns),
          k.namespace_id, k.pipeline_id, run.idempotency_key);
      if (!existing.empty()) {
        return Result{RunFromRow(existing[0]), false};
      }
    }
    const int64_t run_id =
        tx.exec_params1(
              "INSERT INTO pipeline_counters (namespace_id, pipeline_id, last_run_id) "
              "VALUES ($1, $2, 1) ON CONFLICT (namespace_id, pipeline_id) "
              "DO UPDATE SET last_run_id = pipeline_counters.last_run_id + 1 RETURNING last_run_id",
              k.namespace_id, k.pipeline_id)[0]
            .as<int64_t>();
    std::string config;
    run.config.SerializeToString(&config);
    const pqxx::row row = tx.exec_params1(
        fmt::format("INSERT INTO runs (namespace_id, pipeline_id, run_id, config_version, config, "
                    "variables, initiator, idempotency_key, parallelism, state, retry_of, queued, "
                    "next_check_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, "
                    "NULLIF($8, ''), $9, 'pending', $10, {0}, {0}) RETURNING {1}",
                    Ts(11), kRunColumns),
        k.namespace_id, k.pipeline_id, run_id, run.config_version, pqxx::binarystring(config),
        VariablesJson(run.variables), InitiatorJson(run.initiator), run.idempotency_key,
        run.config.parallelism(), run.retry_of, ToUs(now));
    for (const TaskRecord& t : run.tasks) {
      tx.exec_params(
          "INSERT INTO task_executions (namespace_id, pipeline_id, run_id, task_id, position, "
          "attempt, state, status, reason_kind, reason_description, exit_code, node, "
          "image_digest, reused) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
          "NULLIF($11::integer, -1000000), $12, $13, $14)",
          k.namespace_id, k.pipeline_id, run_id, t.task_id, t.position, t.exec.attempt,
          std::string(TaskStateName(t.exec.state)), std::string(TaskStatusName(t.exec.status)),
          std::string(ReasonKindName(t.exec.reason.kind)), t.exec.reason.description,
          t.exit_code.value_or(-1000000), t.node, t.image_digest, t.reused);
    }
    RunRecord record = RunFromRow(row);
    json details = {{"config_version", run.config_version},
                    {"initiator", run.initiator.name()},
                    {"tasks", run.tasks.size()}};
    if (run.retry_of != 0) {
      details["retry_of"] = run.retry_of;
    }
    AppendEvent(tx, outbox_, "run.queued", record.key, "", actor, details);
    return Result{std::move(record), true};
  });
}

absl::StatusOr<RunRecord> RunStore::GetRun(const RunKey& key) {
  return pg::ReadStatementValue<RunRecord>(
      pool_, [&](pqxx::nontransaction& tx) -> absl::StatusOr<RunRecord> {
        static const std::string kSql =
            fmt::format("SELECT {} FROM runs WHERE {}", kRunColumns, kRunWhere);
        tx.conn().prepare("runqueue_get_run", kSql);
        const pqxx::result r =
            tx.exec_prepared("runqueue_get_run", key.namespace_id, key.pipeline_id, key.run_id);
        if (r.empty()) {
          return RunNotFound(key);
        }
        return RunFromRow(r[0]);
      });
}

absl::StatusOr<std::vector<RunRecord>> RunStore::ListRuns(const std::string& namespace_id,
                                                          const std::string& pipeline_id,
                                                          std::optional<RunState> state,
                                                          int64_t before, int limit) {
  return pg::TransactValue<std::vector<RunRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<RunRecord>> {
        std::vector<RunRecord> out;
        const pqxx::result rows = tx.exec_params(
            fmt::format("SELECT {} FROM runs WHERE namespace_id = $1 AND pipeline_id = $2 AND "
                        "($3 = '' OR state = $3) AND ($4::bigint = 0 OR run_id < $4::bigint) "
                        "ORDER BY run_id DESC LIMIT $5",
                        kRunColumns),
            namespace_id, pipeline_id, state ? std::string(RunStateName(*state)) : std::string(),
            before, limit);
        for (const auto& row : rows) {
          out.push_back(RunFromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<std::pair<RunRecord, std::vector<TaskRecord>>> RunStore::LoadRun(const RunKey& key) {
  // Two single-statement reads (two round trips, prepared), not one snapshot: only the lease
  // holder changes a run's state between steps, and a cancellation request read half-way is
  // seen whole at the next step.
  using Result = std::pair<RunRecord, std::vector<TaskRecord>>;
  GOFER_ASSIGN_OR_RETURN(RunRecord run, GetRun(key));
  Result out{std::move(run), {}};
  GOFER_RETURN_IF_ERROR(pg::ReadStatement(pool_, [&](pqxx::nontransaction& tx) {
    static const std::string kSql = fmt::format(
        "SELECT {} FROM task_executions WHERE {} ORDER BY position", kTaskColumns, kRunWhere);
    tx.conn().prepare("runqueue_load_tasks", kSql);
    for (const auto& row :
         tx.exec_prepared("runqueue_load_tasks", key.namespace_id, key.pipeline_id, key.run_id)) {
      out.second.push_back(TaskFromRow(row));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<AttemptRecord>> RunStore::ListAttempts(const RunKey& key,
                                                                  const std::string& task_id) {
  return pg::TransactValue<std::vector<AttemptRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<AttemptRecord>> {
        std::vector<AttemptRecord> out;
        for (const auto& row : tx.exec_params(
                 fmt::format("SELECT {} FROM task_attempts WHERE {} AND ($4 = '' OR task_id = $4) "
                             "ORDER BY task_id, attempt",
                             kAttemptColumns, kRunWhere),
                 key.namespace_id, key.pipeline_id, key.run_id, task_id)) {
          out.push_back(AttemptFromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<LogChunkRecord>> RunStore::ListLogChunks(const RunKey& key,
                                                                    const std::string& task_id,
                                                                    int attempt,
                                                                    int64_t from_line) {
  return pg::TransactValue<std::vector<LogChunkRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<LogChunkRecord>> {
        std::vector<LogChunkRecord> out;
        for (const auto& r : tx.exec_params(
                 fmt::format("SELECT attempt, seq, first_line, line_count, bytes, end_offset, "
                             "object_key FROM task_log_chunks WHERE {} AND task_id = $4 AND "
                             "attempt = $5 AND first_line + line_count > $6 ORDER BY seq",
                             kRunWhere),
                 key.namespace_id, key.pipeline_id, key.run_id, task_id, attempt, from_line)) {
          out.push_back({r[0].as<int>(), r[1].as<int>(), r[2].as<int64_t>(), r[3].as<int>(),
                         r[4].as<int64_t>(), r[5].as<int64_t>(), r[6].as<std::string>()});
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<std::string>> RunStore::DeleteLogChunks(const RunKey& key,
                                                                   const std::string& task_id,
                                                                   const std::string& actor) {
  return pg::TransactValue<std::vector<
      std::string>>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> keys;
    for (const auto& r :
         tx.exec_params(fmt::format("DELETE FROM task_log_chunks WHERE {} AND task_id = $4 "
                                    "RETURNING object_key",
                                    kRunWhere),
                        key.namespace_id, key.pipeline_id, key.run_id, task_id)) {
      keys.push_back(r[0].as<std::string>());
    }
    AppendEvent(tx, outbox_, "task.logs_deleted", key, task_id, actor, {{"chunks", keys.size()}});
    return keys;
  });
}

absl::StatusOr<RunRecord> RunStore::RequestRunCancel(const RunKey& key, const StatusReason& reason,
                                                     absl::Duration grace,
                                                     const std::string& actor) {
  return pg::TransactValue<RunRecord>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<RunRecord> {
    const pqxx::result r = tx.exec_params(
        fmt::format("SELECT state, cancel_kind IS NOT NULL FROM runs WHERE {} FOR UPDATE",
                    kRunWhere),
        key.namespace_id, key.pipeline_id, key.run_id);
    if (r.empty()) {
      return RunNotFound(key);
    }
    if (r[0][0].as<std::string>() == "complete") {
      return WithErrorInfo(
          absl::FailedPreconditionError(fmt::format("run {} of pipeline '{}' is already complete",
                                                    key.run_id, key.pipeline_id)),
          ErrorReason::kFailedPrecondition);
    }
    if (!r[0][1].as<bool>()) {
      tx.exec_params(fmt::format("UPDATE runs SET cancel_kind = $4, cancel_description = $5, "
                                 "cancel_grace_ms = $6, next_check_at = now() WHERE {}",
                                 kRunWhere),
                     key.namespace_id, key.pipeline_id, key.run_id,
                     std::string(ReasonKindName(reason.kind)), reason.description, ToMs(grace));
      json details = ReasonDetails(reason);
      details["grace_ms"] = ToMs(grace);
      AppendEvent(tx, outbox_, "run.cancel_requested", key, "", actor, details);
    }
    return RunFromRow(
        tx.exec_params1(fmt::format("SELECT {} FROM runs WHERE {}", kRunColumns, kRunWhere),
                        key.namespace_id, key.pipeline_id, key.run_id));
  });
}

absl::StatusOr<TaskRecord> RunStore::RequestTaskCancel(const RunKey& key,
                                                       const std::string& task_id,
                                                       absl::Duration grace,
                                                       const std::string& actor) {
  return pg::TransactValue<TaskRecord>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<TaskRecord> {
    const pqxx::result run =
        tx.exec_params(fmt::format("SELECT state FROM runs WHERE {} FOR UPDATE", kRunWhere),
                       key.namespace_id, key.pipeline_id, key.run_id);
    if (run.empty()) {
      return RunNotFound(key);
    }
    const pqxx::result r =
        tx.exec_params(fmt::format("SELECT {} FROM task_executions WHERE {} AND task_id = $4",
                                   kTaskColumns, kRunWhere),
                       key.namespace_id, key.pipeline_id, key.run_id, task_id);
    if (r.empty()) {
      return NotFoundError("task execution", task_id,
                           {{"namespace", key.namespace_id},
                            {"pipeline", key.pipeline_id},
                            {"run", std::to_string(key.run_id)}});
    }
    TaskRecord task = TaskFromRow(r[0]);
    if (run[0][0].as<std::string>() == "complete" || task.exec.state == TaskState::kComplete) {
      return WithErrorInfo(absl::FailedPreconditionError(fmt::format(
                               "task '{}' of run {} is already complete", task_id, key.run_id)),
                           ErrorReason::kFailedPrecondition);
    }
    if (!task.cancel_requested && !task.exec.stop_reason) {
      tx.exec_params(
          fmt::format("UPDATE task_executions SET cancel_requested = true, cancel_grace_ms = $5, "
                      "cancel_by = $6 WHERE {} AND task_id = $4",
                      kRunWhere),
          key.namespace_id, key.pipeline_id, key.run_id, task_id, ToMs(grace), actor);
      tx.exec_params(fmt::format("UPDATE runs SET next_check_at = now() WHERE {}", kRunWhere),
                     key.namespace_id, key.pipeline_id, key.run_id);
      AppendEvent(tx, outbox_, "task.cancel_requested", key, task_id, actor,
                  {{"grace_ms", ToMs(grace)}});
      task.cancel_requested = true;
      task.cancel_grace = grace;
      task.cancel_by = actor;
    }
    return task;
  });
}

absl::StatusOr<std::vector<int64_t>> RunStore::RequestCancelAll(const std::string& namespace_id,
                                                                const std::string& pipeline_id,
                                                                const StatusReason& reason,
                                                                absl::Duration grace,
                                                                const std::string& actor) {
  return pg::TransactValue<std::vector<int64_t>>(
      pool_, [&](pqxx::work& tx) -> absl::StatusOr<std::vector<int64_t>> {
        std::vector<int64_t> ids;
        for (const auto& r : tx.exec_params(
                 "UPDATE runs SET cancel_kind = $3, cancel_description = $4, cancel_grace_ms = $5, "
                 "next_check_at = now() WHERE namespace_id = $1 AND pipeline_id = $2 AND "
                 "state <> 'complete' AND cancel_kind IS NULL RETURNING run_id",
                 namespace_id, pipeline_id, std::string(ReasonKindName(reason.kind)),
                 reason.description, ToMs(grace))) {
          ids.push_back(r[0].as<int64_t>());
        }
        std::sort(ids.begin(), ids.end());
        for (int64_t id : ids) {
          json details = ReasonDetails(reason);
          details["grace_ms"] = ToMs(grace);
          AppendEvent(tx, outbox_, "run.cancel_requested", {namespace_id, pipeline_id, id}, "",
                      actor, details);
        }
        return ids;
      });
}

absl::StatusOr<std::vector<std::pair<RunKey, absl::Time>>> RunStore::ListUnfinished(
    const RunKey& after, int limit) {
  using Result = std::vector<std::pair<RunKey, absl::Time>>;
  return pg::TransactValue<Result>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<Result> {
        Result out;
        for (const auto& r : tx.exec_params(
                 fmt::format("SELECT namespace_id, pipeline_id, run_id, {} FROM runs "
                             "WHERE state <> 'complete' AND (namespace_id, pipeline_id, run_id) > "
                             "($1, $2, $3) ORDER BY namespace_id, pipeline_id, run_id LIMIT $4",
                             Us("next_check_at")),
                 after.namespace_id, after.pipeline_id, after.run_id, limit)) {
          out.push_back({{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int64_t>()},
                         absl::FromUnixMicros(r[3].as<int64_t>())});
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<RunKey>> RunStore::OldestPending(const std::string& namespace_id,
                                                            const std::string& pipeline_id,
                                                            int limit) {
  return pg::TransactValue<std::vector<RunKey>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<RunKey>> {
        std::vector<RunKey> out;
        for (const auto& r :
             tx.exec_params("SELECT run_id FROM runs WHERE namespace_id = $1 AND pipeline_id = $2 "
                            "AND state = 'pending' ORDER BY queued, run_id LIMIT $3",
                            namespace_id, pipeline_id, limit)) {
          out.push_back({namespace_id, pipeline_id, r[0].as<int64_t>()});
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<RunRecord> RunStore::Acquire(const RunKey& key, const std::string& holder,
                                            const std::string& actor_prefix) {
  return pg::TransactValue<RunRecord>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<RunRecord> {
    const pqxx::result r = tx.exec_params(
        fmt::format("UPDATE runs SET lease_epoch = lease_epoch + 1, lease_holder = $4 WHERE {} "
                    "RETURNING {}",
                    kRunWhere, kRunColumns),
        key.namespace_id, key.pipeline_id, key.run_id, holder);
    if (r.empty()) {
      return RunNotFound(key);
    }
    RunRecord run = RunFromRow(r[0]);
    if (run.state != RunState::kComplete) {
      AppendEvent(tx, outbox_, "run.leased", key, "",
                  fmt::format("{}@epoch-{}", actor_prefix, run.lease_epoch),
                  {{"epoch", run.lease_epoch}, {"holder", holder}});
    }
    return run;
  });
}

absl::StatusOr<Admission> RunStore::Admit(const RunKey& key, int64_t epoch,
                                          const std::string& actor, int parallelism,
                                          int global_limit, absl::Time now) {
  return pg::TransactValue<Admission>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<Admission> {
    GOFER_RETURN_IF_ERROR(CheckEpoch(tx, key, epoch));
    Admission admission;
    FencedTransaction fenced(tx, outbox_, key, epoch, actor);
    FencedWrites& writes = fenced.writes();
    if (parallelism <= 0 && global_limit <= 0) {
      admission.admitted = true;  // no limit to hold
      writes.Admit(now);
      fenced.Flush();
      return admission;
    }
    // One admission at a time across all replicas, so limits hold under concurrency.
    tx.exec("SELECT pg_advisory_xact_lock(hashtextextended('gofer-runqueue-admission', 0))");
    const pqxx::row counts = tx.exec_params1(
        fmt::format("SELECT (SELECT count(*) FROM runs WHERE state = 'running'), "
                    "(SELECT count(*) FROM runs WHERE namespace_id = $1 AND pipeline_id = $2 AND "
                    "state = 'running'), "
                    "(SELECT count(*) FROM runs p, runs me WHERE me.namespace_id = $1 AND "
                    "me.pipeline_id = $2 AND me.run_id = $3 AND p.namespace_id = $1 AND "
                    "p.pipeline_id = $2 AND p.state = 'pending' AND (p.queued, p.run_id) < "
                    "(me.queued, me.run_id))"),
        key.namespace_id, key.pipeline_id, key.run_id);
    const int64_t global_running = counts[0].as<int64_t>();
    const int64_t pipeline_running = counts[1].as<int64_t>();
    const int64_t ahead = counts[2].as<int64_t>();
    if (parallelism > 0 && pipeline_running + ahead >= parallelism) {
      admission.waiting_reason =
          ahead == 0 ? fmt::format("pipeline parallelism {} reached ({} running)", parallelism,
                                   pipeline_running)
                     : fmt::format("pipeline parallelism {} reached ({} running, {} queued ahead)",
                                   parallelism, pipeline_running, ahead);
    } else if (global_limit > 0 && global_running >= global_limit) {
      admission.waiting_reason =
          fmt::format("global limit of {} running runs reached", global_limit);
    } else {
      admission.admitted = true;
    }
    if (admission.admitted) {
      writes.Admit(now);
    } else {
      writes.SetWaitingReason(admission.waiting_reason);
    }
    fenced.Flush();
    return admission;
  });
}

absl::Status RunStore::Fenced(const RunKey& key, int64_t epoch, const std::string& actor,
                              const std::function<void(FencedWrites&)>& body) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    GOFER_RETURN_IF_ERROR(CheckEpoch(tx, key, epoch));
    FencedTransaction fenced(tx, outbox_, key, epoch, actor);
    FencedWrites& writes = fenced.writes();
    body(writes);
    fenced.Flush();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> RunStore::ExpireOldRuns(const std::string& namespace_id,
                                                             const std::string& pipeline_id,
                                                             int keep) {
  return pg::TransactValue<std::vector<int64_t>>(
      pool_, [&](pqxx::work& tx) -> absl::StatusOr<std::vector<int64_t>> {
        std::vector<int64_t> ids;
        for (const auto& r : tx.exec_params(
                 "UPDATE runs SET expired = true WHERE namespace_id = $1 AND pipeline_id = $2 AND "
                 "state = 'complete' AND NOT expired AND run_id < (SELECT coalesce(min(run_id), 0) "
                 "FROM (SELECT run_id FROM runs WHERE namespace_id = $1 AND pipeline_id = $2 "
                 "ORDER BY run_id DESC LIMIT $3) newest) "
                 // Objects are deleted by run-number range: never past an unfinished run.
                 "AND run_id < coalesce((SELECT min(run_id) FROM runs WHERE namespace_id = $1 "
                 "AND pipeline_id = $2 AND state <> 'complete'), 9223372036854775807) "
                 "RETURNING run_id",
                 namespace_id, pipeline_id, keep)) {
          ids.push_back(r[0].as<int64_t>());
        }
        std::sort(ids.begin(), ids.end());
        for (int64_t id : ids) {
          // The chunks go with their index: nothing may point at deleted objects.
          tx.exec_params(
              "DELETE FROM task_log_chunks WHERE namespace_id = $1 AND pipeline_id = $2 AND "
              "run_id = $3",
              namespace_id, pipeline_id, id);
          AppendEvent(tx, outbox_, "run.expired", {namespace_id, pipeline_id, id}, "", "run-queue",
                      {{"keep", keep}});
        }
        return ids;
      });
}

}  // namespace gofer::run_queue
