// ContainerEngine that runs nothing, for orchestration benchmarks and chaos tests of the
// run-queue, where the container engine must not be the bottleneck. Containers live in memory
// only (a new engine starts empty: nothing is adopted after a restart); each "runs" for
// run_time, then exits with exit_code (run_time 0: it has exited when Start returns). Its log
// is one stdout line, the entrypoint and command joined by spaces, timestamped at its start.
// The image is recorded, never pulled: image_digest is empty. The node is "noop".
//
// Errors follow container_engine.h: NOT_FOUND for an unknown id or name, ALREADY_EXISTS (with
// metadata scheduler_id) for a taken name, FAILED_PRECONDITION for removing a running container
// without force and for every Exec ("exec is not supported by the noop backend"), INTERNAL when
// the journal cannot be written. Stop ends a running container at once with exit code 143
// (as SIGTERM would), whatever the grace; Remove with force ends it with 137 (SIGKILL).
//
// One thread runs the timed exits and calls the Watch callbacks; Start, Stop and Remove only
// queue notifications, so a slow callback never blocks them.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "container_engine.h"

namespace gofer::scheduler {

namespace noop {
struct Container;
}  // namespace noop

struct NoopOptions {
  // How long a container runs before it exits by itself; zero: it exits as it starts.
  absl::Duration run_time = absl::ZeroDuration();
  // The exit code of a container that ends by itself (0–255).
  int exit_code = 0;
  // When set, every successful Start appends "<name>\n" to this file (O_APPEND, one write,
  // before Start returns; not fsynced), so a test can prove that no name was started twice
  // across restarts of the scheduler. Empty: no journal.
  std::string journal;
};

class NoopEngine final : public ContainerEngine {
 public:
  // INVALID_ARGUMENT for a negative run_time or an exit_code outside 0–255;
  // FAILED_PRECONDITION when the journal cannot be opened for appending (it is created when
  // missing).
  static absl::StatusOr<std::unique_ptr<NoopEngine>> Create(const NoopOptions& options);
  // Stops the engine's thread. Log readers may outlive the engine; subscriptions may not.
  ~NoopEngine() override;

  std::string_view kind() const override { return "noop"; }
  absl::Status Ping() override { return absl::OkStatus(); }
  absl::StatusOr<StartedContainer> Start(const ContainerSpec& spec) override;
  absl::Status Stop(std::string_view id, absl::Duration grace) override;
  absl::StatusOr<ContainerStatus> Inspect(std::string_view id) override;
  absl::StatusOr<std::vector<ContainerStatus>> List(const Labels& labels) override;
  absl::Status Remove(std::string_view id, bool force) override;
  absl::StatusOr<std::unique_ptr<LogReader>> OpenLogs(std::string_view id,
                                                      const LogOptions& options) override;
  absl::StatusOr<std::unique_ptr<ExecSession>> Exec(const ExecSpec& spec) override;
  // `on_change` runs on the engine's thread whenever the container named `id` (an id or a
  // name, which may not exist yet) exits or is removed. It may call the engine, but not Watch
  // nor destroy a subscription (that would wait for itself).
  std::unique_ptr<Subscription> Watch(std::string_view id,
                                      std::function<void()> on_change) override;

 private:
  using Container = noop::Container;
  class Sub;
  struct Timer {
    absl::Time at;
    std::weak_ptr<Container> container;  // expired: removed meanwhile
  };

  NoopEngine(NoopOptions options, int journal_fd);

  // The container `id` names (an id or a name), or null.
  std::shared_ptr<Container> Find(std::string_view id) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The container's state as Inspect reports it.
  ContainerStatus StatusOf(const Container& container) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Marks a running container exited with `code` and queues its watchers' notification.
  void Exit(Container& container, int code) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues a notification of the watchers of `container`'s id and name.
  void Changed(const Container& container) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends "<name>\n" to the journal, when there is one.
  absl::Status Journal(const std::string& name);
  // The engine's thread: timed exits and notifications, until the destructor.
  void Run();
  // Calls the callbacks watching each of `keys` (ids and names).
  void Notify(const std::vector<std::string>& keys) ABSL_LOCKS_EXCLUDED(mu_, watch_mu_);
  void Unwatch(const std::string& key, uint64_t token) ABSL_LOCKS_EXCLUDED(watch_mu_);

  const NoopOptions options_;
  const int journal_fd_;      // -1: no journal
  const std::string prefix_;  // random, so ids are unique across engines
  std::atomic<uint64_t> next_serial_{1};

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Container>, std::less<>> by_id_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> id_by_name_ ABSL_GUARDED_BY(mu_);
  // Every container has the same run_time, so deadlines come in start order: a FIFO suffices.
  std::deque<Timer> timers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> changed_ ABSL_GUARDED_BY(mu_);  // keys whose watchers to call
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar wake_;  // new timer, notification or stop

  // Callbacks run under watch_mu_ (never with mu_ held): none runs once Unwatch returns.
  absl::Mutex watch_mu_;
  std::map<std::string, std::map<uint64_t, std::function<void()>>, std::less<>> watchers_
      ABSL_GUARDED_BY(watch_mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(watch_mu_) = 1;
  // Registered callbacks; while none is, no notification is queued at all.
  std::atomic<int64_t> watching_{0};

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace gofer::scheduler
