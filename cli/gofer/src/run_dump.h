// `gofer run dump`: everything known about one run in one .tar.gz, to attach to a bug report or
// read offline.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "context.h"
#include "gofer/v1/runs.pb.h"
#include "run_client.h"

namespace gofer::cli {

// The archive's default name for a run: "<pipeline>-run-<n>.tar.gz".
std::string DefaultDumpFile(const RunRef& ref);

// The path of the log file of `attempt` of `task` inside the archive's folder:
// "logs/<task>/attempt-<n>.log".
std::string DumpLogPath(const std::string& task, int32_t attempt);

// One log line as the dump writes it: "<RFC 3339 time> <out|err> <text>".
std::string DumpLogLine(const gofer::v1::TaskLogLine& line);

// Writes `file` (DefaultDumpFile when empty): a gzip'd tar of one folder "<pipeline>-run-<n>/"
// holding run.json, config.json (the run's config version), tasks.json (every task execution
// with its attempts and phase times), events.json (the run's events) and
// logs/<task>/attempt-<n>.log for every attempt, then prints the archive's path. Files are
// staged in a temporary directory and packed with the system's `tar`. Fails with the server's
// status when the run or its tasks cannot be read, or INTERNAL when the archive cannot be
// written; a config version or logs that cannot be read are left out with a warning.
absl::Status DumpRun(Context& ctx, const RunRef& ref, const std::string& file);

}  // namespace gofer::cli
