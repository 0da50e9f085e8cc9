#include "noop_engine.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "gofer/common/errors.h"
#include "gofer/common/id_generator.h"
#include "gofer/common/status_macros.h"

namespace gofer::scheduler {

namespace noop {

struct Container {
  // Set before the container is published, then never changed.
  std::string id;
  std::string name;
  std::string image;
  Labels labels;
  std::string log_line;  // the whole log: entrypoint and command joined by spaces, "\n"
  absl::Time started;
  // Guarded by the engine's mu_.
  ContainerState state = ContainerState::kRunning;
  int exit_code = 0;
  std::optional<absl::Time> finished;
  // Notified once, when the container exits (or the engine goes away): log readers wait on it
  // without the engine's lock, and may outlive the engine.
  absl::Notification exited;
};

}  // namespace noop

namespace {

constexpr char kNode[] = "noop";
constexpr int kSigtermExitCode = 128 + 15;
constexpr int kSigkillExitCode = 128 + 9;

// The container's one stdout line, from `offset` (or nothing when it was written before
// `since`). Following ends when the container has exited.
class NoopLogReader final : public LogReader {
 public:
  NoopLogReader(std::shared_ptr<const noop::Container> container, const LogOptions& options)
      : container_(std::move(container)),
        follow_(options.follow),
        data_(container_->started >= options.since ? std::string_view(container_->log_line)
                                                   : std::string_view()),
        position_(std::clamp<int64_t>(options.offset, 0, static_cast<int64_t>(data_.size()))) {}

  absl::StatusOr<bool> Read(absl::Duration max_wait, size_t max_bytes,
                            std::vector<LogChunk>* out) override {
    const auto size = static_cast<int64_t>(data_.size());
    if (position_ < size) {
      const int64_t n =
          std::min(static_cast<int64_t>(std::max<size_t>(max_bytes, 1)), size - position_);
      out->push_back(LogChunk{
          OutputStream::kStdout, container_->started, position_,
          std::string(data_.substr(static_cast<size_t>(position_), static_cast<size_t>(n)))});
      position_ += n;
      return position_ < size || (follow_ && !container_->exited.HasBeenNotified());
    }
    if (!follow_ || container_->exited.HasBeenNotified()) {
      return false;
    }
    return !container_->exited.WaitForNotificationWithTimeout(max_wait);
  }

 private:
  const std::shared_ptr<const noop::Container> container_;
  const bool follow_;
  const std::string_view data_;  // into container_->log_line
  int64_t position_;
};

}  // namespace

class NoopEngine::Sub final : public Subscription {
 public:
  Sub(NoopEngine* engine, std::string key, uint64_t token)
      : engine_(engine), key_(std::move(key)), token_(token) {}
  ~Sub() override { engine_->Unwatch(key_, token_); }

 private:
  NoopEngine* const engine_;
  const std::string key_;
  const uint64_t token_;
};

absl::StatusOr<std::unique_ptr<NoopEngine>> NoopEngine::Create(const NoopOptions& options) {
  if (options.run_time < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("noop.run_time must not be negative");
  }
  if (options.exit_code < 0 || options.exit_code > 255) {
    return absl::InvalidArgumentError("noop.exit_code must be within 0–255");
  }
  int journal_fd = -1;
  if (!options.journal.empty()) {
    journal_fd = open(options.journal.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (journal_fd < 0) {
      return absl::FailedPreconditionError(fmt::format("cannot open the noop journal {}: {}",
                                                       options.journal, std::strerror(errno)));
    }
  }
  return std::unique_ptr<NoopEngine>(new NoopEngine(options, journal_fd));
}

NoopEngine::NoopEngine(NoopOptions options, int journal_fd)
    : options_(std::move(options)),
      journal_fd_(journal_fd),
      prefix_(absl::BytesToHexString(SecureRandomBytes(8))),
      thread_([this] { Run(); }) {}

NoopEngine::~NoopEngine() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.Signal();
    for (auto& [id, container] : by_id_) {
      if (container->state == ContainerState::kRunning) {
        container->exited.Notify();  // nothing more will be written: followers end
      }
    }
  }
  thread_.join();
  if (journal_fd_ >= 0) {
    close(journal_fd_);
  }
}

std::shared_ptr<noop::Container> NoopEngine::Find(std::string_view id) const {
  auto by_id = by_id_.find(id);
  if (by_id != by_id_.end()) {
    return by_id->second;
  }
  auto by_name = id_by_name_.find(id);
  return by_name == id_by_name_.end() ? nullptr : by_id_.at(by_name->second);
}

ContainerStatus NoopEngine::StatusOf(const Container& c) const {
  return ContainerStatus{.id = c.id,
                         .name = c.name,
                         .state = c.state,
                         .exit_code = c.exit_code,
                         .started = c.started,
                         .finished = c.finished,
                         .labels = c.labels,
                         .image = c.image,
                         .node = kNode};
}

void NoopEngine::Exit(Container& container, int code) {
  container.state = ContainerState::kExited;
  container.exit_code = code;
  container.finished = absl::Now();
  container.exited.Notify();
  Changed(container);
}

void NoopEngine::Changed(const Container& container) {
  if (watching_.load() == 0) {
    return;  // a later Watch inspects after registering, so it sees this change
  }
  changed_.push_back(container.id);
  changed_.push_back(container.name);
  wake_.Signal();
}

absl::Status NoopEngine::Journal(const std::string& name) {
  if (journal_fd_ < 0) {
    return absl::OkStatus();
  }
  const std::string line = name + "\n";
  const ssize_t written = write(journal_fd_, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) {
    return absl::InternalError(fmt::format("cannot append to the noop journal {}: {}",
                                           options_.journal,
                                           written < 0 ? std::strerror(errno) : "short write"));
  }
  return absl::OkStatus();
}

absl::StatusOr<StartedContainer> NoopEngine::Start(const ContainerSpec& spec) {
  if (spec.name.empty()) {
    return InvalidArgumentError({{"name", "the noop backend needs a container name"}});
  }
  auto container = std::make_shared<Container>();
  container->id = fmt::format("{}{:016x}", prefix_, next_serial_++);
  container->name = spec.name;
  container->image = spec.image;
  container->labels = spec.labels;
  container->labels[kManagedLabel] = kManagedValue;
  std::vector<std::string> argv = spec.entrypoint;
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  container->log_line = absl::StrJoin(argv, " ") + "\n";

  absl::MutexLock lock(&mu_);
  if (auto taken = id_by_name_.find(spec.name); taken != id_by_name_.end()) {
    return WithErrorInfo(
        absl::AlreadyExistsError(fmt::format("a container named '{}' already exists", spec.name)),
        ErrorReason::kResourceExists, {{"scheduler_id", taken->second}});
  }
  // Under the lock, so a name is journalled once and only for a start that happened.
  GOFER_RETURN_IF_ERROR(Journal(spec.name));
  container->started = absl::Now();
  by_id_[container->id] = container;
  id_by_name_[container->name] = container->id;
  if (options_.run_time <= absl::ZeroDuration()) {
    Exit(*container, options_.exit_code);
  } else {
    if (timers_.empty()) {
      wake_.Signal();  // otherwise the thread already waits for an earlier deadline
    }
    timers_.push_back({container->started + options_.run_time, container});
  }
  return StartedContainer{container->id, kNode, ""};
}

absl::Status NoopEngine::Stop(std::string_view id, absl::Duration /*grace*/) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Container> container = Find(id);
  if (container == nullptr) {
    return NotFoundError("container", id);
  }
  if (container->state == ContainerState::kRunning) {
    Exit(*container, kSigtermExitCode);
  }
  return absl::OkStatus();
}

absl::StatusOr<ContainerStatus> NoopEngine::Inspect(std::string_view id) {
  absl::ReaderMutexLock lock(&mu_);
  std::shared_ptr<Container> container = Find(id);
  if (container == nullptr) {
    return NotFoundError("container", id);
  }
  return StatusOf(*container);
}

absl::StatusOr<std::vector<ContainerStatus>> NoopEngine::List(const Labels& labels) {
  std::vector<ContainerStatus> out;
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [id, container] : by_id_) {  // a map: ordered by id
    if (MatchesLabels(container->labels, labels)) {
      out.push_back(StatusOf(*container));
    }
  }
  return out;
}

absl::Status NoopEngine::Remove(std::string_view id, bool force) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Container> container = Find(id);
  if (container == nullptr) {
    return NotFoundError("container", id);
  }
  if (container->state == ContainerState::kRunning) {
    if (!force) {
      return WithErrorInfo(
          absl::FailedPreconditionError(
              fmt::format("container '{}' is running; stop it first or remove it with force", id)),
          ErrorReason::kFailedPrecondition);
    }
    Exit(*container, kSigkillExitCode);
  } else {
    Changed(*container);
  }
  id_by_name_.erase(container->name);
  by_id_.erase(container->id);  // the pending timer holds a weak_ptr only
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogReader>> NoopEngine::OpenLogs(std::string_view id,
                                                                const LogOptions& options) {
  absl::ReaderMutexLock lock(&mu_);
  std::shared_ptr<Container> container = Find(id);
  if (container == nullptr) {
    return NotFoundError("container", id);
  }
  return std::make_unique<NoopLogReader>(std::move(container), options);
}

absl::StatusOr<std::unique_ptr<ExecSession>> NoopEngine::Exec(const ExecSpec& spec) {
  absl::ReaderMutexLock lock(&mu_);
  if (Find(spec.container) == nullptr) {
    return NotFoundError("container", spec.container);
  }
  return WithErrorInfo(absl::FailedPreconditionError("exec is not supported by the noop backend"),
                       ErrorReason::kFailedPrecondition);
}

std::unique_ptr<Subscription> NoopEngine::Watch(std::string_view id,
                                                std::function<void()> on_change) {
  std::string key(id);
  uint64_t token = 0;
  {
    absl::MutexLock lock(&watch_mu_);
    token = next_token_++;
    watchers_[key][token] = std::move(on_change);
  }
  ++watching_;
  return std::make_unique<Sub>(this, std::move(key), token);
}

void NoopEngine::Unwatch(const std::string& key, uint64_t token) {
  absl::MutexLock lock(&watch_mu_);  // callbacks run under watch_mu_: none runs after this
  auto it = watchers_.find(key);
  if (it != watchers_.end() && it->second.erase(token) > 0) {
    --watching_;
    if (it->second.empty()) {
      watchers_.erase(it);
    }
  }
}

void NoopEngine::Notify(const std::vector<std::string>& keys) {
  absl::MutexLock lock(&watch_mu_);
  for (const std::string& key : keys) {
    auto it = watchers_.find(key);
    if (it == watchers_.end()) {
      continue;
    }
    for (auto& [token, callback] : it->second) {
      callback();
    }
  }
}

void NoopEngine::Run() {
  mu_.Lock();
  while (!stopping_) {
    const absl::Time now = absl::Now();
    while (!timers_.empty() && timers_.front().at <= now) {
      std::shared_ptr<Container> container = timers_.front().container.lock();
      if (container != nullptr && container->state == ContainerState::kRunning) {
        Exit(*container, options_.exit_code);
      }
      timers_.pop_front();
    }
    if (!changed_.empty()) {
      std::vector<std::string> keys;
      keys.swap(changed_);
      mu_.Unlock();  // callbacks may call the engine
      Notify(keys);
      mu_.Lock();
      continue;
    }
    wake_.WaitWithDeadline(&mu_, timers_.empty() ? absl::InfiniteFuture() : timers_.front().at);
  }
  mu_.Unlock();
}

}  // namespace gofer::scheduler
