// Exec: two chains run side by side once the session started. The input chain reads one
// request message, applies it on the executor (stdin, resize, close), then reads the next. The
// output chain reads the session's output on the executor, writes it one message at a time,
// idles on an alarm while the command is quiet, and ends with the exit code. ReactorLifetime
// keeps the reactor until OnDone and the last pending step.
#include <grpcpp/alarm.h>

#include <deque>
#include <optional>

#include "gofer/common/errors.h"
#include "gofer/rpc/status.h"
#include "scheduler_convert.h"
#include "scheduler_reactors.h"

namespace gofer::scheduler {
namespace {

const absl::Duration kReadWait = absl::Milliseconds(10);
const absl::Duration kMaxPause = absl::Milliseconds(100);
constexpr size_t kMaxStdinChunk = 1 << 20;

grpc::Status Invalid(const std::string& field, const std::string& why) {
  return rpc::ToGrpcStatus(InvalidArgumentError({{field, why}}));
}

class ExecReactor final : public grpc::ServerBidiReactor<v1::ExecRequest, v1::ExecResponse> {
 public:
  ExecReactor(grpc::CallbackServerContext* context, rpc::Runtime& runtime, ContainerEngine& engine,
              bool enabled)
      : context_(context), runtime_(runtime), engine_(engine) {
    if (absl::Status auth = runtime_.CheckInternalCaller(*context); !auth.ok()) {
      Finish(rpc::ToGrpcStatus(auth));
      return;
    }
    if (!enabled) {
      Finish(rpc::ToGrpcStatus(WithErrorInfo(
          absl::FailedPreconditionError(
              "exec/attach is disabled on this scheduler by its operator (exec.enabled: false)"),
          ErrorReason::kFailedPrecondition, {{"setting", "exec.enabled"}})));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      if (session_ == nullptr) {
        End(context_->IsCancelled() ? grpc::Status::CANCELLED
                                    : Invalid("start", "the stream ended before its start"));
      } else {
        Run([this] { (void)session_->CloseStdin(); });  // half-close: end of stdin
      }
      return;
    }
    if (session_ == nullptr) {
      Begin();
      return;
    }
    Run([this] {
      if (absl::Status s = Apply(request_); !s.ok()) {
        End(rpc::ToGrpcStatus(s));
        return;
      }
      StartRead(&request_);
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
    } else {
      WriteNext();
    }
    if (lifetime_.Release()) {  // the write's hold
      delete this;
    }
  }

  void OnDone() override {
    if (lifetime_.Done()) {
      delete this;
    }
  }

 private:
  void Begin() {
    if (!request_.has_start()) {
      End(Invalid("start", "the first message must be start"));
      return;
    }
    absl::StatusOr<ExecSpec> spec = ExecSpecFromProto(request_.start());
    if (!spec.ok()) {
      End(rpc::ToGrpcStatus(spec.status()));
      return;
    }
    lifetime_.Acquire();
    const bool admitted = runtime_.executor().TrySubmit([this, spec = *spec] {
      absl::StatusOr<std::unique_ptr<ExecSession>> session = engine_.Exec(spec);
      if (!session.ok()) {
        End(rpc::ToGrpcStatus(session.status()));
      } else {
        session_ = *std::move(session);
        StartRead(&request_);
        Pump();
      }
      Released();
    });
    if (!admitted) {
      End(rpc::ToGrpcStatus(
          WithErrorInfo(absl::ResourceExhaustedError("server is at capacity; retry with backoff"),
                        ErrorReason::kOverloaded)));
      Released();
    }
  }

  absl::Status Apply(const v1::ExecRequest& request) {
    switch (request.message_case()) {
      case v1::ExecRequest::kStdin:
        if (request.stdin().size() > kMaxStdinChunk) {
          return InvalidArgumentError({{"stdin", "at most 1 MiB per message"}});
        }
        return session_->WriteStdin(request.stdin());
      case v1::ExecRequest::kResize:
        return session_->Resize({request.resize().rows(), request.resize().columns()});
      case v1::ExecRequest::kCloseStdin:
        return session_->CloseStdin();
      default:
        return InvalidArgumentError({{"start", "only the first message may be start"}});
    }
  }

  // The output chain's step, on the executor.
  void Pump() {
    // The client left (or the deadline passed): end now rather than when the command next
    // writes (a quiet one might never), so that the session, and with it the command, goes away.
    // Checked here rather than in OnCancel so that the end never races the session's start.
    if (context_->IsCancelled()) {
      End(grpc::Status::CANCELLED);
      return;
    }
    std::vector<ExecOutput> output;
    absl::StatusOr<bool> more = session_->ReadOutput(kReadWait, &output);
    if (!more.ok()) {
      End(rpc::ToGrpcStatus(more.status()));
      return;
    }
    std::optional<int> exit_code;
    if (!*more) {
      absl::StatusOr<int> code = session_->ExitCode();
      if (!code.ok()) {
        End(rpc::ToGrpcStatus(code.status()));
        return;
      }
      exit_code = *code;
    }
    {
      absl::MutexLock lock(&mu_);
      for (ExecOutput& piece : output) {
        v1::ExecResponse& response = pending_.emplace_back();
        if (piece.stream == OutputStream::kStderr) {
          response.set_stderr(std::move(piece.data));
        } else {
          response.set_stdout(std::move(piece.data));
        }
      }
      if (exit_code.has_value()) {
        pending_.emplace_back().set_exit_code(*exit_code);
        exited_ = true;
      }
      if (!pending_.empty()) {
        pause_ = absl::ZeroDuration();
        StartNextWriteLocked();
        return;
      }
    }
    // Quiet: look again after a pause that grows while the command stays quiet.
    pause_ = NextPause(pause_, kMaxPause);
    lifetime_.Acquire();
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(pause_), [this](bool) {
      Run([this] { Pump(); });
      Released();
    });
  }

  void WriteNext() {
    bool exited = false;
    {
      absl::MutexLock lock(&mu_);
      pending_.pop_front();
      if (!pending_.empty()) {
        StartNextWriteLocked();
        return;
      }
      exited = exited_;
    }
    if (exited) {
      End(grpc::Status::OK);
    } else {
      Run([this] { Pump(); });
    }
  }

  void StartNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) {
      return;
    }
    lifetime_.Acquire();  // released by OnWriteDone
    StartWrite(&pending_.front());
  }

  // Queues `step` on the executor, holding the reactor while it is pending.
  void Run(std::function<void()> step) {
    lifetime_.Acquire();
    const bool queued = runtime_.executor().Submit([this, step = std::move(step)] {
      if (!IsFinished()) {
        step();
      }
      Released();
    });
    if (!queued) {
      End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
      Released();
    }
  }

  bool IsFinished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (std::exchange(finished_, true)) {
        return;
      }
    }
    Finish(std::move(status));
  }

  void Released() {
    if (lifetime_.Release()) {
      delete this;
    }
  }

  grpc::CallbackServerContext* const context_;
  rpc::Runtime& runtime_;
  ContainerEngine& engine_;
  ReactorLifetime lifetime_;
  v1::ExecRequest request_;
  std::unique_ptr<ExecSession> session_;
  absl::Mutex mu_;
  std::deque<v1::ExecResponse> pending_ ABSL_GUARDED_BY(mu_);
  bool exited_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration pause_ = absl::ZeroDuration();
  std::unique_ptr<grpc::Alarm> alarm_;
};

}  // namespace

grpc::ServerBidiReactor<v1::ExecRequest, v1::ExecResponse>* NewExecReactor(
    grpc::CallbackServerContext* context, rpc::Runtime& runtime, ContainerEngine& engine,
    bool enabled) {
  return new ExecReactor(context, runtime, engine, enabled);
}

}  // namespace gofer::scheduler
