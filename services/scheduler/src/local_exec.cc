// The local backend's ExecSession: nsenter joins the container's mount, UTS, IPC, network and
// PID namespaces (and its root and cgroups); setpriv drops to docker's default capabilities;
// the command gets pipes, or a pseudo-terminal with tty. The session is a child of the
// scheduler process, so it ends with it (unlike the container).
//
// With tty, the command leads a session of its own inside the container's PID namespace, with
// the terminal as its controlling terminal (setsid --ctty, as docker exec does): a session made
// outside it (nsenter forks into the namespace) would be invisible there, and a job-control
// shell, which saves the terminal's foreground process group at start and restores it at exit,
// would fail its `exit` ("Cannot set tty process group").
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "gofer/common/status_macros.h"
#include "local_internal.h"
#include "local_sandbox.h"

namespace gofer::scheduler::local {
namespace {

const absl::Duration kWriteTimeout = absl::Seconds(30);

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

// The container's environment (its PID 1's), then `extra` (which wins).
std::vector<std::string> ExecEnvironment(pid_t pid, const ExecSpec& spec) {
  std::ifstream in(fmt::format("/proc/{}/environ", pid), std::ios::binary);
  std::vector<std::string> env;
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    const std::string key = entry.substr(0, entry.find('='));
    const bool overridden = std::any_of(spec.env.begin(), spec.env.end(),
                                        [&](const auto& kv) { return kv.first == key; });
    if (!overridden) {
      env.push_back(entry);
    }
  }
  for (const auto& [key, value] : spec.env) {
    env.push_back(key + "=" + value);
  }
  return env;
}

constexpr char kSetsid[] = "/usr/bin/setsid";

// Whether the command's session is made inside the container (see the top of the file); when
// setsid is missing, the session made before nsenter has to do.
bool SessionInside(const ExecSpec& spec) { return spec.tty && access(kSetsid, X_OK) == 0; }

std::vector<std::string> ExecArgv(const ExecSpec& spec, pid_t pid) {
  std::vector<std::string> argv = {"/usr/bin/nsenter",
                                   "--target",
                                   std::to_string(pid),
                                   "--mount",
                                   "--uts",
                                   "--ipc",
                                   "--net",
                                   "--pid",
                                   "--root",
                                   spec.working_dir.empty() ? "--wd" : "--wd=" + spec.working_dir,
                                   "--"};
  if (SessionInside(spec)) {
    argv.insert(argv.end(), {kSetsid, "--ctty", "--"});
  }
  if (access("/usr/bin/setpriv", X_OK) == 0) {
    std::vector<std::string> caps;
    for (const std::string& cap : DefaultCapabilities()) {
      caps.push_back("+" + absl::AsciiStrToLower(cap.substr(4)));
    }
    argv.insert(argv.end(), {"/usr/bin/setpriv", "--bounding-set",
                             "-all," + absl::StrJoin(caps, ","), "--inh-caps", "-all", "--"});
  }
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

// A pseudo-terminal in the container's own devpts (bwrap mounts a new instance at /dev/pts),
// so the command sees /dev/pts/N as its terminal, as in docker; the host's if that fails.
absl::Status OpenTerminal(pid_t pid, TerminalSize size, int* master, int* slave) {
  *master = open(fmt::format("/proc/{}/root/dev/ptmx", pid).c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0) {
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0) {
    return absl::InternalError("cannot allocate a pseudo-terminal");
  }
  *slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0) {
    close(*master);
    return absl::InternalError(fmt::format("cannot open a terminal: {}", std::strerror(errno)));
  }
  if (size.rows > 0 && size.columns > 0) {
    winsize ws{static_cast<unsigned short>(size.rows), static_cast<unsigned short>(size.columns), 0,
               0};
    ioctl(*master, TIOCSWINSZ, &ws);
  }
  return absl::OkStatus();
}

class LocalExecSession final : public ExecSession {
 public:
  LocalExecSession(pid_t child, bool tty, int stdin_fd, int stdout_fd, int stderr_fd)
      : child_(child), tty_(tty), stdin_fd_(stdin_fd), out_fds_{stdout_fd, stderr_fd} {}

  ~LocalExecSession() override {
    if (!reaped_) {
      kill(-child_, SIGKILL);  // its process group: nsenter and the command it forked
      waitpid(child_, nullptr, 0);
    }
    if (tty_) {
      close(stdin_fd_);  // the terminal's master, which is also the output
      return;
    }
    for (int fd : {stdin_fd_, out_fds_[0], out_fds_[1]}) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }

  absl::Status WriteStdin(std::string_view data) override {
    absl::MutexLock lock(&mu_);
    if (stdin_closed_) {
      return absl::FailedPreconditionError("stdin is closed");
    }
    while (!data.empty()) {
      const ssize_t n = write(stdin_fd_, data.data(), data.size());
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd p{stdin_fd_, POLLOUT, 0};
        if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(kWriteTimeout))) == 0) {
          return absl::DeadlineExceededError("the command does not read its stdin");
        }
      } else {
        return absl::FailedPreconditionError(
            fmt::format("the command's stdin is closed: {}", std::strerror(errno)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CloseStdin() override {
    {
      absl::MutexLock lock(&mu_);
      if (stdin_closed_) {
        return absl::OkStatus();
      }
      if (!tty_) {
        stdin_closed_ = true;
        close(stdin_fd_);
        stdin_fd_ = -1;
        return absl::OkStatus();
      }
    }
    return WriteStdin("\x04");  // a terminal has no half-close: send its end-of-file character
  }

  absl::Status Resize(TerminalSize size) override {
    if (!tty_ || size.rows == 0 || size.columns == 0) {
      return absl::OkStatus();
    }
    winsize ws{static_cast<unsigned short>(size.rows), static_cast<unsigned short>(size.columns), 0,
               0};
    ioctl(out_fds_[0], TIOCSWINSZ, &ws);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> ReadOutput(absl::Duration max_wait, std::vector<ExecOutput>* out) override {
    pollfd fds[2] = {{out_fds_[0], POLLIN, 0}, {out_fds_[1], POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(absl::ToInt64Milliseconds(max_wait))) > 0) {
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd >= 0 && fds[i].revents != 0) {
          ReadFrom(i, out);
        }
      }
    }
    if (out_fds_[0] >= 0 || out_fds_[1] >= 0) {
      return true;
    }
    int status = 0;
    while (waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }

  absl::StatusOr<int> ExitCode() override {
    if (!reaped_) {
      return absl::FailedPreconditionError("the command is still running");
    }
    return exit_code_;
  }

 private:
  void ReadFrom(int i, std::vector<ExecOutput>* out) {
    char buffer[65536];
    const ssize_t n = read(out_fds_[i], buffer, sizeof buffer);
    if (n > 0) {
      out->push_back({i == 0 ? OutputStream::kStdout : OutputStream::kStderr,
                      std::string(buffer, static_cast<size_t>(n))});
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {  // EOF (EIO for a terminal)
      if (!tty_ || i != 0) {
        close(out_fds_[i]);
      }
      out_fds_[i] = -1;
    }
  }

  const pid_t child_;
  const bool tty_;
  absl::Mutex mu_;
  int stdin_fd_;  // with tty, the terminal's master (also out_fds_[0])
  bool stdin_closed_ = false;
  int out_fds_[2];
  bool reaped_ = false;
  int exit_code_ = 0;
};

// The child between fork and exec (async-signal-safe calls only): a session of its own with
// `stdio` as fds 0–2 (with `claim_terminal`, the terminal becomes its controlling terminal), in
// the container's cgroups.
[[noreturn]] void BecomeCommand(const int stdio[3], bool claim_terminal,
                                const std::vector<std::string>& procs, char** argv, char** envp) {
  setsid();
  if (claim_terminal) {
    ioctl(stdio[0], TIOCSCTTY, 0);
  }
  for (int fd = 0; fd < 3; ++fd) {
    dup2(stdio[fd], fd);
  }
  for (const std::string& p : procs) {
    const int fd = open(p.c_str(), O_WRONLY | O_CLOEXEC);
    (void)!write(fd, "0", 1);
    close(fd);
  }
  execve(argv[0], argv, envp);
  _exit(127);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExecSession>> StartLocalExec(const ExecSpec& spec, const Meta& meta,
                                                            const Started& started) {
  std::vector<std::string> argv_strings = ExecArgv(spec, started.pid);
  std::vector<std::string> env_strings = ExecEnvironment(started.pid, spec);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  std::vector<std::string> procs;
  for (const std::string& cgroup : meta.cgroups) {
    procs.push_back(cgroup + "/cgroup.procs");
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int master = -1, slave = -1;
  if (spec.tty) {
    GOFER_RETURN_IF_ERROR(OpenTerminal(started.pid, spec.size, &master, &slave));
  } else if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
             pipe2(err, O_CLOEXEC) != 0) {
    return absl::InternalError(fmt::format("cannot create pipes: {}", std::strerror(errno)));
  }
  const bool session_inside = SessionInside(spec);
  const int child_stdio[3] = {spec.tty ? slave : in[0], spec.tty ? slave : out[1],
                              spec.tty ? slave : err[1]};
  const pid_t child = fork();
  const int fork_error = errno;
  if (child == 0) {
    BecomeCommand(child_stdio, spec.tty && !session_inside, procs, argv.data(), envp.data());
  }
  for (int fd : {slave, in[0], out[1], err[1]}) {
    if (fd >= 0) {
      close(fd);
    }
  }
  if (child < 0) {
    for (int fd : {master, in[1], out[0], err[0]}) {
      if (fd >= 0) {
        close(fd);
      }
    }
    return absl::InternalError(fmt::format("cannot fork: {}", std::strerror(fork_error)));
  }
  if (spec.tty) {
    fcntl(master, F_SETFL, O_NONBLOCK);
    return std::make_unique<LocalExecSession>(child, true, master, master, -1);
  }
  for (int fd : {in[1], out[0], err[0]}) {
    fcntl(fd, F_SETFL, O_NONBLOCK);
  }
  return std::make_unique<LocalExecSession>(child, false, in[1], out[0], err[0]);
}

}  // namespace gofer::scheduler::local
