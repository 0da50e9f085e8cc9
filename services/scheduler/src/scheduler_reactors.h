// The scheduler's long-lived calls, as reactors on the runtime's executor. Each deletes itself
// when gRPC is done with it and no step of its work is pending.
#pragma once

#include <grpcpp/support/server_callback.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "container_engine.h"
#include "gofer/rpc/runtime.h"
#include "gofer/scheduler/v1/scheduler.pb.h"

namespace gofer::scheduler {

// Counts the work in flight (executor tasks, alarms) of a reactor driven from several places
// at once, so that it is deleted exactly once: after OnDone and after its last piece of work.
// Thread-safe.
class ReactorLifetime {
 public:
  // Registers one piece of work.
  void Acquire() {
    absl::MutexLock lock(&mu_);
    ++holds_;
  }
  // Ends one piece of work; true when the caller must now delete the reactor.
  [[nodiscard]] bool Release() {
    absl::MutexLock lock(&mu_);
    return --holds_ == 0 && done_;
  }
  // Records OnDone; true when the caller must now delete the reactor.
  [[nodiscard]] bool Done() {
    absl::MutexLock lock(&mu_);
    done_ = true;
    return holds_ == 0;
  }

 private:
  absl::Mutex mu_;
  int holds_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

// The next idle pause of a polling step: doubles from 5 ms up to `max`.
inline absl::Duration NextPause(absl::Duration pause, absl::Duration max) {
  return pause == absl::ZeroDuration() ? absl::Milliseconds(5) : std::min(pause * 2, max);
}

// WaitState: inspects the container, then again on each engine notification about it, until
// the state differs from `known_state` (or it exited) or the deadline passes.
grpc::ServerUnaryReactor* NewWaitStateReactor(grpc::CallbackServerContext* context,
                                              rpc::Runtime& runtime, ContainerEngine& engine,
                                              const v1::WaitStateRequest& request,
                                              absl::Duration timeout,
                                              v1::WaitStateResponse* response);

// StreamLogs: reads chunks on the executor, writes them (≤ 1 MiB a message), and while
// following idles on an alarm between reads.
grpc::ServerWriteReactor<v1::StreamLogsResponse>* NewStreamLogsReactor(
    grpc::CallbackServerContext* context, rpc::Runtime& runtime, ContainerEngine& engine,
    const v1::StreamLogsRequest& request);

// Exec: starts the session on the first message, then forwards stdin/resizes/close one message
// at a time, and output (then the exit code) as it comes. With `enabled` false, fails
// FAILED_PRECONDITION at once.
grpc::ServerBidiReactor<v1::ExecRequest, v1::ExecResponse>* NewExecReactor(
    grpc::CallbackServerContext* context, rpc::Runtime& runtime, ContainerEngine& engine,
    bool enabled);

}  // namespace gofer::scheduler
