#include "local_sandbox.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::scheduler::local {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool WriteValue(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  return static_cast<bool>(out);
}

bool MakeDir(const std::string& path) { return mkdir(path.c_str(), 0755) == 0 || errno == EEXIST; }

// Writes one controller's limits into `dir`; false when a limit could not be written.
bool ApplyLimits(std::string_view controller, const std::string& dir, const Resources& r) {
  if (controller == "memory" && r.memory_bytes > 0) {
    const std::string bytes = std::to_string(r.memory_bytes);
    const bool ok = WriteValue(dir + "/memory.limit_in_bytes", bytes);
    (void)WriteValue(dir + "/memory.memsw.limit_in_bytes",
                     bytes);  // absent without swap accounting
    return ok;
  }
  if (controller == "pids" && r.pids > 0) {
    return WriteValue(dir + "/pids.max", std::to_string(r.pids));
  }
  if (controller == "cpu" && r.cpu_millis > 0) {
    return WriteValue(dir + "/cpu.cfs_period_us", "100000") &&
           WriteValue(dir + "/cpu.cfs_quota_us", std::to_string(r.cpu_millis * 100));
  }
  return true;
}

bool Requested(std::string_view controller, const Resources& r) {
  return (controller == "memory" && r.memory_bytes > 0) || (controller == "pids" && r.pids > 0) ||
         (controller == "cpu" && r.cpu_millis > 0);
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

}  // namespace

const std::vector<std::string>& DefaultCapabilities() {
  static const auto* const kCaps = new std::vector<std::string>{
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return *kCaps;
}

std::vector<std::string> BwrapArgs(const std::string& bwrap, const ContainerSpec& spec,
                                   const std::string& dir, const std::string& hostname) {
  std::vector<std::string> args = {bwrap, "--ro-bind", "/usr", "/usr"};
  for (const char* link : {"bin", "sbin", "lib", "lib64", "lib32", "libx32"}) {
    if (Exists(fmt::format("/usr/{}", link))) {
      args.insert(args.end(), {"--symlink", fmt::format("usr/{}", link), fmt::format("/{}", link)});
    }
  }
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind",
                           dir + "/workspace", "/workspace"});
  const std::string workdir = spec.working_dir.empty() ? "/workspace" : spec.working_dir;
  if (absl::StartsWith(workdir, "/tmp/") || absl::StartsWith(workdir, "/workspace/")) {
    args.insert(args.end(), {"--dir", workdir});  // created like docker creates WorkingDir
  }
  args.insert(args.end(), {"--chdir", workdir, "--unshare-ipc", "--unshare-pid", "--unshare-uts",
                           "--unshare-cgroup-try", "--hostname", hostname});
  if (spec.network == NetworkMode::kNone) {
    args.push_back("--unshare-net");  // (no bridge here: BRIDGE shares the host's network too)
  }
  args.insert(args.end(), {"--new-session", "--as-pid-1", "--cap-drop", "ALL"});
  for (const std::string& cap : DefaultCapabilities()) {
    args.insert(args.end(), {"--cap-add", cap});
  }
  args.insert(args.end(), {"--json-status-fd", "3", "--"});
  args.insert(args.end(), spec.entrypoint.begin(), spec.entrypoint.end());
  args.insert(args.end(), spec.command.begin(), spec.command.end());
  return args;
}

std::vector<std::string> SandboxEnvironment(const ContainerSpec& spec,
                                            const std::string& hostname) {
  std::vector<std::string> env;
  bool path = false, home = false, host = false;
  for (const auto& [key, value] : spec.env) {
    path |= key == "PATH";
    home |= key == "HOME";
    host |= key == "HOSTNAME";
    env.push_back(key + "=" + value);
  }
  if (!path) {
    env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  if (!home) {
    env.push_back("HOME=/workspace");
  }
  if (!host) {
    env.push_back("HOSTNAME=" + hostname);
  }
  return env;
}

std::vector<std::string> CreateCgroups(const LocalOptions& options, const std::string& id,
                                       const Resources& resources,
                                       std::vector<std::string>* skipped) {
  std::vector<std::string> created;
  for (const char* controller : {"memory", "pids", "cpu"}) {
    const std::string parent =
        fmt::format("{}/{}/{}", options.cgroup_root, controller, options.cgroup_parent);
    const std::string dir = parent + "/" + id;
    if (!MakeDir(parent) || mkdir(dir.c_str(), 0755) != 0) {
      if (Requested(controller, resources)) {
        skipped->push_back(controller);
      }
      continue;
    }
    created.push_back(dir);
    if (!ApplyLimits(controller, dir, resources)) {
      skipped->push_back(controller);
    }
  }
  return created;
}

void RemoveCgroups(const std::vector<std::string>& cgroups) {
  for (const std::string& cgroup : cgroups) {
    rmdir(cgroup.c_str());
  }
}

absl::Status SpawnDetached(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, const std::string& log) {
  // Everything the children need is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed in a multi-threaded process.
  std::vector<char*> args = CStrings(argv);
  std::vector<char*> envp = CStrings(env);
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];  // the grandchild reports a failed exec here; a successful one closes it
  if (log_fd < 0 || null_fd < 0 || pipe2(report, O_CLOEXEC) != 0) {
    return absl::InternalError(
        fmt::format("cannot prepare the supervisor: {}", std::strerror(errno)));
  }
  const pid_t child = fork();
  if (child == 0) {
    setsid();
    if (fork() != 0) {
      _exit(0);
    }
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // no inherited descriptor outlives the exec
    execve(args[0], args.data(), envp.data());
    const int error = errno;
    (void)!write(report[1], &error, sizeof error);
    _exit(127);
  }
  close(report[1]);
  close(log_fd);
  close(null_fd);
  int status = 0;
  while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  int error = 0;
  const ssize_t n = read(report[0], &error, sizeof error);
  close(report[0]);
  if (child < 0 || n > 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot run {}: {}", argv[0], std::strerror(child < 0 ? errno : error)));
  }
  return absl::OkStatus();
}

}  // namespace gofer::scheduler::local
