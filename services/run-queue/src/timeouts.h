// Timeouts (F-RUN-4): which active tasks and which run have outlived their limits at a given
// instant. Pure: `now` is passed in (the orchestrator reads its injected Clock), never read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "run_plan.h"
#include "states.h"

namespace gofer::run_queue {

// A task whose current attempt outlived its limit.
struct TimedOutTask {
  std::string task_id;
  // Kind kTimeout; the description names the limit ("task exceeded its timeout of 10m").
  StatusReason reason;

  friend bool operator==(const TimedOutTask&, const TimedOutTask&) = default;
};

// What FindTimeouts found.
struct TimeoutCheck {
  // Active tasks past their limit, in plan order. The orchestrator sets their stop_reason to
  // `reason` and stops them (grace as for a cancellation); each attempt ends as a timeout
  // (failed/timeout, never retried).
  std::vector<TimedOutTask> tasks;
  // Set when the run is past its limit: kind kTimeout. The orchestrator cancels the run with this
  // reason (PlanRunCancellation), so it ends cancelled/timeout.
  std::optional<StatusReason> run;
  // The earliest limit still ahead of `now`, if any: when to check again.
  std::optional<absl::Time> next_deadline;
};

// Finds the timeouts of a run at `now`.
//
// Limits: a task attempt may take min(its timeout, global_max) counted from `started` (when the
// attempt entered starting, so image pulls count); the run may take min(the plan's run_timeout,
// global_max) counted from `run_started` (admission: pending → running; time queued for
// admission does not count). `global_max` is the operator's maximum (InfiniteDuration: none).
// A limit is reached when now ≥ start + limit. Only a running run is checked (`run_started` set);
// only active tasks (starting, running) with `started` set and no stop requested yet (a task
// already being stopped is not reported twice). Never fails. Thread-safe.
TimeoutCheck FindTimeouts(const RunPlan& plan, RunState run_state,
                          std::optional<absl::Time> run_started, const TaskExecutions& tasks,
                          absl::Duration global_max, absl::Time now);

}  // namespace gofer::run_queue
