#include "local_engine.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "gofer/common/errors.h"
#include "gofer/common/id_generator.h"
#include "gofer/common/status_macros.h"
#include "local_internal.h"
#include "local_sandbox.h"
#include "spdlog/spdlog.h"

namespace gofer::scheduler {
namespace {

namespace fs = std::filesystem;

const absl::Duration kStartTimeout = absl::Seconds(10);
const absl::Duration kKillTimeout = absl::Seconds(10);
// How long a dead command's supervisor may take to record the exit before the container is
// reported dead (the supervisor itself is gone).
const absl::Duration kExitRecordGrace = absl::Seconds(2);

std::string HostName() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

std::string ShimBesideExecutable() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? "gofer-scheduler-shim" : (self.parent_path() / "gofer-scheduler-shim").string();
}

bool IsIdChar(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

absl::StatusOr<std::unique_ptr<LocalEngine>> LocalEngine::Create(const LocalOptions& options) {
  if (options.root.empty() || options.root[0] != '/') {
    return absl::InvalidArgumentError("local.root must be an absolute path");
  }
  LocalOptions resolved = options;
  if (resolved.shim.empty()) {
    resolved.shim = ShimBesideExecutable();
  }
  if (access(resolved.shim.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "the local backend's supervisor {} is not executable (set local.shim)", resolved.shim));
  }
  std::error_code error;
  fs::create_directories(resolved.root + "/containers", error);
  fs::create_directories(resolved.root + "/names", error);
  if (error) {
    return absl::FailedPreconditionError(
        fmt::format("cannot create {}: {}", resolved.root, error.message()));
  }
  GOFER_ASSIGN_OR_RETURN(std::unique_ptr<local::DirectoryWatcher> watcher,
                         local::DirectoryWatcher::Create());
  return std::unique_ptr<LocalEngine>(new LocalEngine(resolved, HostName(), std::move(watcher)));
}

LocalEngine::LocalEngine(LocalOptions options, std::string node,
                         std::unique_ptr<local::DirectoryWatcher> watcher)
    : options_(std::move(options)), node_(std::move(node)), watcher_(std::move(watcher)) {}

LocalEngine::~LocalEngine() = default;

absl::Status LocalEngine::Ping() {
  return access((options_.root + "/containers").c_str(), W_OK) == 0
             ? absl::OkStatus()
             : absl::UnavailableError(fmt::format("{} is not writable", options_.root));
}

absl::StatusOr<std::string> LocalEngine::Resolve(std::string_view id) const {
  if (id.empty() || id.find('/') != std::string_view::npos || id[0] == '.') {
    return NotFoundError("container", id);
  }
  const std::string by_id = fmt::format("{}/containers/{}", options_.root, id);
  struct stat st;
  if (std::all_of(id.begin(), id.end(), IsIdChar) && stat(by_id.c_str(), &st) == 0) {
    return by_id;
  }
  std::error_code error;
  const fs::path target = fs::read_symlink(fmt::format("{}/names/{}", options_.root, id), error);
  const std::string dir = fmt::format("{}/containers/{}", options_.root, target.string());
  if (error || stat((dir + "/" + local::kMetaFile).c_str(), &st) != 0) {
    return NotFoundError("container", id);
  }
  return dir;
}

absl::StatusOr<std::string> LocalEngine::Reserve(const ContainerSpec& spec, std::string* id) {
  *id = absl::BytesToHexString(SecureRandomBytes(16));
  const std::string dir = fmt::format("{}/containers/{}", options_.root, *id);
  if (mkdir(dir.c_str(), 0700) != 0 || mkdir((dir + "/workspace").c_str(), 0755) != 0) {
    return absl::InternalError(fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
  }
  const std::string link = fmt::format("{}/names/{}", options_.root, spec.name);
  if (symlink(id->c_str(), link.c_str()) != 0) {
    std::error_code error;
    fs::remove_all(dir, error);
    const fs::path existing = fs::read_symlink(link, error);
    return WithErrorInfo(
        absl::AlreadyExistsError(fmt::format("a container named '{}' already exists", spec.name)),
        ErrorReason::kResourceExists, {{"scheduler_id", existing.string()}});
  }
  return dir;
}

absl::Status LocalEngine::Launch(const std::string& dir, const std::string& id,
                                 const ContainerSpec& spec) {
  std::vector<std::string> skipped;
  local::Meta meta{id, spec.name, spec.image, absl::Now(), spec.labels, {}};
  meta.labels[kManagedLabel] = kManagedValue;
  meta.cgroups = local::CreateCgroups(options_, id, spec.resources, &skipped);
  if (!skipped.empty()) {
    spdlog::warn("container {}: no writable cgroup for the {} limit(s); running without", id,
                 absl::StrJoin(skipped, ", "));
  }
  GOFER_RETURN_IF_ERROR(local::WriteMeta(dir, meta));
  const std::string hostname = spec.name.substr(0, 63);
  std::vector<std::string> argv = {options_.shim, dir};
  for (const std::string& cgroup : meta.cgroups) {
    argv.insert(argv.end(), {"--cgroup", cgroup});
  }
  argv.push_back("--");
  for (std::string& arg : local::BwrapArgs(options_.bwrap, spec, dir, hostname)) {
    argv.push_back(std::move(arg));
  }
  return local::SpawnDetached(argv, local::SandboxEnvironment(spec, hostname),
                              dir + "/" + local::kShimLogFile);
}

absl::Status LocalEngine::AwaitStart(const std::string& dir, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!local::ReadStarted(dir).has_value() && !local::ReadExit(dir).has_value()) {
    if (absl::Now() > deadline) {
      return absl::UnavailableError("the local supervisor did not start the command in time");
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::OkStatus();
}

bool LocalEngine::AwaitExit(const std::string& dir, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!local::ReadExit(dir).has_value()) {
    if (absl::Now() > deadline) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

absl::StatusOr<StartedContainer> LocalEngine::Start(const ContainerSpec& spec) {
  if (spec.entrypoint.empty() && spec.command.empty()) {
    return InvalidArgumentError(
        {{"command", "the local backend runs no image, so an entrypoint or command is required"}});
  }
  std::string id;
  GOFER_ASSIGN_OR_RETURN(std::string dir, Reserve(spec, &id));
  if (absl::Status launched = Launch(dir, id, spec); !launched.ok()) {
    (void)Remove(id, /*force=*/true);
    return launched;
  }
  GOFER_RETURN_IF_ERROR(AwaitStart(dir, kStartTimeout));
  return StartedContainer{id, node_, ""};
}

absl::StatusOr<ContainerStatus> LocalEngine::Inspect(std::string_view id) {
  GOFER_ASSIGN_OR_RETURN(std::string dir, Resolve(id));
  GOFER_ASSIGN_OR_RETURN(local::Meta meta, local::ReadMeta(dir));
  ContainerStatus status{
      .id = meta.id, .name = meta.name, .labels = meta.labels, .image = meta.image, .node = node_};
  std::optional<local::Started> started = local::ReadStarted(dir);
  std::optional<local::Exit> exit = local::ReadExit(dir);
  if (started.has_value() && !exit.has_value() && !local::IsAlive(*started)) {
    AwaitExit(dir, kExitRecordGrace);  // it just ended; the supervisor is recording it
    exit = local::ReadExit(dir);
  }
  if (started.has_value()) {
    status.started = started->time;
  }
  if (exit.has_value()) {
    status.state = ContainerState::kExited;
    status.exit_code = exit->code;
    status.oom_killed = exit->oom_killed;
    status.finished = exit->time;
    status.error = exit->error;
  } else if (started.has_value()) {
    status.state = local::IsAlive(*started) ? ContainerState::kRunning : ContainerState::kDead;
    if (status.state == ContainerState::kDead) {
      status.error = "the container's supervisor is gone (the machine restarted?)";
    }
  } else {
    status.state = ContainerState::kCreated;
  }
  return status;
}

absl::StatusOr<std::vector<ContainerStatus>> LocalEngine::List(const Labels& labels) {
  std::vector<ContainerStatus> out;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(options_.root + "/containers", error)) {
    auto status = Inspect(entry.path().filename().string());
    if (status.ok() && MatchesLabels(status->labels, labels)) {
      out.push_back(*std::move(status));
    }
  }
  if (error) {
    return absl::UnavailableError(
        fmt::format("cannot list {}: {}", options_.root, error.message()));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::Status LocalEngine::Stop(std::string_view id, absl::Duration grace) {
  GOFER_ASSIGN_OR_RETURN(std::string dir, Resolve(id));
  GOFER_RETURN_IF_ERROR(AwaitStart(dir, kStartTimeout));
  std::optional<local::Started> started = local::ReadStarted(dir);
  if (local::ReadExit(dir).has_value() || !started.has_value()) {
    return absl::OkStatus();
  }
  // PID 1 of its namespace: SIGTERM arrives only if the command handles it, SIGKILL always.
  if (local::IsAlive(*started)) {
    kill(started->pid, SIGTERM);
  }
  if (grace > absl::ZeroDuration() && AwaitExit(dir, grace)) {
    return absl::OkStatus();
  }
  if (local::IsAlive(*started)) {
    kill(started->pid, SIGKILL);
  }
  if (!AwaitExit(dir, kKillTimeout) && local::IsAlive(*started)) {
    return absl::UnavailableError(fmt::format("container '{}' did not stop", id));
  }
  return absl::OkStatus();
}

absl::Status LocalEngine::Remove(std::string_view id, bool force) {
  GOFER_ASSIGN_OR_RETURN(std::string dir, Resolve(id));
  GOFER_ASSIGN_OR_RETURN(ContainerStatus status, Inspect(id));
  if (!IsTerminal(status.state)) {
    if (!force) {
      return WithErrorInfo(absl::FailedPreconditionError(fmt::format(
                               "container '{}' is {}; stop it first or remove it with force", id,
                               ContainerStateName(status.state))),
                           ErrorReason::kFailedPrecondition);
    }
    // Hidden before it is killed: to whoever watches it, a force-removed container vanishes
    // (NOT_FOUND, "node lost") instead of exiting by the kill it gets — the run-queue must
    // not take that kill for the task's own exit code. Neither its name nor its id resolves
    // once its directory is renamed (ids have no '.').
    GOFER_RETURN_IF_ERROR(AwaitStart(dir, kStartTimeout));
    const std::optional<local::Started> started = local::ReadStarted(dir);
    const std::string name_link = fmt::format("{}/names/{}", options_.root, status.name);
    std::error_code ignored;
    if (fs::read_symlink(name_link, ignored).string() == status.id) {
      unlink(name_link.c_str());
    }
    const std::string hidden = dir + ".removing";
    if (rename(dir.c_str(), hidden.c_str()) != 0) {
      return absl::InternalError(
          fmt::format("cannot hide {} before removing it: {}", dir, std::strerror(errno)));
    }
    dir = hidden;
    if (started.has_value() && local::IsAlive(*started)) {
      kill(started->pid, SIGKILL);
      const absl::Time deadline = absl::Now() + kKillTimeout;
      while (local::IsAlive(*started) && absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(5));
      }
    }
  }
  auto meta = local::ReadMeta(dir);
  const std::string link = fmt::format("{}/names/{}", options_.root, status.name);
  std::error_code error;
  if (fs::read_symlink(link, error).string() == status.id) {
    unlink(link.c_str());
  }
  fs::remove_all(dir, error);
  if (meta.ok()) {
    local::RemoveCgroups(meta->cgroups);
  }
  return error ? absl::InternalError(fmt::format("cannot remove {}: {}", dir, error.message()))
               : absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogReader>> LocalEngine::OpenLogs(std::string_view id,
                                                                 const LogOptions& options) {
  GOFER_ASSIGN_OR_RETURN(std::string dir, Resolve(id));
  return local::OpenLocalLogs(dir, options);
}

absl::StatusOr<std::unique_ptr<ExecSession>> LocalEngine::Exec(const ExecSpec& spec) {
  GOFER_ASSIGN_OR_RETURN(std::string dir, Resolve(spec.container));
  GOFER_ASSIGN_OR_RETURN(ContainerStatus status, Inspect(spec.container));
  std::optional<local::Started> started = local::ReadStarted(dir);
  if (status.state != ContainerState::kRunning || !started.has_value()) {
    return WithErrorInfo(
        absl::FailedPreconditionError(fmt::format("container '{}' is not running", spec.container)),
        ErrorReason::kFailedPrecondition);
  }
  GOFER_ASSIGN_OR_RETURN(local::Meta meta, local::ReadMeta(dir));
  return local::StartLocalExec(spec, meta, *started);
}

std::unique_ptr<Subscription> LocalEngine::Watch(std::string_view id,
                                                 std::function<void()> on_change) {
  absl::StatusOr<std::string> dir = Resolve(id);
  return watcher_->Watch(dir.ok() ? *dir : std::string(), std::move(on_change));
}

}  // namespace gofer::scheduler
