// What the `gofer run` and `gofer task` commands share: the PIPELINE RUN [TASK] arguments and
// the calls that read a run, its task executions, its config and its logs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "context.h"
#include "gofer/v1/pipelines.pb.h"
#include "gofer/v1/runs.pb.h"

namespace gofer::cli {

// The arguments naming a run (and maybe one of its tasks), as given on the command line.
struct RunArgs {
  // -n/--namespace; empty: the default namespace of the context.
  std::string ns;
  // PIPELINE.
  std::string pipeline;
  // RUN.
  int64_t run_id = 0;
  // TASK (task commands only).
  std::string task;
};

// A run (and maybe a task) with its namespace resolved.
struct RunRef {
  std::string ns;
  std::string pipeline;
  int64_t run_id = 0;
  std::string task;
};

// A request of type `Request` addressed to `ref`: namespace_id and pipeline_id set, and run_id
// and task_id when `Request` has them.
template <typename Request>
Request RequestFor(const RunRef& ref) {
  Request request;
  request.set_namespace_id(ref.ns);
  request.set_pipeline_id(ref.pipeline);
  if constexpr (requires { request.set_run_id(ref.run_id); }) {
    request.set_run_id(ref.run_id);
  }
  if constexpr (requires { request.set_task_id(ref.task); }) {
    request.set_task_id(ref.task);
  }
  return request;
}

// `args` with the namespace resolved by `ctx` (-n, GOFER_NAMESPACE, config file, "default").
RunRef Resolve(const Context& ctx, const RunArgs& args);

// Adds PIPELINE and -n to `command`, then RUN when `with_run`, then TASK when `with_task`.
void AddRunArgs(CLI::App* command, RunArgs& args, bool with_run, bool with_task = false);

// Adds `--grace DURATION` to `command` (a Go-style duration: 10s, 1m30s); a value that does not
// parse is a command-line error (exit 2).
void AddGraceOption(CLI::App* command, std::string& grace);

// `text` ("10s") as a duration; empty is zero (the server's default). INVALID_ARGUMENT when it
// does not parse or is negative.
absl::StatusOr<absl::Duration> ParseGrace(const std::string& text);

// The run. Fails with the server's status (NOT_FOUND for an unknown run).
absl::StatusOr<gofer::v1::Run> GetRun(Context& ctx, const RunRef& ref);

// The run's task executions in dependency order, each with every attempt.
absl::StatusOr<std::vector<gofer::v1::TaskExecution>> ListTasks(Context& ctx, const RunRef& ref);

// The config version `version` of the run's pipeline.
absl::StatusOr<gofer::v1::ConfigVersion> GetConfigVersion(Context& ctx, const RunRef& ref,
                                                          int64_t version);

// What to read of a task's logs.
struct LogsQuery {
  // Attempt (0: the latest).
  int32_t attempt = 0;
  // First line to read (0-based).
  int64_t from_line = 0;
  // Keep reading new lines until the attempt ends.
  bool follow = false;
};

// Streams the logs of task `ref.task`, calling `on_line` for every line in order; returns once
// the stream ends (at once without `follow`). Fails with the server's status, or with
// `on_line`'s first failure (which stops the stream).
absl::Status ReadLogs(Context& ctx, const RunRef& ref, const LogsQuery& query,
                      const std::function<absl::Status(const gofer::v1::TaskLogLine&)>& on_line);

}  // namespace gofer::cli
