// gRPC adapter of gofer.scheduler.v1.Scheduler: validates requests, maps proto ⇄ engine types
// and runs every engine call on the runtime's executor (unary calls through rpc::Unary; waits,
// log streams and exec sessions as reactors driven step by step on the executor, idle between
// steps on gRPC alarms or engine notifications, so no thread is held while nothing happens).
#pragma once

#include "container_engine.h"
#include "gofer/rpc/runtime.h"
#include "gofer/scheduler/v1/scheduler.grpc.pb.h"

namespace gofer::scheduler {

struct ServiceOptions {
  // Operators may switch exec/attach off entirely (Exec then fails FAILED_PRECONDITION).
  bool exec_enabled = true;
  // WaitState's timeout when the request sets none, and the most it may ask for.
  absl::Duration default_wait = absl::Seconds(30);
  absl::Duration max_wait = absl::Minutes(10);
};

class SchedulerService final : public v1::Scheduler::CallbackService {
 public:
  // `engine` and `runtime` must outlive the service.
  SchedulerService(ContainerEngine& engine, rpc::Runtime& runtime, ServiceOptions options)
      : engine_(engine), runtime_(runtime), options_(options) {}

  grpc::ServerUnaryReactor* StartContainer(grpc::CallbackServerContext* context,
                                           const v1::StartContainerRequest* request,
                                           v1::StartContainerResponse* response) override;
  grpc::ServerUnaryReactor* StopContainer(grpc::CallbackServerContext* context,
                                          const v1::StopContainerRequest* request,
                                          v1::StopContainerResponse* response) override;
  grpc::ServerUnaryReactor* GetState(grpc::CallbackServerContext* context,
                                     const v1::GetStateRequest* request,
                                     v1::ContainerStatus* response) override;
  grpc::ServerUnaryReactor* WaitState(grpc::CallbackServerContext* context,
                                      const v1::WaitStateRequest* request,
                                      v1::WaitStateResponse* response) override;
  grpc::ServerWriteReactor<v1::StreamLogsResponse>* StreamLogs(
      grpc::CallbackServerContext* context, const v1::StreamLogsRequest* request) override;
  grpc::ServerBidiReactor<v1::ExecRequest, v1::ExecResponse>* Exec(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ListContainers(grpc::CallbackServerContext* context,
                                           const v1::ListContainersRequest* request,
                                           v1::ListContainersResponse* response) override;
  grpc::ServerUnaryReactor* RemoveContainer(grpc::CallbackServerContext* context,
                                            const v1::RemoveContainerRequest* request,
                                            v1::RemoveContainerResponse* response) override;

 private:
  ContainerEngine& engine_;
  rpc::Runtime& runtime_;
  const ServiceOptions options_;
};

}  // namespace gofer::scheduler
