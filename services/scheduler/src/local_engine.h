// ContainerEngine of sandboxed host processes, for development and tests: each "container" is
// a command run by bubblewrap with the host's /usr read-only, a private /tmp and /workspace,
// its own PID/IPC/UTS namespaces, no network unless asked, docker's default capability set,
// and cgroup v1 limits (memory, pids, cpu) where the cgroup hierarchy is writable. The image
// is recorded but not used: the command runs with the host's binaries.
//
// A supervisor process per container (gofer-scheduler-shim, started detached) owns the
// sandbox, writes its output to a log file with stream tags and timestamps, and records the
// exit; so containers outlive a restart of the scheduler, and a new LocalEngine on the same
// root adopts them (List, Inspect, Logs, Stop, Remove all work; exec sessions die with the
// scheduler process that started them).
//
// Layout under `root`: containers/<id>/{meta, started, exit, log, workspace/}, names/<name> →
// <id> (a symlink, which makes names unique atomically).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "container_engine.h"

namespace gofer::scheduler {

namespace local {
class DirectoryWatcher;
}  // namespace local

struct LocalOptions {
  // Directory holding the containers' state, logs and workspaces (created when missing).
  std::string root = "/var/lib/gofer/scheduler";
  // The supervisor binary; empty: gofer-scheduler-shim beside the running executable.
  std::string shim;
  // Per-container cgroups are created as /sys/fs/cgroup/<controller>/<cgroup_parent>/<id>.
  std::string cgroup_parent = "gofer";
  // Where the cgroup v1 controllers are mounted.
  std::string cgroup_root = "/sys/fs/cgroup";
  // The bubblewrap binary.
  std::string bwrap = "bwrap";
};

class LocalEngine final : public ContainerEngine {
 public:
  // Creates `root`'s directories; INVALID_ARGUMENT when root is not absolute, FAILED_PRECONDITION
  // when it cannot be created or the shim is not executable.
  static absl::StatusOr<std::unique_ptr<LocalEngine>> Create(const LocalOptions& options);
  ~LocalEngine() override;

  std::string_view kind() const override { return "local"; }
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
  LocalEngine(LocalOptions options, std::string node,
              std::unique_ptr<local::DirectoryWatcher> watcher);

  // The container directory of `id` (an id or a name); NOT_FOUND when there is none.
  absl::StatusOr<std::string> Resolve(std::string_view id) const;
  // Creates the directory of a fresh container with its name reserved; ALREADY_EXISTS when
  // the name is taken.
  absl::StatusOr<std::string> Reserve(const ContainerSpec& spec, std::string* id);
  // Creates the cgroups, records the metadata and starts the supervisor.
  absl::Status Launch(const std::string& dir, const std::string& id, const ContainerSpec& spec);
  // Waits until the supervisor reported the command running (or its exit).
  absl::Status AwaitStart(const std::string& dir, absl::Duration timeout);
  // Waits up to `timeout` for DIR/exit; true when it exists.
  bool AwaitExit(const std::string& dir, absl::Duration timeout);

  const LocalOptions options_;
  const std::string node_;
  std::unique_ptr<local::DirectoryWatcher> watcher_;
};

}  // namespace gofer::scheduler
