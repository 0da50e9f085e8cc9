// How runs and task executions read for people: one word for where each stands, durations,
// reasons, and the task table that `run get`, `task list` and the watch summary print.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gofer/v1/runs.pb.h"

namespace gofer::cli {

// "pending" or "running" while the run is unfinished, then its status: "successful", "failed"
// or "cancelled".
std::string RunWord(const gofer::v1::Run& run);

// "pending", "waiting", "starting" or "running" while the task is unfinished, then its status:
// "successful", "failed", "cancelled" or "skipped".
std::string TaskWord(const gofer::v1::TaskExecution& task);

// A span for people: "850ms", "4.2s", "3m04s", "1h02m". Zero and negative spans print as "0s".
std::string HumanDuration(absl::Duration d);

// The span from `from` to `to` ("4.2s"); "-" unless both are set.
std::string Between(const google::protobuf::Timestamp& from, const google::protobuf::Timestamp& to);

// How long the task's current attempt ran: started → exited, started → `now` while it runs,
// and "-" before it started.
std::string TaskDuration(const gofer::v1::TaskExecution& task, absl::Time now);

// How long the run took: started → ended, started → `now` while it runs, "-" while pending.
std::string RunDuration(const gofer::v1::Run& run, absl::Time now);

// "abnormal exit: exited with code 3": the reason's kind and description ("" when none); the
// kind is left out when the description starts with it ("cancelled by alice").
std::string ReasonText(const gofer::v1::StatusReason& reason);

// "human alice (nightly)": the initiator's kind, name and reason.
std::string InitiatorText(const gofer::v1::Initiator& initiator);

// Writes the table of `tasks`: TASK, STATE, EXIT, ATTEMPT, DURATION, REASON (a failing task's
// reason in full). `colour` paints the state words.
void PrintTaskTable(std::ostream& out, const std::vector<gofer::v1::TaskExecution>& tasks,
                    bool colour, absl::Time now);

// Writes what a finished run came to: a line with the run's outcome and duration (and its
// reason when it did not succeed), then the task table.
void PrintRunSummary(std::ostream& out, const gofer::v1::Run& run,
                     const std::vector<gofer::v1::TaskExecution>& tasks, bool colour,
                     absl::Time now);

// OK when the run succeeded; otherwise ABORTED saying how it ended ("run 3 of 'build' failed:
// ..."), which makes `gofer` exit 1.
absl::Status RunOutcome(const gofer::v1::Run& run);

}  // namespace gofer::cli
