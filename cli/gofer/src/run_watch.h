// `gofer run watch` (and `run start --watch`): follows a run until it completes by polling
// GetRun and ListTaskExecutions, then prints a summary. On a terminal the view is redrawn in
// place with every task's state and the last lines of its log; otherwise one line is appended
// per state change, so the output reads well in CI logs and files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "context.h"
#include "gofer/v1/runs.pb.h"
#include "run_client.h"

namespace gofer::cli {

// Log lines shown under each task in the live view.
inline constexpr int kTailLines = 3;

// The live view's lines: a header with the run's state and duration, then per task its state,
// exit code and duration, with the last lines of its log (`tails`, by task id) indented below.
// Every line is cut to `width` visible columns so the terminal never wraps it (which would
// break the redraw). Pure.
std::vector<std::string> RenderLiveView(
    const gofer::v1::Run& run, const std::vector<gofer::v1::TaskExecution>& tasks,
    const std::map<std::string, std::vector<std::string>>& tails, int width, bool colour,
    absl::Time now);

// What a task (or, under the key "", the run) was last seen as: its word and attempt.
using SeenStates = std::map<std::string, std::string>;

// The lines to append for what changed since `seen` ("12:00:03 build: running", "12:00:05
// build: failed, exit 3 (abnormal exit: ...)"), updating `seen`. The first call reports every
// task. `clock` is the time of day printed at the start of each line. Pure.
std::vector<std::string> StateChangeLines(const gofer::v1::Run& run,
                                          const std::vector<gofer::v1::TaskExecution>& tasks,
                                          const std::string& clock, SeenStates& seen);

// Follows the run until it is complete and prints its summary (with -o json|yaml: nothing while
// following, then the final run). Returns RunOutcome of the final run: OK only when it
// succeeded. Fails with the server's status when a poll fails.
absl::Status WatchRun(Context& ctx, const RunRef& ref);

}  // namespace gofer::cli
