// What the local backend's files share. Internal to the local backend.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "container_engine.h"
#include "local_state.h"

namespace gofer::scheduler::local {

// A reader of the log in container directory `dir`; following ends once DIR/exit exists and
// the log was read to its end.
std::unique_ptr<LogReader> OpenLocalLogs(const std::string& dir, const LogOptions& options);

// Runs spec.command inside the namespaces of the running container (`meta`, `started`) with
// nsenter, in its cgroups, with its environment plus spec.env, on a pseudo-terminal with
// spec.tty, keeping docker's default capabilities (setpriv).
absl::StatusOr<std::unique_ptr<ExecSession>> StartLocalExec(const ExecSpec& spec, const Meta& meta,
                                                            const Started& started);

// Calls the callbacks watching a container directory whenever a file appears in it (the shim
// renames `started` and `exit` into place) or it is deleted, with inotify on one thread.
// Thread-safe.
class DirectoryWatcher {
 public:
  // INTERNAL when inotify is unavailable.
  static absl::StatusOr<std::unique_ptr<DirectoryWatcher>> Create();
  ~DirectoryWatcher();

  // Watches `dir` (which may not exist: the subscription then never fires).
  std::unique_ptr<Subscription> Watch(const std::string& dir, std::function<void()> on_change);

 private:
  class Sub;
  DirectoryWatcher(int inotify_fd, int stop_fd);
  void Run();
  void Remove(uint64_t token);

  const int inotify_fd_;
  const int stop_fd_;  // an eventfd that stops the thread
  absl::Mutex mu_;
  // watch descriptor → (token → callback)
  std::map<int, std::map<uint64_t, std::function<void()>>> callbacks_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, int> token_wd_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  std::thread thread_;
};

}  // namespace gofer::scheduler::local
