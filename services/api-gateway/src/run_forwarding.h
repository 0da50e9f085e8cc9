// gofer.v1.RunService and gofer.v1.TaskService: authorise, check the parents, and forward to the
// run-queue (which owns runs) with the internal credential and the caller's identity. StartRun
// is where the gateway resolves which live config version a new run gets — applying a running
// canary's weight — and hands the run-queue that version's config as the run's snapshot.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "attach_relay.h"
#include "deployment_store.h"
#include "gatekeeper.h"
#include "gofer/rpc/channel.h"
#include "gofer/runqueue/v1/run_queue.grpc.pb.h"
#include "gofer/v1/runs.grpc.pb.h"
#include "namespace_store.h"
#include "pipeline_store.h"

namespace gofer::api_gateway {

// A running canary: `canary_version` gets `weight_percent` of new runs, `stable_version` the
// rest.
struct CanarySplit {
  int64_t stable_version = 0;
  int64_t canary_version = 0;
  int weight_percent = 0;
};

// The version a new run executes: with a canary, the canary version when `unit` (uniform in
// [0, 1)) falls below its weight, else the stable one; otherwise the newest live version.
// FAILED_PRECONDITION when nothing is live.
absl::StatusOr<int64_t> ChooseRunVersion(const std::vector<int64_t>& live_versions,
                                         const std::optional<CanarySplit>& canary, double unit);

// The services' shared parts.
struct RunForwarding {
  const rpc::Client& run_queue;
  std::unique_ptr<runqueue::v1::RunQueue::Stub> stub;
  NamespaceStore& namespaces;
  PipelineStore& pipelines;
  DeploymentStore& deployments;
  Gatekeeper& gate;
};

class RunForwardService final : public v1::RunService::CallbackService {
 public:
  RunForwardService(const rpc::Client& run_queue, NamespaceStore& namespaces,
                    PipelineStore& pipelines, DeploymentStore& deployments, Gatekeeper& gate);

  grpc::ServerUnaryReactor* StartRun(grpc::CallbackServerContext* ctx,
                                     const v1::StartRunRequest* req, v1::Run* resp) override;
  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* ctx, const v1::GetRunRequest* req,
                                   v1::Run* resp) override;
  grpc::ServerUnaryReactor* ListRuns(grpc::CallbackServerContext* ctx,
                                     const v1::ListRunsRequest* req,
                                     v1::ListRunsResponse* resp) override;
  grpc::ServerUnaryReactor* CancelRun(grpc::CallbackServerContext* ctx,
                                      const v1::CancelRunRequest* req, v1::Run* resp) override;
  grpc::ServerUnaryReactor* CancelAllRuns(grpc::CallbackServerContext* ctx,
                                          const v1::CancelAllRunsRequest* req,
                                          v1::CancelAllRunsResponse* resp) override;
  grpc::ServerUnaryReactor* RetryRun(grpc::CallbackServerContext* ctx,
                                     const v1::RetryRunRequest* req, v1::Run* resp) override;

 private:
  RunForwarding f_;
};

class TaskForwardService final : public v1::TaskService::CallbackService {
 public:
  // AttachTask relays to `attach.scheduler` (see attach_relay.h).
  TaskForwardService(const rpc::Client& run_queue, NamespaceStore& namespaces,
                     PipelineStore& pipelines, DeploymentStore& deployments, Gatekeeper& gate,
                     AttachOptions attach);

  grpc::ServerUnaryReactor* ListTaskExecutions(grpc::CallbackServerContext* ctx,
                                               const v1::ListTaskExecutionsRequest* req,
                                               v1::ListTaskExecutionsResponse* resp) override;
  grpc::ServerUnaryReactor* GetTaskExecution(grpc::CallbackServerContext* ctx,
                                             const v1::GetTaskExecutionRequest* req,
                                             v1::TaskExecution* resp) override;
  grpc::ServerUnaryReactor* CancelTaskExecution(grpc::CallbackServerContext* ctx,
                                                const v1::CancelTaskExecutionRequest* req,
                                                v1::TaskExecution* resp) override;
  grpc::ServerWriteReactor<v1::TaskLogsResponse>* TaskLogs(grpc::CallbackServerContext* ctx,
                                                           const v1::TaskLogsRequest* req) override;
  grpc::ServerUnaryReactor* DeleteTaskLogs(grpc::CallbackServerContext* ctx,
                                           const v1::DeleteTaskLogsRequest* req,
                                           v1::DeleteTaskLogsResponse* resp) override;
  grpc::ServerBidiReactor<v1::AttachTaskRequest, v1::AttachTaskResponse>* AttachTask(
      grpc::CallbackServerContext* ctx) override;

 private:
  RunForwarding f_;
  Attaching attaching_;
};

}  // namespace gofer::api_gateway
