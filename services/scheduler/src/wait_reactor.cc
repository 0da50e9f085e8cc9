// WaitState without polling: the engine's Watch notifies the reactor about the container, and
// each notification schedules one inspection on the executor (coalesced: at most one runs or
// waits at a time). An alarm ends the wait at the deadline.
#include <grpcpp/alarm.h>

#include "gofer/common/errors.h"
#include "gofer/rpc/status.h"
#include "scheduler_convert.h"
#include "scheduler_reactors.h"

namespace gofer::scheduler {
namespace {

grpc::Status Overloaded() {
  return rpc::ToGrpcStatus(
      WithErrorInfo(absl::ResourceExhaustedError("server is at capacity; retry with backoff"),
                    ErrorReason::kOverloaded));
}

class WaitReactor final : public grpc::ServerUnaryReactor {
 public:
  WaitReactor(grpc::CallbackServerContext* context, rpc::Runtime& runtime, ContainerEngine& engine,
              const v1::WaitStateRequest& request, absl::Duration timeout,
              v1::WaitStateResponse* response)
      : runtime_(runtime),
        engine_(engine),
        id_(request.scheduler_id()),
        known_(FromProto(request.known_state())),
        response_(response) {
    absl::Status ok = runtime_.CheckInternalCaller(*context);
    if (ok.ok()) {
      ok = ValidateContainerId(id_);
    }
    if (!ok.ok()) {
      Finish(rpc::ToGrpcStatus(ok));
      return;
    }
    lifetime_.Acquire();  // for the alarm, released by its callback (fired or cancelled)
    alarm_.Set(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout),
               [this](bool fired) { OnDeadline(fired); });
    // Subscribe before the first inspection, so no change after it goes unnoticed.
    std::unique_ptr<Subscription> subscription =
        engine_.Watch(id_, [this] { Trigger(/*admit=*/false); });
    {
      absl::MutexLock lock(&mu_);
      if (!finished_) {
        subscription_ = std::move(subscription);
      }
    }
    subscription.reset();  // (already finished: outside mu_, since its callbacks take mu_)
    Trigger(/*admit=*/true);
  }

  void OnDone() override {
    if (lifetime_.Done()) {
      delete this;
    }
  }

 private:
  // Schedules one inspection unless one is pending (then it runs once more afterwards).
  void Trigger(bool admit) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) {
        return;
      }
      if (inspecting_) {
        again_ = true;
        return;
      }
      inspecting_ = true;
    }
    lifetime_.Acquire();
    auto task = [this] { Inspect(); };
    const bool queued =
        admit ? runtime_.executor().TrySubmit(task) : runtime_.executor().Submit(task);
    if (!queued) {
      End(admit ? Overloaded()
                : grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
      if (lifetime_.Release()) {
        delete this;
      }
    }
  }

  void Inspect() {
    absl::StatusOr<ContainerStatus> status = engine_.Inspect(id_);
    bool rerun = false;
    {
      absl::MutexLock lock(&mu_);
      inspecting_ = false;
      rerun = std::exchange(again_, false);
    }
    if (!status.ok()) {
      End(rpc::ToGrpcStatus(status.status()));
    } else if (Changed(status->state) || DeadlinePassed()) {
      ToProto(*status, response_->mutable_status());
      response_->set_changed(Changed(status->state));
      End(grpc::Status::OK);
    } else if (rerun) {
      Trigger(/*admit=*/false);
    }
    if (lifetime_.Release()) {
      delete this;
    }
  }

  void OnDeadline(bool fired) {
    if (fired) {
      {
        absl::MutexLock lock(&mu_);
        deadline_passed_ = true;
      }
      Trigger(/*admit=*/false);  // one last inspection answers with the current state
    }
    if (lifetime_.Release()) {
      delete this;
    }
  }

  bool Changed(ContainerState state) const {
    if (known_ == ContainerState::kUnknown || known_ == ContainerState::kExited) {
      return IsTerminal(state);
    }
    return state != known_;
  }

  bool DeadlinePassed() {
    absl::MutexLock lock(&mu_);
    return deadline_passed_;
  }

  // Finishes the call once; the caller holds a piece of the lifetime.
  void End(grpc::Status status) {
    std::unique_ptr<Subscription> subscription;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) {
        return;
      }
      finished_ = true;
      subscription = std::move(subscription_);
    }
    subscription.reset();  // outside mu_: its callbacks take mu_
    alarm_.Cancel();
    Finish(std::move(status));
  }

  rpc::Runtime& runtime_;
  ContainerEngine& engine_;
  const std::string id_;
  const ContainerState known_;
  v1::WaitStateResponse* const response_;
  ReactorLifetime lifetime_;
  grpc::Alarm alarm_;
  absl::Mutex mu_;
  std::unique_ptr<Subscription> subscription_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool inspecting_ ABSL_GUARDED_BY(mu_) = false;
  bool again_ ABSL_GUARDED_BY(mu_) = false;
  bool deadline_passed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerUnaryReactor* NewWaitStateReactor(grpc::CallbackServerContext* context,
                                              rpc::Runtime& runtime, ContainerEngine& engine,
                                              const v1::WaitStateRequest& request,
                                              absl::Duration timeout,
                                              v1::WaitStateResponse* response) {
  return new WaitReactor(context, runtime, engine, request, timeout, response);
}

}  // namespace gofer::scheduler
