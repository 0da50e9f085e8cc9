// `gofer run timeline`: a text Gantt chart of a run's tasks on one time axis — queued (queued →
// leased), starting (leased → started) and running (started → exited) — with the critical path
// marked.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "context.h"
#include "gofer/v1/pipelines.pb.h"
#include "gofer/v1/runs.pb.h"
#include "run_client.h"

namespace gofer::cli {

// The ids of the tasks on the critical path: the last task to finish, then, walking back, the
// parent (per `config`'s depends_on) of each that finished last. Tasks that never exited are not
// on it. Empty when no task finished. Pure.
std::set<std::string> CriticalPath(const std::vector<gofer::v1::TaskExecution>& tasks,
                                   const gofer::v1::PipelineConfig& config);

// The chart `width` columns wide: an axis line with tick labels, one row per task (marked '*'
// when in `critical`) with its bars and running time, and a legend. Phases still in progress
// end at `now`. Pure.
std::vector<std::string> RenderTimeline(const std::vector<gofer::v1::TaskExecution>& tasks,
                                        const std::set<std::string>& critical, int width,
                                        bool colour, absl::Time now);

// Prints the chart of the run (80 columns when stdout is not a terminal), reading its config
// version for the dependencies; when that version cannot be read, the chart is printed without
// a critical path and a line says why. With -o json|yaml, prints the task executions instead.
absl::Status PrintTimeline(Context& ctx, const RunRef& ref);

}  // namespace gofer::cli
