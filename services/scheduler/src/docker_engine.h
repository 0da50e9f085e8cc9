// ContainerEngine over the Docker Engine API v1.41 on a unix socket (dockerd, and podman's
// compatible service). Every container it creates carries gofer.managed=true; it never lists,
// stops, removes or even inspects one without it (those are NOT_FOUND).
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "container_engine.h"

namespace gofer::scheduler {

namespace docker {
class DockerHttp;
class EventWatcher;
}  // namespace docker

struct DockerOptions {
  // The engine's socket: "unix:///var/run/docker.sock".
  std::string host = "unix:///var/run/docker.sock";
  // Deadline of one control request (create, inspect, ...). Stop adds its grace period.
  absl::Duration request_timeout = absl::Seconds(30);
  // Deadline of one image pull.
  absl::Duration pull_timeout = absl::Minutes(10);
};

class DockerEngine final : public ContainerEngine {
 public:
  // INVALID_ARGUMENT for a host that is not unix://. Does not contact the engine.
  static absl::StatusOr<std::unique_ptr<DockerEngine>> Create(const DockerOptions& options);
  ~DockerEngine() override;

  std::string_view kind() const override { return "docker"; }
  absl::Status Ping() override;
  absl::StatusOr<StartedContainer> Start(const ContainerSpec& spec) override;
  absl::Status Stop(std::string_view id, absl::Duration grace) override;
  absl::StatusOr<ContainerStatus> Inspect(std::string_view id) override;
  absl::StatusOr<std::vector<ContainerStatus>> List(const Labels& labels) override;
  absl::Status Remove(std::string_view id, bool force) override;
  absl::StatusOr<std::unique_ptr<LogReader>> OpenLogs(std::string_view id,
                                                      const LogOptions& options) override;
  absl::StatusOr<std::unique_ptr<ExecSession>> Exec(const ExecSpec& spec) override;
  std::unique_ptr<Subscription> Watch(std::string_view id,
                                      std::function<void()> on_change) override;

 private:
  DockerEngine(const DockerOptions& options, std::string socket_path);

  // The engine's host name (GET /info), cached after the first answer.
  absl::StatusOr<std::string> Node();
  // Pulls spec.image when needed; returns the digest to record.
  absl::StatusOr<std::string> EnsureImage(const ContainerSpec& spec);
  absl::Status Pull(const ContainerSpec& spec);
  // Creates the container, or finds the one a previous attempt created but never started.
  absl::StatusOr<std::string> Create(const ContainerSpec& spec, const std::string& digest);
  absl::Status StartCreated(const std::string& id);

  const DockerOptions options_;
  std::unique_ptr<docker::DockerHttp> http_;
  std::unique_ptr<docker::EventWatcher> events_;
  absl::Mutex mu_;
  std::string node_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gofer::scheduler
