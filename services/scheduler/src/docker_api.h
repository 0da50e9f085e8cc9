// What the docker backend's files share: status mapping of engine answers, the managed-label
// check, and the constructors of the log reader, exec session and event watcher. Internal to the
// docker backend.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "container_engine.h"
#include "docker_http.h"

namespace gofer::scheduler::docker {

// The status for a non-2xx answer about `what` ("container 'x'"): 404 NOT_FOUND, 409
// FAILED_PRECONDITION, 400 INVALID_ARGUMENT, 503 UNAVAILABLE, anything else INTERNAL; every
// message carries the engine's.
absl::Status StatusFromResponse(const HttpResponse& response, std::string_view resource,
                                std::string_view id);

// GET /containers/{id}/json, NOT_FOUND unless it carries gofer.managed=true.
absl::StatusOr<nlohmann::json> InspectManaged(const DockerHttp& http, std::string_view id,
                                              absl::Duration timeout);

// A reader of GET /containers/{id}/logs for the managed container `id`.
absl::StatusOr<std::unique_ptr<LogReader>> OpenDockerLogs(const DockerHttp& http,
                                                          std::string_view id,
                                                          const LogOptions& options,
                                                          absl::Duration timeout);

// Creates and starts an exec in the managed, running container spec.container.
absl::StatusOr<std::unique_ptr<ExecSession>> StartDockerExec(const DockerHttp& http,
                                                             const ExecSpec& spec,
                                                             absl::Duration timeout);

// Follows GET /events for the scheduler's containers on one thread (started by the first
// Watch) and calls the callbacks watching each container. Reconnects with backoff after a
// failure, and after every (re)connection calls every callback once, since events may have
// been missed meanwhile. Thread-safe.
class EventWatcher {
 public:
  explicit EventWatcher(const DockerHttp& http) : http_(http) {}
  // Stops the thread.
  ~EventWatcher();

  std::unique_ptr<Subscription> Watch(std::string_view id, std::function<void()> on_change);

 private:
  class Sub;
  struct Watcher {
    std::string key;
    std::function<void()> on_change;
  };
  void Run();
  // Follows one events connection until it ends; false when it could not connect.
  bool Follow();
  void Notify(std::string_view id, std::string_view name);
  void NotifyAll();
  void Remove(uint64_t token);

  const DockerHttp& http_;
  absl::Notification stop_;
  absl::Mutex mu_;
  std::map<uint64_t, Watcher> watchers_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gofer::scheduler::docker
