#include "docker_api.h"

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "docker_frames.h"
#include "docker_json.h"
#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"
#include "spdlog/spdlog.h"

namespace gofer::scheduler::docker {

using nlohmann::json;

absl::Status StatusFromResponse(const HttpResponse& response, std::string_view resource,
                                std::string_view id) {
  const std::string message = ErrorMessage(response.body);
  switch (response.status) {
    case 404:
      return WithErrorInfo(
          absl::NotFoundError(fmt::format("{} '{}' not found: {}", resource, id, message)),
          ErrorReason::kResourceNotFound, {{"resource", std::string(resource)}});
    case 409:
      return WithErrorInfo(absl::FailedPreconditionError(fmt::format("engine: {}", message)),
                           ErrorReason::kFailedPrecondition);
    case 400:
      return absl::InvalidArgumentError(fmt::format("engine: {}", message));
    case 503:
      return WithErrorInfo(absl::UnavailableError(fmt::format("engine: {}", message)),
                           ErrorReason::kDependencyUnavailable);
    default:
      return absl::InternalError(
          fmt::format("engine answered HTTP {}: {}", response.status, message));
  }
}

absl::StatusOr<json> InspectManaged(const DockerHttp& http, std::string_view id,
                                    absl::Duration timeout) {
  if (id.empty() || id.find('/') != std::string_view::npos) {
    return NotFoundError("container", id);
  }
  GOFER_ASSIGN_OR_RETURN(
      HttpResponse response,
      http.Call({.path = fmt::format("/containers/{}/json", id), .timeout = timeout}));
  if (response.status == 404) {
    return NotFoundError("container", id);
  }
  if (response.status != 200) {
    return StatusFromResponse(response, "container", id);
  }
  json inspect = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!inspect.is_object() || !inspect.contains("State") || !inspect["State"].is_object()) {
    return absl::InternalError("the engine's container description is not a JSON object");
  }
  const json* labels = nullptr;
  if (inspect.contains("Config") && inspect["Config"].contains("Labels")) {
    labels = &inspect["Config"]["Labels"];
  }
  if (labels == nullptr || !labels->is_object() ||
      labels->value(kManagedLabel, std::string()) != kManagedValue) {
    return NotFoundError("container", id);  // not ours: as if it did not exist
  }
  return inspect;
}

class EventWatcher::Sub final : public Subscription {
 public:
  Sub(EventWatcher& watcher, uint64_t token) : watcher_(watcher), token_(token) {}
  ~Sub() override { watcher_.Remove(token_); }

 private:
  EventWatcher& watcher_;
  const uint64_t token_;
};

EventWatcher::~EventWatcher() {
  stop_.Notify();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::unique_ptr<Subscription> EventWatcher::Watch(std::string_view id,
                                                  std::function<void()> on_change) {
  absl::MutexLock lock(&mu_);
  const uint64_t token = next_token_++;
  watchers_[token] = Watcher{std::string(id), std::move(on_change)};
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { Run(); });
  }
  return std::make_unique<Sub>(*this, token);
}

void EventWatcher::Remove(uint64_t token) {
  absl::MutexLock lock(&mu_);  // callbacks run under mu_, so none runs once this returns
  watchers_.erase(token);
}

void EventWatcher::Notify(std::string_view id, std::string_view name) {
  absl::MutexLock lock(&mu_);
  for (auto& [token, watcher] : watchers_) {
    const std::string& key = watcher.key;
    if (key == id || (!name.empty() && key == name) ||
        (key.size() >= 12 && id.substr(0, key.size()) == key)) {
      watcher.on_change();
    }
  }
}

void EventWatcher::NotifyAll() {
  absl::MutexLock lock(&mu_);
  for (auto& [token, watcher] : watchers_) {
    watcher.on_change();
  }
}

void EventWatcher::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop_.HasBeenNotified()) {
    if (Follow()) {
      backoff = absl::Milliseconds(100);  // it was connected: start backing off afresh
    }
    NotifyAll();  // whatever happened while disconnected is seen by re-inspecting
    stop_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

bool EventWatcher::Follow() {
  // `since` a little in the past replays what happened while (re)connecting; duplicates only
  // cause spurious wake-ups.
  auto stream = http_.Open({.path = "/events",
                            .query = {{"since", UnixTimeParameter(absl::Now() - absl::Seconds(2))},
                                      {"filters", LabelFilter({}, true)}},
                            .timeout = absl::Seconds(10)});
  if (!stream.ok() || (*stream)->status() != 200) {
    spdlog::warn("docker events: {}",
                 stream.ok() ? (*stream)->ReadAll(absl::Seconds(1)) : stream.status().ToString());
    return false;
  }
  NotifyAll();
  std::string pending;
  while (!stop_.HasBeenNotified()) {
    auto more = (*stream)->Read(absl::Milliseconds(200), &pending);
    if (!more.ok() || !*more) {
      return true;
    }
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      const ContainerEvent event = ParseEvent(std::string_view(pending).substr(0, newline));
      if (!event.id.empty()) {
        Notify(event.id, event.name);
      }
      pending.erase(0, newline + 1);
    }
  }
  return true;
}

}  // namespace gofer::scheduler::docker
