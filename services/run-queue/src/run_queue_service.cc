#include "run_queue_service.h"

#include <grpcpp/alarm.h>

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "gofer/common/errors.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/rpc/status.h"
#include "retry_run.h"
#include "run_plan_config.h"

namespace gofer::run_queue {
namespace {

namespace v1 = gofer::v1;

constexpr size_t kMaxIdempotencyKey = 128;
constexpr size_t kMaxReason = 1024;

v1::RunState ToProto(RunState s) {
  switch (s) {
    case RunState::kPending:
      return v1::RUN_STATE_PENDING;
    case RunState::kRunning:
      return v1::RUN_STATE_RUNNING;
    case RunState::kComplete:
      return v1::RUN_STATE_COMPLETE;
  }
  return v1::RUN_STATE_UNSPECIFIED;
}

v1::RunStatus ToProto(RunStatus s) {
  switch (s) {
    case RunStatus::kSuccessful:
      return v1::RUN_STATUS_SUCCESSFUL;
    case RunStatus::kFailed:
      return v1::RUN_STATUS_FAILED;
    case RunStatus::kCancelled:
      return v1::RUN_STATUS_CANCELLED;
    case RunStatus::kNone:
      break;
  }
  return v1::RUN_STATUS_UNSPECIFIED;
}

v1::TaskExecutionState ToProto(TaskState s) {
  switch (s) {
    case TaskState::kPending:
      return v1::TASK_EXECUTION_STATE_PENDING;
    case TaskState::kWaiting:
      return v1::TASK_EXECUTION_STATE_WAITING;
    case TaskState::kStarting:
      return v1::TASK_EXECUTION_STATE_STARTING;
    case TaskState::kRunning:
      return v1::TASK_EXECUTION_STATE_RUNNING;
    case TaskState::kComplete:
      return v1::TASK_EXECUTION_STATE_COMPLETE;
  }
  return v1::TASK_EXECUTION_STATE_UNSPECIFIED;
}

v1::TaskExecutionStatus ToProto(TaskStatus s) {
  switch (s) {
    case TaskStatus::kSuccessful:
      return v1::TASK_EXECUTION_STATUS_SUCCESSFUL;
    case TaskStatus::kFailed:
      return v1::TASK_EXECUTION_STATUS_FAILED;
    case TaskStatus::kCancelled:
      return v1::TASK_EXECUTION_STATUS_CANCELLED;
    case TaskStatus::kSkipped:
      return v1::TASK_EXECUTION_STATUS_SKIPPED;
    case TaskStatus::kNone:
      break;
  }
  return v1::TASK_EXECUTION_STATUS_UNSPECIFIED;
}

v1::StatusReasonKind ToProto(ReasonKind k) {
  switch (k) {
    case ReasonKind::kAbnormalExit:
      return v1::STATUS_REASON_KIND_ABNORMAL_EXIT;
    case ReasonKind::kTimeout:
      return v1::STATUS_REASON_KIND_TIMEOUT;
    case ReasonKind::kSchedulerError:
      return v1::STATUS_REASON_KIND_SCHEDULER_ERROR;
    case ReasonKind::kFailedPrecondition:
      return v1::STATUS_REASON_KIND_FAILED_PRECONDITION;
    case ReasonKind::kCancelled:
      return v1::STATUS_REASON_KIND_CANCELLED;
    case ReasonKind::kOomKilled:
      return v1::STATUS_REASON_KIND_OOM_KILLED;
    case ReasonKind::kInfrastructure:
      return v1::STATUS_REASON_KIND_INFRASTRUCTURE;
    case ReasonKind::kDependencyNotMet:
      return v1::STATUS_REASON_KIND_DEPENDENCY_NOT_MET;
    case ReasonKind::kNone:
      break;
  }
  return v1::STATUS_REASON_KIND_UNSPECIFIED;
}

void ToProto(const StatusReason& reason, v1::StatusReason* out) {
  out->set_kind(ToProto(reason.kind));
  out->set_description(reason.description);
}

// Sets `out`'s timestamp `field` only when `t` holds a time: an unset field means "not yet"
// (calling the mutable accessor unconditionally would mark every phase as reached).
template <typename Message>
void SetTime(const std::optional<absl::Time>& t, Message* out,
             google::protobuf::Timestamp* (Message::*field)()) {
  if (t) {
    rpc::ToTimestamp(*t, (out->*field)());
  }
}

void ToProto(const PhaseTimes& p, v1::PhaseTimes* out) {
  SetTime(p.queued, out, &v1::PhaseTimes::mutable_queued);
  SetTime(p.leased, out, &v1::PhaseTimes::mutable_leased);
  SetTime(p.container_created, out, &v1::PhaseTimes::mutable_container_created);
  SetTime(p.image_pulled, out, &v1::PhaseTimes::mutable_image_pulled);
  SetTime(p.started, out, &v1::PhaseTimes::mutable_started);
  SetTime(p.exited, out, &v1::PhaseTimes::mutable_exited);
  SetTime(p.logs_flushed, out, &v1::PhaseTimes::mutable_logs_flushed);
}

absl::Status CheckRunRef(Violations& v, const std::string& ns, const std::string& pl,
                         int64_t run_id) {
  v.CheckIdentifier("namespace_id", ns);
  v.CheckIdentifier("pipeline_id", pl);
  if (run_id < 1) {
    v.Add("run_id", "must be a run number (1 or more)");
  }
  return v.ToStatus();
}

absl::Status CheckRunRef(const std::string& ns, const std::string& pl, int64_t run_id) {
  Violations v;
  return CheckRunRef(v, ns, pl, run_id);
}

absl::StatusOr<absl::Duration> Grace(const google::protobuf::Duration& d, absl::Duration fallback,
                                     std::string_view field) {
  const absl::Duration grace = rpc::FromDuration(d);
  if (grace < absl::ZeroDuration() || grace > absl::Hours(1)) {
    return InvalidArgumentError({{std::string(field), "must be between 0 and 1h"}});
  }
  return grace == absl::ZeroDuration() ? fallback : grace;
}

std::string Caller(const grpc::CallbackServerContext& context) {
  std::string caller = rpc::CallerOf(context);
  return caller.empty() ? "unknown" : caller;
}

}  // namespace

void ToProto(const RunRecord& run, v1::Run* out) {
  out->set_namespace_id(run.key.namespace_id);
  out->set_pipeline_id(run.key.pipeline_id);
  out->set_run_id(run.key.run_id);
  out->set_config_version(run.config_version);
  out->set_state(ToProto(run.state));
  out->set_status(ToProto(run.status));
  if (run.reason.kind != ReasonKind::kNone || !run.reason.description.empty()) {
    ToProto(run.reason, out->mutable_status_reason());
  }
  *out->mutable_initiator() = run.initiator;
  for (const auto& v : run.variables) {
    *out->add_variables() = v;
  }
  rpc::ToTimestamp(run.queued, out->mutable_queued());
  SetTime(run.started, out, &v1::Run::mutable_started);
  SetTime(run.ended, out, &v1::Run::mutable_ended);
  out->set_waiting_reason(run.waiting_reason);
  out->set_retry_of(run.retry_of);
  out->set_lease_holder(run.lease_holder);
  out->set_lease_epoch(run.lease_epoch);
}

void ToProto(const TaskRecord& task, const std::vector<AttemptRecord>& attempts, const RunKey& key,
             v1::TaskExecution* out) {
  out->set_namespace_id(key.namespace_id);
  out->set_pipeline_id(key.pipeline_id);
  out->set_run_id(key.run_id);
  out->set_task_id(task.task_id);
  out->set_attempt(task.exec.attempt);
  out->set_state(ToProto(task.exec.state));
  out->set_status(ToProto(task.exec.status));
  if (task.exec.reason.kind != ReasonKind::kNone) {
    ToProto(task.exec.reason, out->mutable_reason());
  }
  out->set_exit_code(task.exit_code.value_or(0));
  out->set_node(task.node);
  out->set_image_digest(task.image_digest);
  out->set_container(task.scheduler_id);
  ToProto(task.phases, out->mutable_phases());
  out->set_reused(task.reused);
  for (const AttemptRecord& a : attempts) {
    if (a.task_id != task.task_id) {
      continue;
    }
    v1::TaskAttempt* attempt = out->add_attempts();
    attempt->set_attempt(a.attempt);
    attempt->set_status(ToProto(a.status));
    if (a.reason.kind != ReasonKind::kNone) {
      ToProto(a.reason, attempt->mutable_reason());
    }
    attempt->set_exit_code(a.exit_code.value_or(0));
    attempt->set_node(a.node);
    attempt->set_image_digest(a.image_digest);
    ToProto(a.phases, attempt->mutable_phases());
  }
}

RunQueueService::RunQueueService(Deps deps)
    : deps_(deps), objects_(objects::v1::ObjectStore::NewStub(deps.object_store->channel())) {}

grpc::ServerUnaryReactor* RunQueueService::StartRun(grpc::CallbackServerContext* context,
                                                    const runqueue::v1::StartRunRequest* request,
                                                    v1::Run* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    Violations v;
    v.CheckIdentifier("namespace_id", request->namespace_id());
    v.CheckIdentifier("pipeline_id", request->pipeline_id());
    if (request->config_version() < 1) {
      v.Add("config_version", "must be a registered version (1 or more)");
    }
    if (!request->has_config()) {
      v.Add("config", "the config snapshot is required");
    }
    if (request->idempotency_key().size() > kMaxIdempotencyKey) {
      v.Add("idempotency_key", fmt::format("at most {} characters", kMaxIdempotencyKey));
    }
    for (int i = 0; i < request->variables_size(); ++i) {
      const std::string& key = request->variables(i).key();
      if (key.empty()) {
        v.Add(fmt::format("variables[{}].key", i), "must not be empty");
      } else if (key.rfind("GOFER_", 0) == 0) {
        v.Add(fmt::format("variables[{}].key", i), "GOFER_* variables are set by Gofer");
      }
    }
    GOFER_RETURN_IF_ERROR(v.ToStatus());
    NewRun run{.key = {request->namespace_id(), request->pipeline_id(), 0},
               .config_version = request->config_version(),
               .config = request->config(),
               .variables = {request->variables().begin(), request->variables().end()},
               .initiator = request->initiator(),
               .idempotency_key = request->idempotency_key()};
    // A snapshot that cannot be planned still makes a run: it fails at once, with the reason.
    if (auto plan = FromConfig(request->config()); plan.ok()) {
      for (size_t i = 0; i < plan->size(); ++i) {
        TaskRecord task;
        task.task_id = plan->tasks()[i].id;
        task.position = static_cast<int>(i);
        run.tasks.push_back(std::move(task));
      }
    }
    GOFER_ASSIGN_OR_RETURN(auto inserted,
                           deps_.store->Insert(run, Caller(*context), deps_.clock->Now()));
    if (inserted.second) {
      deps_.orchestrator->Nudge(inserted.first.key);
    }
    ToProto(inserted.first, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::GetRun(grpc::CallbackServerContext* context,
                                                  const v1::GetRunRequest* request,
                                                  v1::Run* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    GOFER_RETURN_IF_ERROR(
        CheckRunRef(request->namespace_id(), request->pipeline_id(), request->run_id()));
    GOFER_ASSIGN_OR_RETURN(
        RunRecord run,
        deps_.store->GetRun({request->namespace_id(), request->pipeline_id(), request->run_id()}));
    ToProto(run, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::ListRuns(grpc::CallbackServerContext* context,
                                                    const v1::ListRunsRequest* request,
                                                    v1::ListRunsResponse* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    Violations v;
    v.CheckIdentifier("namespace_id", request->namespace_id());
    v.CheckIdentifier("pipeline_id", request->pipeline_id());
    if (!v1::RunState_IsValid(request->state())) {
      v.Add("state", "unknown run state");
    }
    GOFER_RETURN_IF_ERROR(v.ToStatus());
    const std::string fingerprint =
        fmt::format("{}/{}/{}", request->namespace_id(), request->pipeline_id(),
                    static_cast<int>(request->state()));
    GOFER_ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(request->page_size(),
                                                              request->page_token(), fingerprint));
    int64_t before = 0;
    if (!page.after.empty() && !absl::SimpleAtoi(page.after, &before)) {
      return InvalidArgumentError({{"page_token", "is not a token of this list"}});
    }
    std::optional<RunState> state;
    switch (request->state()) {
      case v1::RUN_STATE_PENDING:
        state = RunState::kPending;
        break;
      case v1::RUN_STATE_RUNNING:
        state = RunState::kRunning;
        break;
      case v1::RUN_STATE_COMPLETE:
        state = RunState::kComplete;
        break;
      default:
        break;
    }
    GOFER_ASSIGN_OR_RETURN(std::vector<RunRecord> runs,
                           deps_.store->ListRuns(request->namespace_id(), request->pipeline_id(),
                                                 state, before, page.limit + 1));
    const bool more = static_cast<int>(runs.size()) > page.limit;
    if (more) {
      runs.pop_back();
    }
    for (const RunRecord& run : runs) {
      ToProto(run, response->add_runs());
    }
    if (more) {
      response->set_next_page_token(
          MakePageToken(std::to_string(runs.back().key.run_id), fingerprint));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::CancelRun(grpc::CallbackServerContext* context,
                                                     const v1::CancelRunRequest* request,
                                                     v1::Run* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    Violations v;
    if (request->reason().size() > kMaxReason) {
      v.Add("reason", fmt::format("at most {} characters", kMaxReason));
    }
    GOFER_RETURN_IF_ERROR(
        CheckRunRef(v, request->namespace_id(), request->pipeline_id(), request->run_id()));
    GOFER_ASSIGN_OR_RETURN(absl::Duration grace,
                           Grace(request->grace_period(), deps_.default_grace, "grace_period"));
    const std::string caller = Caller(*context);
    const StatusReason reason{ReasonKind::kCancelled,
                              request->reason().empty()
                                  ? fmt::format("cancelled by {}", caller)
                                  : fmt::format("cancelled by {}: {}", caller, request->reason())};
    const RunKey key{request->namespace_id(), request->pipeline_id(), request->run_id()};
    GOFER_ASSIGN_OR_RETURN(RunRecord run,
                           deps_.store->RequestRunCancel(key, reason, grace, caller));
    deps_.orchestrator->Nudge(key);
    ToProto(run, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::CancelAllRuns(grpc::CallbackServerContext* context,
                                                         const v1::CancelAllRunsRequest* request,
                                                         v1::CancelAllRunsResponse* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    Violations v;
    v.CheckIdentifier("namespace_id", request->namespace_id());
    v.CheckIdentifier("pipeline_id", request->pipeline_id());
    if (request->reason().size() > kMaxReason) {
      v.Add("reason", fmt::format("at most {} characters", kMaxReason));
    }
    GOFER_RETURN_IF_ERROR(v.ToStatus());
    GOFER_ASSIGN_OR_RETURN(absl::Duration grace,
                           Grace(request->grace_period(), deps_.default_grace, "grace_period"));
    const std::string caller = Caller(*context);
    const StatusReason reason{ReasonKind::kCancelled,
                              request->reason().empty()
                                  ? fmt::format("cancelled by {}", caller)
                                  : fmt::format("cancelled by {}: {}", caller, request->reason())};
    GOFER_ASSIGN_OR_RETURN(
        std::vector<int64_t> ids,
        deps_.store->RequestCancelAll(request->namespace_id(), request->pipeline_id(), reason,
                                      grace, caller));
    for (int64_t id : ids) {
      deps_.orchestrator->Nudge({request->namespace_id(), request->pipeline_id(), id});
      response->add_run_ids(id);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::RetryRun(grpc::CallbackServerContext* context,
                                                    const v1::RetryRunRequest* request,
                                                    v1::Run* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    GOFER_RETURN_IF_ERROR(
        CheckRunRef(request->namespace_id(), request->pipeline_id(), request->run_id()));
    const RunKey key{request->namespace_id(), request->pipeline_id(), request->run_id()};
    GOFER_ASSIGN_OR_RETURN(auto loaded, deps_.store->LoadRun(key));
    const RunRecord& original = loaded.first;
    if (original.state != RunState::kComplete) {
      return WithErrorInfo(absl::FailedPreconditionError(
                               fmt::format("run {} is {}; only a finished run can be retried",
                                           key.run_id, RunStateName(original.state))),
                           ErrorReason::kFailedPrecondition);
    }
    GOFER_ASSIGN_OR_RETURN(RunPlan plan, FromConfig(original.config));
    TaskExecutions finished;
    std::map<std::string, const TaskRecord*> by_id;
    for (const TaskRecord& t : loaded.second) {
      finished.emplace(t.task_id, t.exec);
      by_id[t.task_id] = &t;
    }
    GOFER_ASSIGN_OR_RETURN(
        std::vector<RetryRunTask> planned,
        PlanRetryRun(plan, finished,
                     request->failed_only() ? RetryMode::kFailedOnly : RetryMode::kAll));
    const std::string caller = Caller(*context);
    NewRun run{.key = {key.namespace_id, key.pipeline_id, 0},
               .config_version = original.config_version,
               .config = original.config,
               .variables = original.variables,
               .initiator = original.initiator,
               .retry_of = key.run_id};
    run.initiator.set_name(caller);
    run.initiator.set_reason(fmt::format("retry of run {}{}", key.run_id,
                                         request->failed_only() ? " (failed tasks only)" : ""));
    for (size_t i = 0; i < planned.size(); ++i) {
      TaskRecord task;
      task.task_id = planned[i].task_id;
      task.position = static_cast<int>(i);
      task.exec = planned[i].initial;
      task.reused = planned[i].reused;
      if (planned[i].reused) {
        if (auto it = by_id.find(task.task_id); it != by_id.end()) {
          task.exit_code = it->second->exit_code;
          task.node = it->second->node;
          task.image_digest = it->second->image_digest;
        }
      }
      run.tasks.push_back(std::move(task));
    }
    GOFER_ASSIGN_OR_RETURN(auto inserted, deps_.store->Insert(run, caller, deps_.clock->Now()));
    deps_.orchestrator->Nudge(inserted.first.key);
    ToProto(inserted.first, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::ListTaskExecutions(
    grpc::CallbackServerContext* context, const v1::ListTaskExecutionsRequest* request,
    v1::ListTaskExecutionsResponse* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    GOFER_RETURN_IF_ERROR(
        CheckRunRef(request->namespace_id(), request->pipeline_id(), request->run_id()));
    const RunKey key{request->namespace_id(), request->pipeline_id(), request->run_id()};
    GOFER_ASSIGN_OR_RETURN(auto loaded, deps_.store->LoadRun(key));
    GOFER_ASSIGN_OR_RETURN(std::vector<AttemptRecord> attempts, deps_.store->ListAttempts(key, ""));
    for (const TaskRecord& t : loaded.second) {
      ToProto(t, attempts, key, response->add_task_executions());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::GetTaskExecution(
    grpc::CallbackServerContext* context, const v1::GetTaskExecutionRequest* request,
    v1::TaskExecution* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    Violations v;
    v.CheckIdentifier("task_id", request->task_id());
    GOFER_RETURN_IF_ERROR(
        CheckRunRef(v, request->namespace_id(), request->pipeline_id(), request->run_id()));
    const RunKey key{request->namespace_id(), request->pipeline_id(), request->run_id()};
    GOFER_ASSIGN_OR_RETURN(auto loaded, deps_.store->LoadRun(key));
    for (const TaskRecord& t : loaded.second) {
      if (t.task_id == request->task_id()) {
        GOFER_ASSIGN_OR_RETURN(std::vector<AttemptRecord> attempts,
                               deps_.store->ListAttempts(key, t.task_id));
        ToProto(t, attempts, key, response);
        return absl::OkStatus();
      }
    }
    return NotFoundError("task execution", request->task_id(),
                         {{"namespace", key.namespace_id},
                          {"pipeline", key.pipeline_id},
                          {"run", std::to_string(key.run_id)}});
  });
}

grpc::ServerUnaryReactor* RunQueueService::CancelTaskExecution(
    grpc::CallbackServerContext* context, const v1::CancelTaskExecutionRequest* request,
    v1::TaskExecution* response) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    Violations v;
    v.CheckIdentifier("task_id", request->task_id());
    GOFER_RETURN_IF_ERROR(
        CheckRunRef(v, request->namespace_id(), request->pipeline_id(), request->run_id()));
    GOFER_ASSIGN_OR_RETURN(absl::Duration grace,
                           Grace(request->grace_period(), deps_.default_grace, "grace_period"));
    const RunKey key{request->namespace_id(), request->pipeline_id(), request->run_id()};
    GOFER_ASSIGN_OR_RETURN(TaskRecord task, deps_.store->RequestTaskCancel(
                                                key, request->task_id(), grace, Caller(*context)));
    deps_.orchestrator->Nudge(key);
    GOFER_ASSIGN_OR_RETURN(std::vector<AttemptRecord> attempts,
                           deps_.store->ListAttempts(key, task.task_id));
    ToProto(task, attempts, key, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RunQueueService::DeleteTaskLogs(
    grpc::CallbackServerContext* context, const v1::DeleteTaskLogsRequest* request,
    v1::DeleteTaskLogsResponse* /*response*/) {
  return rpc::Unary(context, *deps_.runtime, [=, this]() -> absl::Status {
    Violations v;
    v.CheckIdentifier("task_id", request->task_id());
    GOFER_RETURN_IF_ERROR(
        CheckRunRef(v, request->namespace_id(), request->pipeline_id(), request->run_id()));
    const RunKey key{request->namespace_id(), request->pipeline_id(), request->run_id()};
    GOFER_ASSIGN_OR_RETURN(auto loaded, deps_.store->LoadRun(key));
    const TaskRecord* task = nullptr;
    for (const TaskRecord& t : loaded.second) {
      if (t.task_id == request->task_id()) {
        task = &t;
      }
    }
    if (task == nullptr) {
      return NotFoundError("task execution", request->task_id(),
                           {{"namespace", key.namespace_id},
                            {"pipeline", key.pipeline_id},
                            {"run", std::to_string(key.run_id)}});
    }
    if (task->exec.state != TaskState::kComplete) {
      return WithErrorInfo(absl::FailedPreconditionError(fmt::format(
                               "task '{}' is still {}; logs can be deleted once it finished",
                               task->task_id, TaskStateName(task->exec.state))),
                           ErrorReason::kFailedPrecondition);
    }
    GOFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                           deps_.store->DeleteLogChunks(key, task->task_id, Caller(*context)));
    for (const std::string& object_key : keys) {
      objects::v1::DeleteObjectRequest del;
      auto* ref = del.mutable_ref();
      ref->set_scope(objects::v1::OBJECT_SCOPE_TASK_LOG);
      ref->set_namespace_id(key.namespace_id);
      ref->set_pipeline_id(key.pipeline_id);
      ref->set_run_id(key.run_id);
      ref->set_key(object_key);
      objects::v1::DeleteObjectResponse deleted;
      auto call = deps_.object_store->NewContext({.caller = Caller(*context)});
      absl::Status s = rpc::FromGrpcStatus(objects_->DeleteObject(call.get(), del, &deleted));
      if (!s.ok() && !absl::IsNotFound(s)) {
        // The index is gone, so nothing serves them; the run's expiry deletes them later.
        return s;
      }
    }
    return absl::OkStatus();
  });
}

// TaskLogs: one step at a time on the executor — read the stored chunks after the last line
// sent, write them, and when following and nothing is new, wait on an alarm; the stream ends
// once the attempt is over and every chunk was sent.
class TaskLogsReactor final : public grpc::ServerWriteReactor<v1::TaskLogsResponse> {
 public:
  TaskLogsReactor(grpc::CallbackServerContext* context, rpc::Runtime& runtime, RunStore& store,
                  rpc::Client& objects_client, objects::v1::ObjectStore::Stub& objects,
                  const v1::TaskLogsRequest& request)
      : context_(context),
        runtime_(runtime),
        store_(store),
        objects_client_(objects_client),
        objects_(objects),
        request_(request),
        key_{request.namespace_id(), request.pipeline_id(), request.run_id()},
        next_line_(request.from_line()) {
    absl::Status ok = runtime_.CheckInternalCaller(*context);
    if (ok.ok()) {
      Violations v;
      v.CheckIdentifier("task_id", request.task_id());
      if (request.from_line() < 0) {
        v.Add("from_line", "must not be negative");
      }
      if (request.attempt() < 0) {
        v.Add("attempt", "must not be negative");
      }
      ok = CheckRunRef(v, request.namespace_id(), request.pipeline_id(), request.run_id());
    }
    if (!ok.ok()) {
      Finish(rpc::ToGrpcStatus(ok));
      return;
    }
    Queue();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    Queue();
  }

  void OnDone() override { delete this; }

 private:
  void Queue() {
    if (!runtime_.executor().Submit([this] { Step(); })) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    }
  }

  void Step() {
    if (context_->IsCancelled()) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled"));
      return;
    }
    absl::Status s = Read();
    if (!s.ok()) {
      Finish(rpc::ToGrpcStatus(s));
      return;
    }
    if (!response_.lines().empty()) {
      StartWrite(&response_);
      return;
    }
    if (!request_.follow() || over_) {
      Finish(grpc::Status::OK);
      return;
    }
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(std::chrono::system_clock::now() + std::chrono::milliseconds(250),
                [this](bool) { Queue(); });
  }

  // Fills response_ with the next lines (from one chunk) and notes whether the attempt is over.
  absl::Status Read() {
    response_.Clear();
    // Whether the attempt is over is read before the chunks, so no chunk stored after it ended
    // can be missed.
    GOFER_ASSIGN_OR_RETURN(auto loaded, store_.LoadRun(key_));
    // A task a retry reused did not run in this run: its logs are those of the run it repeats.
    for (int hops = 0; hops < 100 && loaded.first.retry_of != 0; ++hops) {
      const auto reused = std::find_if(
          loaded.second.begin(), loaded.second.end(),
          [&](const TaskRecord& t) { return t.task_id == request_.task_id() && t.reused; });
      if (reused == loaded.second.end()) {
        break;
      }
      key_.run_id = loaded.first.retry_of;
      GOFER_ASSIGN_OR_RETURN(loaded, store_.LoadRun(key_));
    }
    if (loaded.first.expired) {
      return WithErrorInfo(
          absl::NotFoundError(fmt::format(
              "the logs of run {} of pipeline '{}' were deleted: only the newest runs of a "
              "pipeline keep their logs (retention.runs_kept)",
              key_.run_id, key_.pipeline_id)),
          ErrorReason::kResourceNotFound);
    }
    const TaskRecord* task = nullptr;
    for (const TaskRecord& t : loaded.second) {
      if (t.task_id == request_.task_id()) {
        task = &t;
      }
    }
    if (task == nullptr) {
      return NotFoundError("task execution", request_.task_id(),
                           {{"namespace", key_.namespace_id},
                            {"pipeline", key_.pipeline_id},
                            {"run", std::to_string(key_.run_id)}});
    }
    if (attempt_ == 0) {
      attempt_ = request_.attempt() == 0 ? task->exec.attempt : request_.attempt();
      if (attempt_ > task->exec.attempt) {
        return WithErrorInfo(
            absl::OutOfRangeError(fmt::format("task '{}' has no attempt {} (it is at attempt {})",
                                              task->task_id, attempt_, task->exec.attempt)),
            ErrorReason::kInvalidField);
      }
    }
    // An attempt's chunks are all indexed before its end is recorded (attempt_watcher.h).
    const bool over = task->exec.state == TaskState::kComplete || task->exec.attempt > attempt_ ||
                      loaded.first.state == RunState::kComplete;
    GOFER_ASSIGN_OR_RETURN(std::vector<LogChunkRecord> chunks,
                           store_.ListLogChunks(key_, request_.task_id(), attempt_, next_line_));
    over_ = over;
    if (chunks.empty()) {
      return absl::OkStatus();
    }
    over_ = false;  // more may follow this chunk
    const LogChunkRecord& chunk = chunks.front();
    objects::v1::GetObjectRequest get;
    auto* ref = get.mutable_ref();
    ref->set_scope(objects::v1::OBJECT_SCOPE_TASK_LOG);
    ref->set_namespace_id(key_.namespace_id);
    ref->set_pipeline_id(key_.pipeline_id);
    ref->set_run_id(key_.run_id);
    ref->set_key(chunk.object_key);
    auto call = objects_client_.NewContext({.caller = "run-queue"});
    auto reader = objects_.GetObject(call.get(), get);
    objects::v1::GetObjectResponse message;
    std::string data;
    while (reader->Read(&message)) {
      data += message.chunk();
    }
    GOFER_RETURN_IF_ERROR(rpc::FromGrpcStatus(reader->Finish()));
    v1::TaskLogsResponse stored;
    if (!stored.ParseFromString(data)) {
      return absl::DataLossError(
          fmt::format("log chunk {} of task '{}' does not parse", chunk.seq, request_.task_id()));
    }
    for (const auto& line : stored.lines()) {
      if (line.line() >= next_line_) {
        *response_.add_lines() = line;
      }
    }
    next_line_ = chunk.first_line + chunk.line_count;
    return absl::OkStatus();
  }

  grpc::CallbackServerContext* const context_;
  rpc::Runtime& runtime_;
  RunStore& store_;
  rpc::Client& objects_client_;
  objects::v1::ObjectStore::Stub& objects_;
  const v1::TaskLogsRequest request_;
  // The run whose logs are read (the one asked for, or the run a reused task ran in).
  RunKey key_;
  int attempt_ = 0;
  int64_t next_line_;
  bool over_ = false;
  v1::TaskLogsResponse response_;
  std::unique_ptr<grpc::Alarm> alarm_;
};

grpc::ServerWriteReactor<v1::TaskLogsResponse>* RunQueueService::TaskLogs(
    grpc::CallbackServerContext* context, const v1::TaskLogsRequest* request) {
  return new TaskLogsReactor(context, *deps_.runtime, *deps_.store, *deps_.object_store, *objects_,
                             *request);
}

}  // namespace gofer::run_queue
