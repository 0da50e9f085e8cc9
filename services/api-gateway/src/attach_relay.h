// TaskService.AttachTask (F-DBG-1): an interactive command in a running task's container,
// relayed between the caller and the scheduler's Exec.
//
// The first request message names the task; the gateway authenticates the caller, requires
// write on runs of the task's pipeline, honours the operator's switch (`attach.enabled`), asks
// the run-queue for the task execution (it must be running; its `container` is what to exec
// into), records `task.attached`, and opens Exec on the scheduler with the internal credential
// and the caller's identity. From then on it relays messages both ways, one in flight in each
// direction (a slow reader holds back the writer, and nothing queues in the gateway), and
// holds no executor thread. When the command ends it records `task.detached` with the exit code
// and finishes the call; when the caller goes away, the scheduler's call is cancelled (which
// ends the command).
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>

#include "attach_audit.h"
#include "gofer/rpc/channel.h"
#include "gofer/scheduler/v1/scheduler.grpc.pb.h"
#include "gofer/v1/runs.grpc.pb.h"

namespace gofer::api_gateway {

struct RunForwarding;

// What AttachTask needs besides the run-queue.
struct AttachOptions {
  // The scheduler whose Exec the sessions relay to (a client with the internal credential).
  // Not owned; required.
  const rpc::Client* scheduler = nullptr;
  // Where sessions are recorded. Not owned; required.
  AttachAudit* audit = nullptr;
  // The operator's switch: false answers every AttachTask FAILED_PRECONDITION.
  bool enabled = true;
};

// AttachTask's shared parts: its options and a stub of the scheduler.
struct Attaching {
  AttachOptions options;
  std::unique_ptr<scheduler::v1::Scheduler::Stub> stub;
};

// The reactor of one AttachTask call (it deletes itself when the call is done). `f` and
// `attaching` must outlive every call.
grpc::ServerBidiReactor<v1::AttachTaskRequest, v1::AttachTaskResponse>* NewAttachRelay(
    grpc::CallbackServerContext* ctx, RunForwarding& f, Attaching& attaching);

}  // namespace gofer::api_gateway
