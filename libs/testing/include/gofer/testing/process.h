// Running a built binary as a child process in e2e tests.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gofer::testing {

// A child process (in a process group of its own) whose stdout and stderr are captured
// together, line by line. Its whole group is killed with
// SIGKILL when destroyed if still running. Thread-safe.
class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH when it has no '/') with this process's environment plus
  // `env` (which wins).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~ChildProcess();

  // The first captured line, from the start, for which `match` is true; DEADLINE_EXCEEDED after
  // `timeout`, FAILED_PRECONDITION when the process exits first.
  absl::StatusOr<std::string> WaitForLine(const std::function<bool(const std::string&)>& match,
                                          absl::Duration timeout);

  // Sends `signal` (when still running).
  void Signal(int signal);

  // The exit code, or 128 + signal number when killed by a signal. DEADLINE_EXCEEDED when the
  // process is still running after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Everything captured so far.
  std::string output() const;

  pid_t pid() const { return pid_; }

 private:
  ChildProcess(pid_t pid, int fd);
  void ReadLoop();

  const pid_t pid_;
  const int fd_;
  std::thread reader_;
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::string partial_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  bool reaped_ ABSL_GUARDED_BY(mu_) = false;
  int exit_code_ ABSL_GUARDED_BY(mu_) = -1;
};

// The directory holding the built binaries (GOFER_BUILD_DIR, set by CTest for e2e tests).
std::string BuildDir();

}  // namespace gofer::testing
