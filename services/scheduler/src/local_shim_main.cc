// gofer-scheduler-shim: the supervisor of one local-backend container. LocalEngine starts it
// detached (its own session, re-parented away from the scheduler) as
//
//   gofer-scheduler-shim DIR [--cgroup CGROUP_DIR]... -- bwrap ARG... --json-status-fd 3 ...
//
// with the container's environment as its own. It runs bwrap in the cgroups, writes the
// command's stdout/stderr to DIR/log as records with timestamps, DIR/started once bwrap
// reports the command's pid, and DIR/exit (code, OOM kill, time) when it ends; then it removes
// the cgroups and exits. It outlives the scheduler, which is what makes adoption work.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "local_state.h"

namespace {

using gofer::scheduler::OutputStream;
namespace local = gofer::scheduler::local;

struct Args {
  std::string dir;
  std::vector<std::string> cgroups;
  std::vector<std::string> command;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  if (argc < 4) {
    return false;
  }
  args->dir = argv[1];
  int i = 2;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; i += 2) {
    if (std::strcmp(argv[i], "--cgroup") != 0 || i + 1 >= argc) {
      return false;
    }
    args->cgroups.push_back(argv[i + 1]);
  }
  args->command.assign(argv + std::min(i + 1, argc), argv + argc);
  return !args->command.empty();
}

void WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) {
      return;
    }
    done += n > 0 ? static_cast<size_t>(n) : 0;
  }
}

// The child: joins the cgroups, wires fds 1, 2 and 3, and becomes bwrap. Only
// async-signal-safe calls happen here (the shim is single-threaded, but stay strict).
[[noreturn]] void RunSandbox(const Args& args, int out, int err, int status, char** argv) {
  for (const std::string& cgroup : args.cgroups) {
    const std::string procs = cgroup + "/cgroup.procs";
    const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!write(fd, "0", 1);
      close(fd);
    }
  }
  const int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  dup2(out, 1);
  dup2(err, 2);
  dup2(status, 3);
  execvp(argv[0], argv);
  (void)!write(2, "gofer-scheduler-shim: cannot run bwrap\n", 39);
  _exit(127);
}

// The value of `"key": N` in bwrap's JSON status line, or -1.
int64_t JsonNumber(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) {
    return -1;
  }
  size_t start = at + key.size() + 3;
  while (start < line.size() && line[start] == ' ') {
    ++start;
  }
  size_t end = start;
  while (end < line.size() && line[end] >= '0' && line[end] <= '9') {
    ++end;
  }
  int64_t value = -1;
  return absl::SimpleAtoi(line.substr(start, end - start), &value) ? value : -1;
}

bool OomKilled(const std::vector<std::string>& cgroups) {
  for (const std::string& cgroup : cgroups) {
    std::ifstream in(cgroup + "/memory.oom_control");
    std::string key;
    int64_t value = 0;
    while (in >> key >> value) {
      if (key == "oom_kill" && value > 0) {
        return true;
      }
    }
  }
  return false;
}

void RemoveCgroups(const std::vector<std::string>& cgroups) {
  for (const std::string& cgroup : cgroups) {
    // The last processes of the namespace may still be on their way out.
    for (int i = 0; i < 200 && rmdir(cgroup.c_str()) != 0 && errno == EBUSY; ++i) {
      usleep(5000);
    }
  }
}

std::string ExeOf(pid_t pid) {
  char path[4096];
  const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), path, sizeof path);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
}

// bwrap reports the command's pid before the sandbox is set up (mounts, root): wait until the
// process has exec'd the command (its executable is no longer bwrap's), so that nothing —
// an exec session entering its namespaces, say — sees a half-built sandbox.
void AwaitExec(pid_t pid, const std::string& bwrap_exe) {
  for (int i = 0; i < 5000; ++i) {
    const std::string exe = ExeOf(pid);
    if (exe.empty() || exe != bwrap_exe) {
      return;  // exec'd, or already gone
    }
    usleep(1000);
  }
}

struct Outcome {
  int64_t exit_code = -1;
  bool started = false;
};

// Copies output into log records and follows bwrap's status until every pipe is closed.
Outcome Supervise(const std::string& dir, pid_t bwrap, int log, int out, int err, int status) {
  Outcome outcome;
  pollfd fds[3] = {{out, POLLIN, 0}, {err, POLLIN, 0}, {status, POLLIN, 0}};
  std::string status_text;
  char buffer[65536];
  int open_fds = 3;
  while (open_fds > 0) {
    if (poll(fds, 3, -1) < 0 && errno != EINTR) {
      break;
    }
    for (int i = 0; i < 3; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) {
          continue;
        }
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else if (i < 2) {
        WriteAll(log, local::EncodeLogRecord(i == 0 ? OutputStream::kStdout : OutputStream::kStderr,
                                             absl::Now(), std::string_view(buffer, n)));
      } else {
        status_text.append(buffer, static_cast<size_t>(n));
        const int64_t pid = JsonNumber(status_text, "child-pid");
        if (pid > 0 && !outcome.started) {
          outcome.started = true;
          const auto p = static_cast<pid_t>(pid);
          AwaitExec(p, ExeOf(bwrap));  // (bwrap itself has exec'd once it reports)
          (void)local::WriteStarted(dir, {p, local::ProcessStartTicks(p), absl::Now()});
        }
        outcome.exit_code = JsonNumber(status_text, "exit-code");
      }
    }
  }
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    const char usage[] = "usage: gofer-scheduler-shim DIR [--cgroup DIR]... -- COMMAND...\n";
    (void)!write(2, usage, sizeof usage - 1);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  const int log = open((args.dir + "/" + local::kLogFile).c_str(),
                       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  int out[2], err[2], status[2];
  if (log < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
      pipe2(status, O_CLOEXEC) != 0) {
    (void)local::WriteExit(args.dir, {127, false, absl::Now(), "the supervisor cannot set up"});
    return 1;
  }
  std::vector<char*> command;
  for (std::string& arg : args.command) {
    command.push_back(arg.data());
  }
  command.push_back(nullptr);
  const pid_t child = fork();
  if (child == 0) {
    RunSandbox(args, out[1], err[1], status[1], command.data());
  }
  close(out[1]);
  close(err[1]);
  close(status[1]);
  const Outcome outcome = Supervise(args.dir, child, log, out[0], err[0], status[0]);
  int wait_status = 0;
  while (waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
  }
  local::Exit exit{static_cast<int>(outcome.exit_code), OomKilled(args.cgroups), absl::Now(), ""};
  if (exit.code < 0) {
    exit.code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  }
  if (!outcome.started) {
    exit.error = "the sandbox did not start (its error is in the container's log)";
  }
  RemoveCgroups(args.cgroups);
  close(log);
  return local::WriteExit(args.dir, exit).ok() ? 0 : 1;
}
