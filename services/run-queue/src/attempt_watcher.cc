#include "attempt_watcher.h"

#include <openssl/sha.h>

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/status_macros.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/rpc/status.h"
#include "gofer/v1/runs.pb.h"
#include "spdlog/spdlog.h"

namespace gofer::run_queue {
namespace {

namespace sv1 = scheduler::v1;
namespace ov1 = objects::v1;

constexpr size_t kMaxContainerName = 128;
constexpr absl::Duration kCallTimeout = absl::Seconds(30);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

// Delays between tries of a transient failure: 100 ms, doubling, at most kMaxBackoff.
class Backoff {
 public:
  absl::Duration Next() {
    const absl::Duration d = next_;
    next_ = std::min(next_ * 2, kMaxBackoff);
    return d;
  }
  void Reset() { next_ = kFirst; }

 private:
  static constexpr absl::Duration kFirst = absl::Milliseconds(100);
  absl::Duration next_ = kFirst;
};

bool Transient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsResourceExhausted(s) ||
         absl::IsAborted(s);
}

std::optional<absl::Time> OptTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) {
    return std::nullopt;
  }
  return rpc::FromTimestamp(t);
}

// One log line being assembled from the scheduler's chunks.
struct Partial {
  std::string text;
  int64_t start_offset = -1;  // offset of its first byte; -1 when empty
  absl::Time time;
};

// Splits output into lines, redacts them, and stores them in chunks.
class LogCapture {
 public:
  LogCapture(const WatcherContext& ctx, ov1::ObjectStore::Stub& objects, const WatchSpec& spec,
             const std::vector<std::string>& secrets)
      : ctx_(ctx),
        objects_(objects),
        spec_(spec),
        secrets_(secrets),
        offset_(spec.log_offset),
        next_line_(spec.next_line),
        seq_(spec.next_seq) {}

  int64_t offset() const { return offset_; }

  void Add(const sv1::LogChunk& chunk) {
    const bool err = chunk.stream() == sv1::LOG_STREAM_STDERR;
    Partial& p = err ? stderr_ : stdout_;
    const absl::Time time = rpc::FromTimestamp(chunk.time());
    const std::string& data = chunk.data();
    size_t pos = 0;
    while (pos < data.size()) {
      const size_t nl = data.find('\n', pos);
      if (p.start_offset < 0) {
        p.start_offset = chunk.offset() + static_cast<int64_t>(pos);
        p.time = time;
      }
      if (nl == std::string::npos) {
        p.text.append(data, pos, std::string::npos);
        break;
      }
      p.text.append(data, pos, nl - pos);
      Emit(p, err ? gofer::v1::LOG_STREAM_STDERR : gofer::v1::LOG_STREAM_STDOUT);
      pos = nl + 1;
    }
    offset_ = std::max(offset_, chunk.offset() + static_cast<int64_t>(data.size()));
  }

  // Stores what is buffered when it is big or old enough (or `force`). False when the lease
  // was lost (the watcher must stop).
  absl::Status MaybeFlush(bool force) {
    if (force) {
      if (!stdout_.text.empty()) Emit(stdout_, gofer::v1::LOG_STREAM_STDOUT);
      if (!stderr_.text.empty()) Emit(stderr_, gofer::v1::LOG_STREAM_STDERR);
    }
    if (batch_.lines().empty()) {
      return absl::OkStatus();
    }
    const absl::Time now = ctx_.clock->Now();
    if (!force && batch_bytes_ < ctx_.log_chunk_bytes &&
        now - batch_started_ < ctx_.log_flush_interval) {
      return absl::OkStatus();
    }
    return Flush();
  }

  int64_t next_line() const { return next_line_; }

 private:
  void Emit(Partial& p, gofer::v1::LogStream stream) {
    if (batch_.lines().empty()) {
      batch_started_ = ctx_.clock->Now();
    }
    gofer::v1::TaskLogLine* line = batch_.add_lines();
    line->set_line(next_line_++);
    line->set_stream(stream);
    rpc::ToTimestamp(p.time, line->mutable_time());
    if (!p.text.empty() && p.text.back() == '\r') {
      p.text.pop_back();
    }
    line->set_text(Redact(std::move(p.text), secrets_));
    batch_bytes_ += static_cast<int64_t>(line->text().size()) + 32;
    p = Partial{};
  }

  // The offset after which nothing is stored yet (a new holder resumes there).
  int64_t SafeOffset() const {
    int64_t safe = offset_;
    for (const Partial* p : {&stdout_, &stderr_}) {
      if (p->start_offset >= 0) {
        safe = std::min(safe, p->start_offset);
      }
    }
    return safe;
  }

 public:
  // Stores what is left (the partial lines too) without indexing it: the record to index with
  // the attempt's end, or nullopt when nothing was left.
  absl::StatusOr<std::optional<LogChunkRecord>> StoreLast() {
    if (!stdout_.text.empty()) Emit(stdout_, gofer::v1::LOG_STREAM_STDOUT);
    if (!stderr_.text.empty()) Emit(stderr_, gofer::v1::LOG_STREAM_STDERR);
    if (batch_.lines().empty()) {
      return std::optional<LogChunkRecord>();
    }
    return Store(/*index=*/false);
  }

 private:
  absl::Status Flush() { return Store(/*index=*/true).status(); }

  absl::StatusOr<std::optional<LogChunkRecord>> Store(bool index) {
    const std::string key =
        fmt::format("{}/{}/{:06d}-e{}", spec_.task_id, spec_.attempt, seq_, spec_.epoch);
    std::string data;
    batch_.SerializeToString(&data);
    GOFER_RETURN_IF_ERROR(Put(key, data));
    LogChunkRecord chunk{.attempt = spec_.attempt,
                         .seq = seq_,
                         .first_line = batch_.lines(0).line(),
                         .line_count = batch_.lines_size(),
                         .bytes = static_cast<int64_t>(data.size()),
                         .end_offset = SafeOffset(),
                         .object_key = key};
    if (index) {
      GOFER_RETURN_IF_ERROR(
          ctx_.store->Fenced(spec_.run.key, spec_.epoch, spec_.actor,
                             [&](FencedWrites& w) { w.AddLogChunk(spec_.task_id, chunk); }));
    }
    ++seq_;
    batch_.Clear();
    batch_bytes_ = 0;
    return std::optional<LogChunkRecord>(chunk);
  }

  absl::Status Put(const std::string& key, const std::string& data) {
    Backoff backoff;
    for (int attempt = 1;; ++attempt) {
      auto context =
          ctx_.object_store->NewContext({.timeout = kCallTimeout, .caller = ctx_.caller});
      ov1::PutObjectResponse response;
      auto writer = objects_.PutObject(context.get(), &response);
      ov1::PutObjectRequest header;
      ov1::ObjectRef* ref = header.mutable_header()->mutable_ref();
      ref->set_scope(ov1::OBJECT_SCOPE_TASK_LOG);
      ref->set_namespace_id(spec_.run.key.namespace_id);
      ref->set_pipeline_id(spec_.run.key.pipeline_id);
      ref->set_run_id(spec_.run.key.run_id);
      ref->set_key(key);
      header.mutable_header()->set_force(true);
      bool ok = writer->Write(header);
      for (size_t pos = 0; ok && pos < data.size(); pos += 1 << 20) {
        ov1::PutObjectRequest part;
        part.set_chunk(data.substr(pos, 1 << 20));
        ok = writer->Write(part);
      }
      writer->WritesDone();
      absl::Status status = rpc::FromGrpcStatus(writer->Finish());
      if (status.ok() || !Transient(status) || attempt >= 8) {
        return status;
      }
      absl::SleepFor(backoff.Next());
    }
  }

  const WatcherContext& ctx_;
  ov1::ObjectStore::Stub& objects_;
  const WatchSpec& spec_;
  const std::vector<std::string>& secrets_;
  Partial stdout_;
  Partial stderr_;
  int64_t offset_;
  int64_t next_line_;
  int seq_;
  gofer::v1::TaskLogsResponse batch_;
  int64_t batch_bytes_ = 0;
  absl::Time batch_started_;
};

std::unique_ptr<grpc::ClientContext> Context(rpc::Client& client, const std::string& caller,
                                             absl::Duration timeout = kCallTimeout) {
  return client.NewContext({.timeout = timeout, .caller = caller});
}

const gofer::v1::Task* FindTask(const gofer::v1::PipelineConfig& config, const std::string& id) {
  for (const auto& task : config.tasks()) {
    if (task.id() == id) {
      return &task;
    }
  }
  return nullptr;
}

sv1::StartContainerRequest MakeStart(const std::string& name, const gofer::v1::Task& task,
                                     const WatchSpec& spec, const TaskEnvironment& env) {
  sv1::StartContainerRequest request;
  request.set_name(name);
  request.set_image(task.image());
  for (const auto& [key, value] : env.env) {
    (*request.mutable_env())[key] = value;
  }
  for (const auto& e : task.entrypoint()) {
    request.add_entrypoint(e);
  }
  for (const auto& c : task.command()) {
    request.add_command(c);
  }
  if (!task.script().empty()) {
    if (request.entrypoint().empty()) {
      request.add_entrypoint("/bin/sh");
      request.add_entrypoint("-c");
    }
    request.clear_command();
    request.add_command(task.script());
  }
  request.set_working_dir(task.working_dir());
  request.set_always_pull(task.always_pull());
  auto& labels = *request.mutable_labels();
  labels["gofer.namespace"] = spec.run.key.namespace_id;
  labels["gofer.pipeline"] = spec.run.key.pipeline_id;
  labels["gofer.run"] = std::to_string(spec.run.key.run_id);
  labels["gofer.task"] = spec.task_id;
  labels["gofer.attempt"] = std::to_string(spec.attempt);
  request.set_network_mode(sv1::NETWORK_MODE_BRIDGE);
  return request;
}

}  // namespace

std::string ContainerName(const RunKey& run, const std::string& task_id, int attempt) {
  std::string name = fmt::format("gofer-{}-{}-{}-{}-{}", run.namespace_id, run.pipeline_id,
                                 run.run_id, task_id, attempt);
  if (name.size() <= kMaxContainerName) {
    return name;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest);
  const std::string hex =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), 16));
  const std::string suffix = fmt::format("-{}-{}-{}", run.run_id, attempt, hex);
  return name.substr(0, kMaxContainerName - suffix.size()) + suffix;
}

AttemptWatcher::AttemptWatcher(const WatcherContext& context, WatchSpec spec, Report report)
    : ctx_(context),
      spec_(std::move(spec)),
      report_(std::move(report)),
      name_(ContainerName(spec_.run.key, spec_.task_id, spec_.attempt)),
      scheduler_(sv1::Scheduler::NewStub(context.scheduler->channel())),
      objects_(ov1::ObjectStore::NewStub(context.object_store->channel())) {
  thread_ = std::thread([this] { Run(); });
}

AttemptWatcher::~AttemptWatcher() { Abandon(); }

void AttemptWatcher::Abandon() {
  if (!abandon_.HasBeenNotified()) {
    abandon_.Notify();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
  if (stopper_.joinable()) {
    stopper_.join();
  }
}

void AttemptWatcher::RequestStop(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  if (stop_grace_) {
    return;
  }
  stop_grace_ = grace;
  if (started_) {
    stopper_ = std::thread([this, grace] { Stopper(grace); });
  }
}

void AttemptWatcher::Stopper(absl::Duration grace) {
  Backoff backoff;
  while (!abandoned()) {
    sv1::StopContainerRequest request;
    request.set_scheduler_id(scheduler_id_.empty() ? name_ : scheduler_id_);
    *request.mutable_grace_period() = rpc::ToDuration(grace);
    sv1::StopContainerResponse response;
    auto context = Context(*ctx_.scheduler, ctx_.caller, grace + kCallTimeout);
    absl::Status status =
        rpc::FromGrpcStatus(scheduler_->StopContainer(context.get(), request, &response));
    if (status.ok() || absl::IsNotFound(status) || !Transient(status)) {
      if (!status.ok()) {
        spdlog::warn("stopping container {}: {}", name_, status);
      }
      return;
    }
    abandon_.WaitForNotificationWithTimeout(backoff.Next());
  }
}

void AttemptWatcher::Run() {
  if (StartOrAdopt()) {
    Monitor();
  }
  done_.store(true);
}

void AttemptWatcher::Ended(AttemptResult result, std::optional<LogChunkRecord> last_chunk) {
  if (abandoned()) {
    return;
  }
  AttemptReport report{.kind = AttemptReport::Kind::kEnded,
                       .task_id = spec_.task_id,
                       .attempt = spec_.attempt,
                       .scheduler_id = scheduler_id_,
                       .node = node_,
                       .image_digest = image_digest_,
                       .phases = spec_.phases,
                       .result = std::move(result),
                       .last_chunk = std::move(last_chunk)};
  report_(std::move(report));
}

bool AttemptWatcher::StartOrAdopt() {
  const gofer::v1::Task* task = FindTask(spec_.run.config, spec_.task_id);
  if (task == nullptr) {
    Ended({.end = AttemptEnd::kFailedPrecondition,
           .detail = fmt::format("task '{}' is not in the run's config", spec_.task_id)});
    return false;
  }
  // The environment is needed to start, and its secrets to redact the logs of an adopted
  // container too.
  auto env = BuildTaskEnvironment(spec_.run, *task, spec_.attempt, ctx_.api_url, *ctx_.resolver);
  if (!env.ok() && spec_.state == TaskState::kStarting) {
    Ended({.end = AttemptEnd::kFailedPrecondition, .detail = std::string(env.status().message())});
    return false;
  }
  if (env.ok()) {
    env_ = *std::move(env);
  }

  Backoff backoff;
  const absl::Time give_up = ctx_.clock->Now() + ctx_.unreachable_limit;
  sv1::ContainerStatus status;
  bool found = false;
  while (!abandoned()) {
    // A previous holder may have started it already: look first.
    sv1::GetStateRequest get;
    get.set_scheduler_id(name_);
    auto context = Context(*ctx_.scheduler, ctx_.caller);
    absl::Status s = rpc::FromGrpcStatus(scheduler_->GetState(context.get(), get, &status));
    if (s.ok()) {
      found = true;
      break;
    }
    if (absl::IsNotFound(s)) {
      break;
    }
    if (!Transient(s) || ctx_.clock->Now() > give_up) {
      Ended({.end = AttemptEnd::kInfrastructure,
             .cause = InfrastructureCause::kSchedulerUnreachable,
             .detail = fmt::format("scheduler: {}", s.message())});
      return false;
    }
    abandon_.WaitForNotificationWithTimeout(backoff.Next());
  }
  if (abandoned()) {
    return false;
  }
  if (!found && spec_.state == TaskState::kRunning) {
    Ended({.end = AttemptEnd::kInfrastructure,
           .cause = InfrastructureCause::kNodeLost,
           .detail = fmt::format("container {} vanished", name_)});
    return false;
  }
  if (!found) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_grace_) {
        Ended({.end = AttemptEnd::kCancelled, .detail = "stopped before it started"});
        return false;
      }
    }
    if (!MintRunToken(*task, give_up)) {
      return false;
    }
    sv1::StartContainerRequest request = MakeStart(name_, *task, spec_, env_);
    backoff.Reset();
    while (!abandoned()) {
      sv1::StartContainerResponse started;
      // Image pulls can take long.
      auto context = Context(*ctx_.scheduler, ctx_.caller, absl::Minutes(30));
      absl::Status s =
          rpc::FromGrpcStatus(scheduler_->StartContainer(context.get(), request, &started));
      const absl::Time now = ctx_.clock->Now();
      if (s.ok()) {
        scheduler_id_ = started.scheduler_id();
        spec_.phases.container_created = now;
        spec_.phases.image_pulled = now;
        status.set_scheduler_id(started.scheduler_id());
        status.set_node(started.node());
        status.set_image_digest(started.image_digest());
        status.set_state(sv1::CONTAINER_STATE_RUNNING);
        found = true;
        break;
      }
      if (absl::IsAlreadyExists(s)) {
        // Our own earlier try got through: adopt it.
        sv1::GetStateRequest get;
        get.set_scheduler_id(name_);
        auto ctx2 = Context(*ctx_.scheduler, ctx_.caller);
        if (rpc::FromGrpcStatus(scheduler_->GetState(ctx2.get(), get, &status)).ok()) {
          found = true;
          break;
        }
        continue;
      }
      if (absl::IsFailedPrecondition(s)) {
        Ended({.end = AttemptEnd::kInfrastructure,
               .cause = InfrastructureCause::kImagePullFailed,
               .detail = std::string(s.message())});
        return false;
      }
      if (!Transient(s) || now > give_up) {
        if (absl::IsInvalidArgument(s)) {
          Ended({.end = AttemptEnd::kFailedPrecondition,
                 .detail = fmt::format("the scheduler refused the task: {}", s.message())});
        } else {
          Ended({.end = AttemptEnd::kInfrastructure,
                 .cause = InfrastructureCause::kSchedulerUnreachable,
                 .detail = fmt::format("scheduler: {}", s.message())});
        }
        return false;
      }
      abandon_.WaitForNotificationWithTimeout(backoff.Next());
    }
    if (abandoned()) {
      return false;
    }
  } else {
    scheduler_id_ = status.scheduler_id();
    if (!spec_.phases.container_created) {
      spec_.phases.container_created = ctx_.clock->Now();
    }
  }
  if (auto started = OptTime(status.started())) {
    spec_.phases.started = started;
  } else if (!spec_.phases.started) {
    spec_.phases.started = ctx_.clock->Now();
  }
  {
    absl::MutexLock lock(&mu_);
    started_ = true;
    if (stop_grace_ && !stopper_.joinable()) {
      const absl::Duration grace = *stop_grace_;
      stopper_ = std::thread([this, grace] { Stopper(grace); });
    }
  }
  node_ = status.node();
  image_digest_ = status.image_digest();
  // Reported once the container is seen running (Monitor); a container that has already exited
  // by then is reported only as ended, with the same details, in one write.
  started_pending_ = spec_.state == TaskState::kStarting;
  return true;
}

bool AttemptWatcher::MintRunToken(const gofer::v1::Task& task, absl::Time give_up) {
  if (!task.inject_api_token()) {
    return true;
  }
  if (ctx_.gateway == nullptr) {
    Ended({.end = AttemptEnd::kFailedPrecondition,
           .detail = "the task asks for an API token, but this run-queue knows no gateway"});
    return false;
  }
  auto stub = gateway::v1::Gateway::NewStub(ctx_.gateway->channel());
  gateway::v1::CreateRunTokenRequest request;
  request.set_namespace_id(spec_.run.key.namespace_id);
  request.set_pipeline_id(spec_.run.key.pipeline_id);
  request.set_run_id(spec_.run.key.run_id);
  request.set_task_id(spec_.task_id);
  request.set_attempt(spec_.attempt);
  *request.mutable_ttl() = rpc::ToDuration(ctx_.run_token_ttl);
  Backoff backoff;
  while (!abandoned()) {
    gateway::v1::CreateRunTokenResponse response;
    auto context = Context(*ctx_.gateway, ctx_.caller);
    absl::Status s = rpc::FromGrpcStatus(stub->CreateRunToken(context.get(), request, &response));
    if (s.ok()) {
      env_.env.emplace_back("GOFER_TOKEN", response.secret());
      env_.secret_values.insert(env_.secret_values.begin(), response.secret());
      return true;
    }
    if (!Transient(s) || ctx_.clock->Now() > give_up) {
      Ended({.end = AttemptEnd::kInfrastructure,
             .cause = InfrastructureCause::kSchedulerUnreachable,
             .detail = fmt::format("minting the run token: {}", s.message())});
      return false;
    }
    abandon_.WaitForNotificationWithTimeout(backoff.Next());
  }
  return false;
}

void AttemptWatcher::Monitor() {
  LogCapture logs(ctx_, *objects_, spec_, env_.secret_values);
  Backoff backoff;
  std::optional<absl::Time> unreachable_since;
  bool exited = false;
  sv1::ContainerStatus final_status;
  auto transient = [&](const absl::Status& s) -> bool {
    // Waits and returns true to retry; false when the attempt must be given up.
    const absl::Time now = ctx_.clock->Now();
    if (!unreachable_since) {
      unreachable_since = now;
    }
    if (now - *unreachable_since > ctx_.unreachable_limit) {
      Ended({.end = AttemptEnd::kInfrastructure,
             .cause = InfrastructureCause::kSchedulerUnreachable,
             .detail = fmt::format("scheduler unreachable while monitoring: {}", s.message())});
      return false;
    }
    abandon_.WaitForNotificationWithTimeout(backoff.Next());
    return true;
  };
  // The container is gone (removed, or its node lost): the output read before that is kept.
  auto vanished = [&] {
    absl::Status f = logs.MaybeFlush(true);
    if (IsLeaseLost(f)) {
      return;  // the next holder takes over
    }
    if (f.ok()) {
      spec_.phases.logs_flushed = ctx_.clock->Now();
    }
    Ended({.end = AttemptEnd::kInfrastructure,
           .cause = InfrastructureCause::kNodeLost,
           .detail = fmt::format("container {} vanished", name_)});
  };
  while (!abandoned()) {
    // 1. Wait for the exit, at most one flush interval (at once when it already exited).
    if (!exited) {
      sv1::WaitStateRequest wait;
      wait.set_scheduler_id(scheduler_id_);
      wait.set_known_state(sv1::CONTAINER_STATE_RUNNING);
      *wait.mutable_timeout() = rpc::ToDuration(ctx_.log_flush_interval);
      sv1::WaitStateResponse waited;
      auto wait_context =
          Context(*ctx_.scheduler, ctx_.caller, ctx_.log_flush_interval + kCallTimeout);
      absl::Status s =
          rpc::FromGrpcStatus(scheduler_->WaitState(wait_context.get(), wait, &waited));
      if (absl::IsNotFound(s)) {
        vanished();
        return;
      }
      if (!s.ok()) {
        if (!transient(s)) return;
        continue;
      }
      unreachable_since.reset();
      backoff.Reset();
      const auto state = waited.status().state();
      if (state == sv1::CONTAINER_STATE_EXITED || state == sv1::CONTAINER_STATE_DEAD) {
        exited = true;
        final_status = waited.status();
      } else if (started_pending_) {
        started_pending_ = false;
        report_({.kind = AttemptReport::Kind::kStarted,
                 .task_id = spec_.task_id,
                 .attempt = spec_.attempt,
                 .scheduler_id = scheduler_id_,
                 .node = node_,
                 .image_digest = image_digest_,
                 .phases = spec_.phases});
      }
    }
    // 2. Everything written so far.
    sv1::StreamLogsRequest request;
    request.set_scheduler_id(scheduler_id_);
    request.set_offset(logs.offset());
    auto context = Context(*ctx_.scheduler, ctx_.caller, absl::Minutes(5));
    auto reader = scheduler_->StreamLogs(context.get(), request);
    sv1::StreamLogsResponse message;
    while (reader->Read(&message)) {
      for (const auto& chunk : message.chunks()) {
        logs.Add(chunk);
      }
      if (absl::Status s = logs.MaybeFlush(false); !s.ok()) {
        if (IsLeaseLost(s)) {
          return;  // the next holder takes over
        }
        spdlog::warn("run {} task {}: storing logs: {}", spec_.run.key.ToString(), spec_.task_id,
                     s);
      }
    }
    absl::Status s = rpc::FromGrpcStatus(reader->Finish());
    if (absl::IsNotFound(s)) {
      vanished();
      return;
    }
    if (!s.ok()) {
      if (!transient(s)) return;
      continue;
    }
    if (exited) {
      break;
    }
    if (absl::Status f = logs.MaybeFlush(false); !f.ok() && IsLeaseLost(f)) {
      return;
    }
  }
  if (abandoned()) {
    return;
  }
  std::optional<LogChunkRecord> last_chunk;
  if (absl::Status f = logs.MaybeFlush(false); !f.ok() && IsLeaseLost(f)) {
    return;
  }
  if (auto stored = logs.StoreLast(); !stored.ok()) {
    spdlog::warn("run {} task {}: storing the last logs: {}", spec_.run.key.ToString(),
                 spec_.task_id, stored.status());
  } else {
    last_chunk = *std::move(stored);
    spec_.phases.logs_flushed = ctx_.clock->Now();
  }
  spec_.phases.exited = OptTime(final_status.finished()).value_or(ctx_.clock->Now());
  AttemptResult result{.end = AttemptEnd::kExited,
                       .exit_code = final_status.exit_code(),
                       .oom_killed = final_status.oom_killed(),
                       .detail = final_status.error()};
  if (final_status.state() == sv1::CONTAINER_STATE_DEAD) {
    result = {
        .end = AttemptEnd::kInfrastructure,
        .cause = InfrastructureCause::kNodeLost,
        .detail = fmt::format("the engine lost container {}: {}", name_, final_status.error())};
  }
  Ended(std::move(result), std::move(last_chunk));
  // Once the actor recorded the end, the container is not needed any more (until then a next
  // holder must find it, to read how it ended).
  while (!recorded_.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
    if (abandoned()) {
      return;
    }
  }
  sv1::RemoveContainerRequest remove;
  remove.set_scheduler_id(scheduler_id_);
  remove.set_force(true);
  sv1::RemoveContainerResponse removed;
  auto context = Context(*ctx_.scheduler, ctx_.caller);
  (void)scheduler_->RemoveContainer(context.get(), remove, &removed);
}

}  // namespace gofer::run_queue
