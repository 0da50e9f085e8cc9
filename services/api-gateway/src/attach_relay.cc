// The relay is two chains, each with at most one message in flight:
//   caller → scheduler: read a request, write it upstream, and read the next only once the
//     upstream write completed;
//   scheduler → caller: read a response upstream, write it to the caller, and read the next
//     only once that write completed.
// Operations on the upstream call are started from the caller's side of the relay (outside the
// upstream reactor's own reactions), so the relay holds the upstream call open (AddHold) until
// no further operation can start: when the scheduler's stream ended or the caller stopped
// reading. The relay is deleted when the caller's call is done, the upstream call is done and
// no executor step is pending.
#include "attach_relay.h"

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "gofer/rpc/status.h"
#include "run_forwarding.h"
#include "spdlog/spdlog.h"

namespace gofer::api_gateway {
namespace {

namespace sv1 = scheduler::v1;

constexpr char kMethod[] = "AttachTask";
constexpr size_t kMaxCommandArgs = 256;
constexpr size_t kMaxCommandBytes = 64 * 1024;
constexpr size_t kMaxTerm = 64;
// A session longer than a working day is a forgotten one.
const absl::Duration kMaxSession = absl::Hours(24);

// "TASK_EXECUTION_STATE_COMPLETE" → "complete".
std::string StateWord(v1::TaskExecutionState state) {
  std::string name = v1::TaskExecutionState_Name(state);
  absl::StrReplaceAll({{"TASK_EXECUTION_STATE_", ""}, {"_", " "}}, &name);
  return absl::AsciiStrToLower(name);
}

absl::Status Validate(const v1::AttachTaskStart& start) {
  Violations v;
  v.CheckIdentifier("start.namespace_id", start.namespace_id());
  v.CheckIdentifier("start.pipeline_id", start.pipeline_id());
  if (start.run_id() <= 0) {
    v.Add("start.run_id", "must be a run number (1 or more)");
  }
  if (start.task_id().empty()) {
    v.Add("start.task_id", "must not be empty");
  }
  size_t bytes = 0;
  for (const std::string& arg : start.command()) {
    bytes += arg.size();
  }
  if (start.command_size() > 0 && start.command(0).empty()) {
    v.Add("start.command[0]", "must name the program to run");
  }
  if (static_cast<size_t>(start.command_size()) > kMaxCommandArgs || bytes > kMaxCommandBytes) {
    v.Add("start.command",
          fmt::format("at most {} arguments and {} bytes", kMaxCommandArgs, kMaxCommandBytes));
  }
  if (start.term().size() > kMaxTerm) {
    v.Add("start.term", fmt::format("at most {} characters", kMaxTerm));
  }
  return v.ToStatus();
}

// The scheduler's ExecStart for `start` in `container`.
sv1::ExecRequest ExecStartFor(const v1::AttachTaskStart& start, const std::string& container,
                              const std::vector<std::string>& command, bool tty) {
  sv1::ExecRequest request;
  sv1::ExecStart* exec = request.mutable_start();
  exec->set_scheduler_id(container);
  exec->mutable_command()->Assign(command.begin(), command.end());
  exec->set_tty(tty);
  if (tty) {
    exec->mutable_size()->set_rows(start.size().rows());
    exec->mutable_size()->set_columns(start.size().columns());
    if (!start.term().empty()) {
      (*exec->mutable_env())["TERM"] = start.term();
    }
  }
  return request;
}

// A later request message as the scheduler's; INVALID_ARGUMENT for a second start or an empty
// message.
absl::Status ToExec(const v1::AttachTaskRequest& in, sv1::ExecRequest* out) {
  switch (in.message_case()) {
    case v1::AttachTaskRequest::kStdin:
      out->set_stdin(in.stdin());
      return absl::OkStatus();
    case v1::AttachTaskRequest::kResize:
      out->mutable_resize()->set_rows(in.resize().rows());
      out->mutable_resize()->set_columns(in.resize().columns());
      return absl::OkStatus();
    case v1::AttachTaskRequest::kCloseStdin:
      out->set_close_stdin(true);
      return absl::OkStatus();
    case v1::AttachTaskRequest::kStart:
      return InvalidArgumentError({{"start", "only the first message may be start"}});
    default:
      return InvalidArgumentError(
          {{"message", "a message must carry stdin, resize or close_stdin"}});
  }
}

// A scheduler response as the caller's.
void FromExec(const sv1::ExecResponse& in, v1::AttachTaskResponse* out) {
  switch (in.message_case()) {
    case sv1::ExecResponse::kStdout:
      out->set_stdout(in.stdout());
      break;
    case sv1::ExecResponse::kStderr:
      out->set_stderr(in.stderr());
      break;
    case sv1::ExecResponse::kExitCode:
      out->set_exit_code(in.exit_code());
      break;
    default:
      out->Clear();
  }
}

class AttachRelay final
    : public grpc::ServerBidiReactor<v1::AttachTaskRequest, v1::AttachTaskResponse> {
 public:
  AttachRelay(grpc::CallbackServerContext* ctx, RunForwarding& f, Attaching& attaching)
      : ctx_(ctx), f_(f), attaching_(attaching), upstream_(this) {
    Hold();  // the caller's call, until OnDone
    StartRead(&in_);
  }

  // The caller's side.

  void OnReadDone(bool ok) override {
    bool relaying = false;
    {
      absl::MutexLock lock(&mu_);
      relaying = relaying_;
    }
    if (!relaying) {
      Begin(ok);
      return;
    }
    absl::MutexLock lock(&mu_);
    if (released_) {
      return;  // the upstream call is ending; what the caller sends now has nowhere to go
    }
    if (!ok) {
      upstream_.StartWritesDone();  // the caller's half-close: end of the command's stdin
      return;
    }
    up_out_.Clear();
    if (absl::Status s = ToExec(in_, &up_out_); !s.ok()) {
      end_status_ = s;
      context_->TryCancel();  // the upstream call ends, and with it the caller's
      return;
    }
    upstream_.StartWrite(&up_out_);
  }

  void OnWriteDone(bool ok) override {
    bool release = false;
    {
      absl::MutexLock lock(&mu_);
      if (!ok) {
        context_->TryCancel();  // the caller stopped reading: end the command
        release = !std::exchange(released_, true);
      } else if (!released_) {
        upstream_.StartRead(&up_in_);
      }
    }
    if (release) {
      upstream_.RemoveHold();
    }
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (context_) {
      context_->TryCancel();
    }
  }

  void OnDone() override { Release(); }

 private:
  // The scheduler's side (its reactions run on gRPC threads).
  class Upstream final : public grpc::ClientBidiReactor<sv1::ExecRequest, sv1::ExecResponse> {
   public:
    explicit Upstream(AttachRelay* relay) : relay_(relay) {}
    void OnReadDone(bool ok) override { relay_->UpstreamRead(ok); }
    void OnWriteDone(bool ok) override { relay_->UpstreamWritten(ok); }
    void OnDone(const grpc::Status& status) override { relay_->UpstreamDone(status); }

   private:
    AttachRelay* const relay_;
  };

  // The first message arrived (or the stream ended before it).
  void Begin(bool ok) {
    if (!ok) {
      Finish(ctx_->IsCancelled()
                 ? grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the call")
                 : rpc::ToGrpcStatus(InvalidArgumentError(
                       {{"start", "the stream ended before its first message"}})));
      return;
    }
    if (!in_.has_start()) {
      Finish(
          rpc::ToGrpcStatus(InvalidArgumentError({{"start", "the first message must be start"}})));
      return;
    }
    Hold();
    const bool admitted = f_.gate.runtime().executor().TrySubmit([this] {
      if (absl::Status s = Setup(); !s.ok()) {
        Finish(rpc::ToGrpcStatus(f_.gate.Sanitize(s, kMethod)));
      }
      Release();
    });
    if (!admitted) {
      Finish(rpc::ToGrpcStatus(WithErrorInfo(absl::ResourceExhaustedError("server is at capacity"),
                                             ErrorReason::kOverloaded)));
      Release();
    }
  }

  // On the executor: checks the caller and the task, records the session, opens the upstream
  // call. An error means the session did not start (the caller's call is not finished yet).
  absl::Status Setup() {
    const v1::AttachTaskStart& start = in_.start();
    GOFER_ASSIGN_OR_RETURN(const Caller caller, f_.gate.Authenticate(*ctx_));
    GOFER_RETURN_IF_ERROR(Validate(start));
    GOFER_RETURN_IF_ERROR(f_.gate.Check(caller, {.kind = "runs",
                                                 .action = Action::kWrite,
                                                 .namespace_id = start.namespace_id(),
                                                 .pipeline_id = start.pipeline_id()}));
    if (!attaching_.options.enabled) {
      return WithErrorInfo(
          absl::FailedPreconditionError(
              "attach is disabled by the operator (api-gateway attach.enabled: false)"),
          ErrorReason::kFailedPrecondition, {{"setting", "attach.enabled"}});
    }
    GOFER_RETURN_IF_ERROR(f_.pipelines.CheckExists(start.namespace_id(), start.pipeline_id()));
    GOFER_ASSIGN_OR_RETURN(const std::string container, RunningContainer(caller, start));
    task_ = {start.namespace_id(), start.pipeline_id(), start.run_id(), start.task_id()};
    actor_ = caller.actor;
    std::vector<std::string> command(start.command().begin(), start.command().end());
    if (command.empty()) {
      command = {"/bin/sh"};
    }
    const bool tty = !start.has_tty() || start.tty();
    GOFER_RETURN_IF_ERROR(attaching_.options.audit->Attached(task_, actor_, command, tty));
    spdlog::info("{} attached to task '{}' of run {} of {}/{}: {}", actor_, task_.task_id,
                 task_.run_id, task_.namespace_id, task_.pipeline_id, fmt::join(command, " "));
    up_out_ = ExecStartFor(start, container, command, tty);
    StartUpstream();
    return absl::OkStatus();
  }

  // The container of the task's current attempt; FAILED_PRECONDITION unless it is running.
  absl::StatusOr<std::string> RunningContainer(const Caller& caller,
                                               const v1::AttachTaskStart& start) {
    v1::GetTaskExecutionRequest get;
    get.set_namespace_id(start.namespace_id());
    get.set_pipeline_id(start.pipeline_id());
    get.set_run_id(start.run_id());
    get.set_task_id(start.task_id());
    v1::TaskExecution task;
    auto context =
        f_.run_queue.NewContext({.caller = caller.actor, .request_id = rpc::RequestIdOf(*ctx_)});
    GOFER_RETURN_IF_ERROR(
        rpc::FromGrpcStatus(f_.stub->GetTaskExecution(context.get(), get, &task)));
    if (task.state() != v1::TASK_EXECUTION_STATE_RUNNING || task.container().empty()) {
      return WithErrorInfo(
          absl::FailedPreconditionError(fmt::format(
              "task '{}' of run {} is {}; only a running task can be attached to", start.task_id(),
              start.run_id(),
              task.state() == v1::TASK_EXECUTION_STATE_RUNNING ? "starting"
                                                               : StateWord(task.state()))),
          ErrorReason::kFailedPrecondition, {{"state", v1::TaskExecutionState_Name(task.state())}});
    }
    return task.container();
  }

  // Opens Exec on the scheduler with `up_out_` (the start) as its first message.
  void StartUpstream() {
    grpc::ClientContext* context = nullptr;
    {
      absl::MutexLock lock(&mu_);
      context_ = attaching_.options.scheduler->NewContext(
          {.timeout = kMaxSession, .caller = actor_, .request_id = rpc::RequestIdOf(*ctx_)});
      if (cancelled_) {
        context_->TryCancel();  // the call then starts cancelled and ends at once
      }
      context = context_.get();
      relaying_ = true;
    }
    Hold();  // the upstream call, until its end is recorded
    attaching_.stub->async()->Exec(context, &upstream_);
    upstream_.StartWrite(&up_out_);
    upstream_.StartRead(&up_in_);  // the scheduler → caller chain
    upstream_.AddHold();           // released once no more upstream operations can start
    upstream_.StartCall();
  }

  // After a failed write the upstream call is ending: its pending read fails too (or, while a
  // response is being written to the caller, the read after it), which ends the relay.
  void UpstreamWritten(bool ok) {
    if (ok) {
      StartRead(&in_);  // the next message from the caller
    }
  }

  void UpstreamRead(bool ok) {
    if (!ok) {  // the scheduler's stream ended: no more upstream operations
      bool release = false;
      {
        absl::MutexLock lock(&mu_);
        release = !std::exchange(released_, true);
      }
      if (release) {
        upstream_.RemoveHold();
      }
      return;
    }
    out_.Clear();
    FromExec(up_in_, &out_);
    if (out_.has_exit_code()) {
      absl::MutexLock lock(&mu_);
      exit_code_ = out_.exit_code();
    }
    StartWrite(&out_);
  }

  void UpstreamDone(const grpc::Status& status) {
    const bool queued = f_.gate.runtime().executor().Submit([this, status] {
      EndSession(status);
      Release();
    });
    if (!queued) {
      EndSession(status);
      Release();
    }
  }

  // Records `task.detached` and finishes the caller's call.
  void EndSession(const grpc::Status& upstream) {
    std::optional<int> exit_code;
    absl::Status end;
    {
      absl::MutexLock lock(&mu_);
      exit_code = exit_code_;
      end = end_status_.ok() ? rpc::FromGrpcStatus(upstream) : end_status_;
    }
    const std::string how = absl::StatusCodeToString(end.code());
    if (absl::Status s = attaching_.options.audit->Detached(task_, actor_, exit_code, how);
        !s.ok()) {
      spdlog::warn("{}: recording task.detached of task '{}' of run {}: {}", kMethod, task_.task_id,
                   task_.run_id, s.ToString());
    }
    spdlog::info("{} detached from task '{}' of run {} of {}/{}: {}", actor_, task_.task_id,
                 task_.run_id, task_.namespace_id, task_.pipeline_id,
                 exit_code ? fmt::format("exit code {}", *exit_code) : how);
    Finish(rpc::ToGrpcStatus(f_.gate.Sanitize(end, kMethod)));
  }

  void Hold() {
    absl::MutexLock lock(&holds_mu_);
    ++holds_;
  }

  void Release() {
    bool last = false;
    {
      absl::MutexLock lock(&holds_mu_);
      last = --holds_ == 0;
    }
    if (last) {
      delete this;
    }
  }

  grpc::CallbackServerContext* const ctx_;
  RunForwarding& f_;
  Attaching& attaching_;
  Upstream upstream_;
  // The caller's request being read and response being written (one of each at a time).
  v1::AttachTaskRequest in_;
  v1::AttachTaskResponse out_;
  // The scheduler's request being written and response being read (one of each at a time).
  sv1::ExecRequest up_out_;
  sv1::ExecResponse up_in_;
  // Set by Setup before the upstream call starts; read-only afterwards.
  AttachedTask task_;
  std::string actor_;

  absl::Mutex mu_;
  // The upstream call's context (set once, before the call starts).
  std::unique_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(mu_);
  bool relaying_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // The relay's hold on the upstream call was removed: start no more upstream operations.
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<int> exit_code_ ABSL_GUARDED_BY(mu_);
  // Why the relay ended the session itself (a malformed caller message); OK otherwise.
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);

  absl::Mutex holds_mu_;
  int holds_ ABSL_GUARDED_BY(holds_mu_) = 0;
};

}  // namespace

grpc::ServerBidiReactor<v1::AttachTaskRequest, v1::AttachTaskResponse>* NewAttachRelay(
    grpc::CallbackServerContext* ctx, RunForwarding& f, Attaching& attaching) {
  return new AttachRelay(ctx, f, attaching);
}

}  // namespace gofer::api_gateway
