#include "gofer/testing/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace gofer::testing {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    std::vector<std::string> argv, std::map<std::string, std::string> env) {
  if (argv.empty()) {
    return absl::InvalidArgumentError("argv is empty");
  }
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) {
      merged[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  for (auto& [k, v] : env) {
    merged[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) {
    env_strings.push_back(absl::StrCat(k, "=", v));
  }
  std::vector<char*> c_env;
  for (auto& s : env_strings) {
    c_env.push_back(s.data());
  }
  c_env.push_back(nullptr);
  std::vector<char*> c_argv;
  for (auto& a : argv) {
    c_argv.push_back(a.data());
  }
  c_argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Its own process group, so the destructor can kill whatever it started too (a grandchild
  // holding the output pipe would otherwise keep the reader thread waiting).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, c_argv[0], &actions, &attr, c_argv.data(), c_env.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return absl::NotFoundError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pipe_fds[0]));
}

ChildProcess::ChildProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {
  reader_ = std::thread([this] { ReadLoop(); });
}

ChildProcess::~ChildProcess() {
  kill(-pid_, SIGKILL);  // the whole process group, grandchildren included
  (void)Wait(absl::Seconds(30));
  reader_.join();
  close(fd_);
}

void ChildProcess::ReadLoop() {
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (n <= 0) {
      if (!partial_.empty()) {
        lines_.push_back(std::move(partial_));
        partial_.clear();
      }
      eof_ = true;
      return;
    }
    partial_.append(buf, static_cast<size_t>(n));
    size_t pos;
    while ((pos = partial_.find('\n')) != std::string::npos) {
      lines_.push_back(partial_.substr(0, pos));
      partial_.erase(0, pos + 1);
    }
  }
}

absl::StatusOr<std::string> ChildProcess::WaitForLine(
    const std::function<bool(const std::string&)>& match, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t next = 0;
  absl::MutexLock lock(&mu_);
  while (true) {
    for (; next < lines_.size(); ++next) {
      if (match(lines_[next])) {
        return lines_[next];
      }
    }
    if (eof_) {
      return absl::FailedPreconditionError(
          absl::StrCat("the process closed its output before the line appeared; output:\n",
                       absl::StrJoin(lines_, "\n")));
    }
    auto grown = [this, next]()
                     ABSL_NO_THREAD_SAFETY_ANALYSIS { return eof_ || lines_.size() > next; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&grown), deadline)) {
      return absl::DeadlineExceededError("the line did not appear in time");
    }
  }
}

void ChildProcess::Signal(int signal) {
  absl::MutexLock lock(&mu_);
  if (!reaped_) {
    kill(pid_, signal);
  }
}

absl::StatusOr<int> ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (!reaped_) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          reaped_ = true;
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
      }
      if (reaped_) {
        // Let the reader drain the pipe, so output() holds everything the process wrote. A
        // grandchild holding the pipe open is not waited for beyond a few seconds.
        mu_.AwaitWithDeadline(absl::Condition(&eof_),
                              std::min(deadline, absl::Now() + absl::Seconds(5)));
        return exit_code_;
      }
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("process ", pid_, " still running"));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

std::string ChildProcess::output() const {
  absl::MutexLock lock(&mu_);
  std::string out = absl::StrJoin(lines_, "\n");
  if (!partial_.empty()) {
    absl::StrAppend(&out, "\n", partial_);
  }
  return out;
}

std::string BuildDir() {
  const char* dir = std::getenv("GOFER_BUILD_DIR");
  return dir != nullptr ? dir : ".";
}

}  // namespace gofer::testing
