#include "timeouts.h"

#include <fmt/format.h>

#include <algorithm>

#include "gofer/common/fmt_absl.h"

namespace gofer::run_queue {
namespace {

// The effective limit and how to describe it: the own limit, unless the global one is smaller.
struct Limit {
  absl::Duration value;
  std::string description;
};

Limit EffectiveLimit(std::string_view what, absl::Duration own, absl::Duration global_max) {
  if (global_max < own) {
    return {global_max, fmt::format("{} exceeded the global maximum of {}", what, global_max)};
  }
  return {own, fmt::format("{} exceeded its timeout of {}", what, own)};
}

void NoteDeadline(absl::Time deadline, absl::Time now, std::optional<absl::Time>& next) {
  if (deadline > now && deadline != absl::InfiniteFuture() &&
      (!next.has_value() || deadline < *next)) {
    next = deadline;
  }
}

}  // namespace

TimeoutCheck FindTimeouts(const RunPlan& plan, RunState run_state,
                          std::optional<absl::Time> run_started, const TaskExecutions& tasks,
                          absl::Duration global_max, absl::Time now) {
  TimeoutCheck out;
  if (run_state != RunState::kRunning || !run_started.has_value()) {
    return out;
  }
  const Limit run_limit = EffectiveLimit("run", plan.run_timeout(), global_max);
  const absl::Time run_deadline = *run_started + run_limit.value;
  if (now >= run_deadline) {
    out.run = StatusReason{ReasonKind::kTimeout, run_limit.description};
  } else {
    NoteDeadline(run_deadline, now, out.next_deadline);
  }
  for (const PlannedTask& planned : plan.tasks()) {
    const auto it = tasks.find(planned.id);
    if (it == tasks.end()) {
      continue;
    }
    const TaskExecution& task = it->second;
    if (!IsActive(task.state) || !task.started.has_value() || task.stop_reason.has_value()) {
      continue;
    }
    const Limit limit = EffectiveLimit("task", planned.timeout, global_max);
    const absl::Time deadline = *task.started + limit.value;
    if (now >= deadline) {
      out.tasks.push_back({planned.id, StatusReason{ReasonKind::kTimeout, limit.description}});
    } else {
      NoteDeadline(deadline, now, out.next_deadline);
    }
  }
  return out;
}

}  // namespace gofer::run_queue
