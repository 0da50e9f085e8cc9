#include "run_forwarding.h"

#include <random>
#include <regex>

#include <fmt/format.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gofer/common/errors.h"
#include "gofer/common/id_generator.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "gofer/rpc/status.h"

namespace gofer::api_gateway {
namespace {

namespace rqv1 = runqueue::v1;

constexpr size_t kMaxVariables = 200;
constexpr size_t kMaxVariableValue = 32 * 1024;
constexpr size_t kMaxReason = 1024;

Need RunNeed(const std::string& ns, const std::string& pl, Action action) {
  return {.kind = "runs", .action = action, .namespace_id = ns, .pipeline_id = pl};
}

double RandomUnit() {
  thread_local std::mt19937_64 engine(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

grpc::Status Relayed(Gatekeeper& gate, const grpc::Status& upstream, std::string_view method) {
  return rpc::ToGrpcStatus(gate.Sanitize(rpc::FromGrpcStatus(upstream), method));
}

// Runs `call` on the run-queue for a caller allowed `need`, once the namespace and pipeline
// are known to exist (so a missing parent is named, not reported as a missing run).
grpc::ServerUnaryReactor* Forward(RunForwarding& f, grpc::CallbackServerContext* ctx, Need need,
                                  std::function<grpc::Status(grpc::ClientContext*)> call) {
  return f.gate.Authenticated(
      ctx, [&f, ctx, need = std::move(need), call = std::move(call)](const Caller& caller) {
        Violations v;
        v.CheckIdentifier("namespace_id", need.namespace_id);
        v.CheckIdentifier("pipeline_id", need.pipeline_id);
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        GOFER_RETURN_IF_ERROR(f.gate.Check(caller, need));
        GOFER_RETURN_IF_ERROR(f.pipelines.CheckExists(need.namespace_id, need.pipeline_id));
        auto context =
            f.run_queue.NewContext({.caller = caller.actor, .request_id = rpc::RequestIdOf(*ctx)});
        return rpc::FromGrpcStatus(call(context.get()));
      });
}

absl::Status ValidateVariables(const google::protobuf::Map<std::string, std::string>& variables) {
  static const std::regex kKey("[A-Za-z_][A-Za-z0-9_]{0,255}");
  Violations v;
  if (variables.size() > kMaxVariables) {
    v.Add("variables", fmt::format("at most {} variables", kMaxVariables));
  }
  std::vector<std::string> keys;
  for (const auto& [key, value] : variables) {
    keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    const std::string field = fmt::format("variables[{}]", key);
    if (!std::regex_match(key, kKey)) {
      v.Add(field, "keys are [A-Za-z_][A-Za-z0-9_]*, at most 256 characters");
    } else if (key.rfind("GOFER_", 0) == 0) {
      v.Add(field, "GOFER_* variables are set by Gofer");
    }
    if (variables.at(key).size() > kMaxVariableValue) {
      v.Add(field, fmt::format("values are at most {} bytes", kMaxVariableValue));
    }
  }
  return v.ToStatus();
}

class LogsRelay final : public grpc::ServerWriteReactor<v1::TaskLogsResponse> {
 public:
  LogsRelay(grpc::CallbackServerContext* ctx, RunForwarding& f, const v1::TaskLogsRequest& request)
      : f_(f) {
    const bool admitted = f_.gate.runtime().executor().TrySubmit([this, ctx, request] {
      auto caller = f_.gate.Authenticate(*ctx);
      absl::Status s = caller.status();
      if (s.ok()) {
        s = f_.gate.Check(*caller,
                          RunNeed(request.namespace_id(), request.pipeline_id(), Action::kRead));
      }
      if (s.ok()) {
        s = f_.pipelines.CheckExists(request.namespace_id(), request.pipeline_id());
      }
      if (!s.ok()) {
        Finish(rpc::ToGrpcStatus(f_.gate.Sanitize(s, "TaskLogs")));
        return;
      }
      // OnCancel runs on a gRPC thread and may come before the upstream call exists: it then
      // must not start at all (a follow would hold an executor thread after the client left).
      bool cancelled = false;
      {
        absl::MutexLock lock(&mu_);
        cancelled = cancelled_;
        if (!cancelled) {
          upstream_ = f_.run_queue.NewContext({.timeout = absl::Hours(24),
                                               .caller = caller->actor,
                                               .request_id = rpc::RequestIdOf(*ctx)});
        }
      }
      if (cancelled) {
        Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the call"));
        return;
      }
      reader_ = f_.stub->TaskLogs(upstream_.get(), request);
      Next();
    });
    if (!admitted) {
      Finish(rpc::ToGrpcStatus(WithErrorInfo(absl::ResourceExhaustedError("server is at capacity"),
                                             ErrorReason::kOverloaded)));
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      upstream_->TryCancel();
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    if (!f_.gate.runtime().executor().Submit([this] { Next(); })) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down"));
    }
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (upstream_) {
      upstream_->TryCancel();  // also before the call starts: it then starts cancelled
    }
  }

  void OnDone() override { delete this; }

 private:
  void Next() {
    if (reader_->Read(&response_)) {
      StartWrite(&response_);
    } else {
      Finish(Relayed(f_.gate, reader_->Finish(), "TaskLogs"));
    }
  }

  RunForwarding& f_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Set once (under mu_) before the first write; OnWriteDone reads it only after that.
  std::unique_ptr<grpc::ClientContext> upstream_;
  std::unique_ptr<grpc::ClientReader<v1::TaskLogsResponse>> reader_;
  v1::TaskLogsResponse response_;
};

}  // namespace

absl::StatusOr<int64_t> ChooseRunVersion(const std::vector<int64_t>& live_versions,
                                         const std::optional<CanarySplit>& canary, double unit) {
  if (live_versions.empty()) {
    return WithErrorInfo(
        absl::FailedPreconditionError("the pipeline has no live version; deploy one first"),
        ErrorReason::kFailedPrecondition);
  }
  if (canary && std::find(live_versions.begin(), live_versions.end(), canary->canary_version) !=
                    live_versions.end()) {
    // `unit * 100 < weight` would round 0.57 * 100 down to 56.99... and send unit 0.57 to a
    // 57% canary; comparing with the weight as a fraction keeps the split exact at its edge.
    return unit < canary->weight_percent / 100.0 ? canary->canary_version : canary->stable_version;
  }
  return *std::max_element(live_versions.begin(), live_versions.end());
}

RunForwardService::RunForwardService(const rpc::Client& run_queue, NamespaceStore& namespaces,
                                     PipelineStore& pipelines, DeploymentStore& deployments,
                                     Gatekeeper& gate)
    : f_{run_queue,   rqv1::RunQueue::NewStub(run_queue.channel()),
         namespaces,  pipelines,
         deployments, gate} {}

grpc::ServerUnaryReactor* RunForwardService::StartRun(grpc::CallbackServerContext* ctx,
                                                      const v1::StartRunRequest* req,
                                                      v1::Run* resp) {
  return f_.gate.Authenticated(ctx, [this, ctx, req, resp](const Caller& caller) -> absl::Status {
    Violations v;
    v.CheckIdentifier("namespace_id", req->namespace_id());
    v.CheckIdentifier("pipeline_id", req->pipeline_id());
    if (req->reason().size() > kMaxReason) {
      v.Add("reason", fmt::format("at most {} characters", kMaxReason));
    }
    GOFER_RETURN_IF_ERROR(v.ToStatus());
    GOFER_RETURN_IF_ERROR(ValidateVariables(req->variables()));
    GOFER_RETURN_IF_ERROR(
        f_.gate.Check(caller, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kWrite)));
    GOFER_ASSIGN_OR_RETURN(bool paused, f_.namespaces.RunsPaused());
    if (paused) {
      return WithErrorInfo(
          absl::FailedPreconditionError("run starts are paused (gofer system resume)"),
          ErrorReason::kRunsPaused);
    }
    GOFER_ASSIGN_OR_RETURN(PipelineRecord pipeline,
                           f_.pipelines.GetPipeline(req->namespace_id(), req->pipeline_id()));
    if (pipeline.disabled) {
      return WithErrorInfo(absl::FailedPreconditionError(fmt::format(
                               "pipeline '{}' is disabled; enable it to start runs", pipeline.id)),
                           ErrorReason::kFailedPrecondition);
    }
    std::optional<CanarySplit> canary;
    if (pipeline.live_versions.size() > 1) {
      GOFER_ASSIGN_OR_RETURN(auto recent,
                             f_.deployments.List(req->namespace_id(), req->pipeline_id(), 0, 1));
      if (!recent.empty() && recent[0].state == v1::DEPLOYMENT_STATE_RUNNING && recent[0].canary) {
        canary = CanarySplit{recent[0].start_version, recent[0].end_version,
                             recent[0].canary->weight_percent};
      }
    }
    GOFER_ASSIGN_OR_RETURN(int64_t version,
                           ChooseRunVersion(pipeline.live_versions, canary, RandomUnit()));
    GOFER_ASSIGN_OR_RETURN(
        ConfigRecord config,
        f_.pipelines.GetConfig(req->namespace_id(), req->pipeline_id(), version));

    rqv1::StartRunRequest forward;
    forward.set_namespace_id(req->namespace_id());
    forward.set_pipeline_id(req->pipeline_id());
    forward.set_config_version(version);
    *forward.mutable_config() = config.config;
    std::vector<std::pair<std::string, std::string>> variables(req->variables().begin(),
                                                               req->variables().end());
    std::sort(variables.begin(), variables.end());
    for (const auto& [key, value] : variables) {
      v1::Variable* var = forward.add_variables();
      var->set_key(key);
      var->set_value(value);
      var->set_source(v1::VARIABLE_SOURCE_RUN_OPTIONS);
    }
    forward.mutable_initiator()->set_kind(v1::INITIATOR_KIND_HUMAN);
    forward.mutable_initiator()->set_name(caller.actor);
    forward.mutable_initiator()->set_reason(req->reason());
    // One key per gateway call: retrying this forward can never start a second run.
    forward.set_idempotency_key(UuidV7Generator().NewId());
    auto context =
        f_.run_queue.NewContext({.caller = caller.actor, .request_id = rpc::RequestIdOf(*ctx)});
    grpc::Status status = f_.stub->StartRun(context.get(), forward, resp);
    if (!status.ok() && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      auto retry =
          f_.run_queue.NewContext({.caller = caller.actor, .request_id = rpc::RequestIdOf(*ctx)});
      status = f_.stub->StartRun(retry.get(), forward, resp);
    }
    return rpc::FromGrpcStatus(status);
  });
}

grpc::ServerUnaryReactor* RunForwardService::GetRun(grpc::CallbackServerContext* ctx,
                                                    const v1::GetRunRequest* req, v1::Run* resp) {
  return Forward(
      f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kRead),
      [this, req, resp](grpc::ClientContext* c) { return f_.stub->GetRun(c, *req, resp); });
}

grpc::ServerUnaryReactor* RunForwardService::ListRuns(grpc::CallbackServerContext* ctx,
                                                      const v1::ListRunsRequest* req,
                                                      v1::ListRunsResponse* resp) {
  return Forward(
      f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kRead),
      [this, req, resp](grpc::ClientContext* c) { return f_.stub->ListRuns(c, *req, resp); });
}

grpc::ServerUnaryReactor* RunForwardService::CancelRun(grpc::CallbackServerContext* ctx,
                                                       const v1::CancelRunRequest* req,
                                                       v1::Run* resp) {
  return Forward(
      f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kWrite),
      [this, req, resp](grpc::ClientContext* c) { return f_.stub->CancelRun(c, *req, resp); });
}

grpc::ServerUnaryReactor* RunForwardService::CancelAllRuns(grpc::CallbackServerContext* ctx,
                                                           const v1::CancelAllRunsRequest* req,
                                                           v1::CancelAllRunsResponse* resp) {
  return Forward(
      f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kWrite),
      [this, req, resp](grpc::ClientContext* c) { return f_.stub->CancelAllRuns(c, *req, resp); });
}

grpc::ServerUnaryReactor* RunForwardService::RetryRun(grpc::CallbackServerContext* ctx,
                                                      const v1::RetryRunRequest* req,
                                                      v1::Run* resp) {
  return Forward(
      f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kWrite),
      [this, req, resp](grpc::ClientContext* c) { return f_.stub->RetryRun(c, *req, resp); });
}

TaskForwardService::TaskForwardService(const rpc::Client& run_queue, NamespaceStore& namespaces,
                                       PipelineStore& pipelines, DeploymentStore& deployments,
                                       Gatekeeper& gate, AttachOptions attach)
    : f_{run_queue,   rqv1::RunQueue::NewStub(run_queue.channel()),
         namespaces,  pipelines,
         deployments, gate},
      attaching_{attach, scheduler::v1::Scheduler::NewStub(attach.scheduler->channel())} {}

grpc::ServerUnaryReactor* TaskForwardService::ListTaskExecutions(
    grpc::CallbackServerContext* ctx, const v1::ListTaskExecutionsRequest* req,
    v1::ListTaskExecutionsResponse* resp) {
  return Forward(f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kRead),
                 [this, req, resp](grpc::ClientContext* c) {
                   return f_.stub->ListTaskExecutions(c, *req, resp);
                 });
}

grpc::ServerUnaryReactor* TaskForwardService::GetTaskExecution(
    grpc::CallbackServerContext* ctx, const v1::GetTaskExecutionRequest* req,
    v1::TaskExecution* resp) {
  return Forward(f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kRead),
                 [this, req, resp](grpc::ClientContext* c) {
                   return f_.stub->GetTaskExecution(c, *req, resp);
                 });
}

grpc::ServerUnaryReactor* TaskForwardService::CancelTaskExecution(
    grpc::CallbackServerContext* ctx, const v1::CancelTaskExecutionRequest* req,
    v1::TaskExecution* resp) {
  return Forward(f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kWrite),
                 [this, req, resp](grpc::ClientContext* c) {
                   return f_.stub->CancelTaskExecution(c, *req, resp);
                 });
}

grpc::ServerWriteReactor<v1::TaskLogsResponse>* TaskForwardService::TaskLogs(
    grpc::CallbackServerContext* ctx, const v1::TaskLogsRequest* req) {
  return new LogsRelay(ctx, f_, *req);
}

grpc::ServerUnaryReactor* TaskForwardService::DeleteTaskLogs(grpc::CallbackServerContext* ctx,
                                                             const v1::DeleteTaskLogsRequest* req,
                                                             v1::DeleteTaskLogsResponse* resp) {
  return Forward(
      f_, ctx, RunNeed(req->namespace_id(), req->pipeline_id(), Action::kDelete),
      [this, req, resp](grpc::ClientContext* c) { return f_.stub->DeleteTaskLogs(c, *req, resp); });
}

grpc::ServerBidiReactor<v1::AttachTaskRequest, v1::AttachTaskResponse>*
TaskForwardService::AttachTask(grpc::CallbackServerContext* ctx) {
  return NewAttachRelay(ctx, f_, attaching_);
}

}  // namespace gofer::api_gateway
