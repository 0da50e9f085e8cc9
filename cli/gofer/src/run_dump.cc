#include "run_dump.h"

#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "event_client.h"
#include "gofer/common/string_view_bridge.h"
#include "output.h"

extern char** environ;

namespace gofer::cli {
namespace {

namespace fs = std::filesystem;

// A temporary directory, removed with everything in it when destroyed.
class TempDir {
 public:
  static absl::StatusOr<TempDir> Create() {
    std::string path = (fs::temp_directory_path() / "gofer-dump.XXXXXX").string();
    if (::mkdtemp(path.data()) == nullptr) {
      return absl::InternalError(
          fmt::format("cannot create a temporary directory: {}", std::strerror(errno)));
    }
    return TempDir(path);
  }
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ignored;
      fs::remove_all(path_, ignored);
    }
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Writes `content` to `root`/`relative`, creating its folders.
absl::Status WriteFile(const fs::path& root, const std::string& relative,
                       const std::string& content) {
  const fs::path path = root / relative;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (ec || !out) {
    return absl::InternalError(fmt::format("cannot write {}", path.string()));
  }
  return absl::OkStatus();
}

// Writes `message` as JSON to `root`/`relative`.
absl::Status WriteJson(const fs::path& root, const std::string& relative,
                       const google::protobuf::Message& message) {
  GOFER_ASSIGN_OR_RETURN(std::string json, ToJson(message));
  return WriteFile(root, relative, json + "\n");
}

// Runs `tar czf archive -C dir folder`; INTERNAL when tar cannot run or fails.
absl::Status Tar(const std::string& archive, const std::string& dir, const std::string& folder) {
  std::vector<std::string> args = {"tar", "czf", archive, "-C", dir, folder};
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int err = ::posix_spawnp(&pid, "tar", nullptr, nullptr, argv.data(), environ);
      err != 0) {
    return absl::InternalError(fmt::format("cannot run tar: {}", std::strerror(err)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(fmt::format("tar could not write {}", archive));
  }
  return absl::OkStatus();
}

// The run's events, oldest first.
absl::StatusOr<gofer::v1::ListEventsResponse> RunEvents(Context& ctx, const RunRef& ref) {
  gofer::v1::EventFilter filter;
  filter.set_namespace_id(ref.ns);
  filter.set_pipeline_id(ref.pipeline);
  filter.set_run_id(ref.run_id);
  return CollectEvents(ctx, filter, /*limit=*/0);
}

// Writes the log of every attempt of every task; returns how many files were written.
absl::StatusOr<int> WriteLogs(Context& ctx, const RunRef& run,
                              const std::vector<gofer::v1::TaskExecution>& tasks,
                              const fs::path& root) {
  int written = 0;
  for (const gofer::v1::TaskExecution& t : tasks) {
    for (int32_t attempt = 1; attempt <= t.attempt(); ++attempt) {
      RunRef ref = run;
      ref.task = t.task_id();
      std::string text;
      absl::Status read =
          ReadLogs(ctx, ref, {.attempt = attempt}, [&text](const gofer::v1::TaskLogLine& line) {
            text += DumpLogLine(line) + "\n";
            return absl::OkStatus();
          });
      if (!read.ok()) {
        std::cerr << fmt::format("warning: logs of task '{}' attempt {} left out: {}\n",
                                 t.task_id(), attempt, ToStd(read.message()));
        continue;
      }
      GOFER_RETURN_IF_ERROR(WriteFile(root, DumpLogPath(t.task_id(), attempt), text));
      ++written;
    }
  }
  return written;
}

}  // namespace

std::string DefaultDumpFile(const RunRef& ref) {
  return fmt::format("{}-run-{}.tar.gz", ref.pipeline, ref.run_id);
}

std::string DumpLogPath(const std::string& task, int32_t attempt) {
  return fmt::format("logs/{}/attempt-{}.log", task, attempt);
}

std::string DumpLogLine(const gofer::v1::TaskLogLine& line) {
  const std::string_view stream = line.stream() == gofer::v1::LOG_STREAM_STDERR ? "err" : "out";
  return fmt::format("{} {} {}", FormatTime(line.time(), /*exact=*/true), stream, line.text());
}

absl::Status DumpRun(Context& ctx, const RunRef& ref, const std::string& file) {
  GOFER_ASSIGN_OR_RETURN(const gofer::v1::Run run, GetRun(ctx, ref));
  GOFER_ASSIGN_OR_RETURN(const std::vector<gofer::v1::TaskExecution> tasks, ListTasks(ctx, ref));
  GOFER_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string folder = fmt::format("{}-run-{}", ref.pipeline, ref.run_id);
  const fs::path root = fs::path(dir.path()) / folder;

  GOFER_RETURN_IF_ERROR(WriteJson(root, "run.json", run));
  gofer::v1::ListTaskExecutionsResponse task_list;
  task_list.mutable_task_executions()->Assign(tasks.begin(), tasks.end());
  GOFER_RETURN_IF_ERROR(WriteJson(root, "tasks.json", task_list));
  if (auto config = GetConfigVersion(ctx, ref, run.config_version()); config.ok()) {
    GOFER_RETURN_IF_ERROR(WriteJson(root, "config.json", *config));
  } else {
    std::cerr << fmt::format("warning: config version {} left out: {}\n", run.config_version(),
                             ToStd(config.status().message()));
  }
  GOFER_ASSIGN_OR_RETURN(const gofer::v1::ListEventsResponse events, RunEvents(ctx, ref));
  GOFER_RETURN_IF_ERROR(WriteJson(root, "events.json", events));
  GOFER_ASSIGN_OR_RETURN(const int logs, WriteLogs(ctx, ref, tasks, root));

  const std::string archive = file.empty() ? DefaultDumpFile(ref) : file;
  GOFER_RETURN_IF_ERROR(Tar(fs::absolute(archive).string(), dir.path(), folder));
  std::cout << fmt::format("wrote {} (run, config, {} tasks, {} events, {} logs)\n", archive,
                           tasks.size(), events.events_size(), logs);
  return absl::OkStatus();
}

}  // namespace gofer::cli
