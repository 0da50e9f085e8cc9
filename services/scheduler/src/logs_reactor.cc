// StreamLogs: one step at a time — a read on the executor, then either a write, the end, or
// (following, nothing new yet) an alarm after which the next read is queued. Exactly one of
// those is pending at any moment, so the reactor is deleted by OnDone alone.
#include <grpcpp/alarm.h>

#include "gofer/common/errors.h"
#include "gofer/rpc/status.h"
#include "scheduler_convert.h"
#include "scheduler_reactors.h"

namespace gofer::scheduler {
namespace {

constexpr size_t kMaxMessageBytes = 1 << 20;
const absl::Duration kReadWait = absl::Milliseconds(10);
const absl::Duration kMaxPause = absl::Milliseconds(250);

class LogsReactor final : public grpc::ServerWriteReactor<v1::StreamLogsResponse> {
 public:
  LogsReactor(grpc::CallbackServerContext* context, rpc::Runtime& runtime, ContainerEngine& engine,
              const v1::StreamLogsRequest& request)
      : context_(context), runtime_(runtime), engine_(engine), id_(request.scheduler_id()) {
    absl::Status ok = runtime_.CheckInternalCaller(*context);
    absl::StatusOr<LogOptions> options = LogOptionsFromProto(request);
    if (ok.ok()) {
      ok = options.status();
    }
    if (!ok.ok()) {
      Finish(rpc::ToGrpcStatus(ok));
      return;
    }
    const bool admitted = runtime_.executor().TrySubmit([this, options = *options] {
      auto reader = engine_.OpenLogs(id_, options);
      if (!reader.ok()) {
        Finish(rpc::ToGrpcStatus(reader.status()));
        return;
      }
      reader_ = *std::move(reader);
      Step();
    });
    if (!admitted) {
      Finish(rpc::ToGrpcStatus(
          WithErrorInfo(absl::ResourceExhaustedError("server is at capacity; retry with backoff"),
                        ErrorReason::kOverloaded)));
    }
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
  // Runs on the executor.
  void Step() {
    if (context_->IsCancelled()) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled"));
      return;
    }
    std::vector<LogChunk> chunks;
    absl::StatusOr<bool> more = reader_->Read(kReadWait, kMaxMessageBytes, &chunks);
    if (!more.ok()) {
      Finish(rpc::ToGrpcStatus(more.status()));
      return;
    }
    if (!chunks.empty()) {
      pause_ = absl::ZeroDuration();
      response_.Clear();
      for (const LogChunk& chunk : chunks) {
        ToProto(chunk, response_.add_chunks());
      }
      StartWrite(&response_);
      return;
    }
    if (!*more) {
      Finish(grpc::Status::OK);
      return;
    }
    // Following and nothing new: idle on an alarm, backing off while the log stays quiet. A
    // fresh alarm each time (an alarm's callback must not be replaced while it runs).
    pause_ = NextPause(pause_, kMaxPause);
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(pause_),
                [this](bool) { Queue(); });
  }

  void Queue() {
    if (!runtime_.executor().Submit([this] { Step(); })) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    }
  }

  grpc::CallbackServerContext* const context_;
  rpc::Runtime& runtime_;
  ContainerEngine& engine_;
  const std::string id_;
  std::unique_ptr<LogReader> reader_;
  v1::StreamLogsResponse response_;
  absl::Duration pause_ = absl::ZeroDuration();
  std::unique_ptr<grpc::Alarm> alarm_;
};

}  // namespace

grpc::ServerWriteReactor<v1::StreamLogsResponse>* NewStreamLogsReactor(
    grpc::CallbackServerContext* context, rpc::Runtime& runtime, ContainerEngine& engine,
    const v1::StreamLogsRequest& request) {
  return new LogsReactor(context, runtime, engine, request);
}

}  // namespace gofer::scheduler
