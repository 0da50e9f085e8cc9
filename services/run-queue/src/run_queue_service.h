// The RunQueue gRPC service (internal API, proto/gofer/runqueue/v1/run_queue.proto): requests
// are validated and recorded in Postgres, then the run is nudged in the ready queue; the
// orchestrator of whichever replica holds the run acts on it.
#pragma once

#include <memory>

#include "gofer/common/clock.h"
#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/channel.h"
#include "gofer/rpc/runtime.h"
#include "gofer/runqueue/v1/run_queue.grpc.pb.h"
#include "orchestrator.h"
#include "run_store.h"

namespace gofer::run_queue {

// Domain → public messages.
void ToProto(const RunRecord& run, gofer::v1::Run* out);
void ToProto(const TaskRecord& task, const std::vector<AttemptRecord>& attempts, const RunKey& key,
             gofer::v1::TaskExecution* out);

class RunQueueService final : public runqueue::v1::RunQueue::CallbackService {
 public:
  struct Deps {
    rpc::Runtime* runtime = nullptr;
    RunStore* store = nullptr;
    Orchestrator* orchestrator = nullptr;
    rpc::Client* object_store = nullptr;
    Clock* clock = nullptr;
    absl::Duration default_grace = absl::Seconds(10);
  };
  explicit RunQueueService(Deps deps);

  grpc::ServerUnaryReactor* StartRun(grpc::CallbackServerContext* context,
                                     const runqueue::v1::StartRunRequest* request,
                                     gofer::v1::Run* response) override;
  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* context,
                                   const gofer::v1::GetRunRequest* request,
                                   gofer::v1::Run* response) override;
  grpc::ServerUnaryReactor* ListRuns(grpc::CallbackServerContext* context,
                                     const gofer::v1::ListRunsRequest* request,
                                     gofer::v1::ListRunsResponse* response) override;
  grpc::ServerUnaryReactor* CancelRun(grpc::CallbackServerContext* context,
                                      const gofer::v1::CancelRunRequest* request,
                                      gofer::v1::Run* response) override;
  grpc::ServerUnaryReactor* CancelAllRuns(grpc::CallbackServerContext* context,
                                          const gofer::v1::CancelAllRunsRequest* request,
                                          gofer::v1::CancelAllRunsResponse* response) override;
  grpc::ServerUnaryReactor* RetryRun(grpc::CallbackServerContext* context,
                                     const gofer::v1::RetryRunRequest* request,
                                     gofer::v1::Run* response) override;
  grpc::ServerUnaryReactor* ListTaskExecutions(
      grpc::CallbackServerContext* context, const gofer::v1::ListTaskExecutionsRequest* request,
      gofer::v1::ListTaskExecutionsResponse* response) override;
  grpc::ServerUnaryReactor* GetTaskExecution(grpc::CallbackServerContext* context,
                                             const gofer::v1::GetTaskExecutionRequest* request,
                                             gofer::v1::TaskExecution* response) override;
  grpc::ServerUnaryReactor* CancelTaskExecution(
      grpc::CallbackServerContext* context, const gofer::v1::CancelTaskExecutionRequest* request,
      gofer::v1::TaskExecution* response) override;
  grpc::ServerWriteReactor<gofer::v1::TaskLogsResponse>* TaskLogs(
      grpc::CallbackServerContext* context, const gofer::v1::TaskLogsRequest* request) override;
  grpc::ServerUnaryReactor* DeleteTaskLogs(grpc::CallbackServerContext* context,
                                           const gofer::v1::DeleteTaskLogsRequest* request,
                                           gofer::v1::DeleteTaskLogsResponse* response) override;

 private:
  Deps deps_;
  std::unique_ptr<objects::v1::ObjectStore::Stub> objects_;
};

}  // namespace gofer::run_queue
