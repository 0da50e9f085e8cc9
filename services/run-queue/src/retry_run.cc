#include "retry_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace gofer::run_queue {

absl::StatusOr<std::vector<RetryRunTask>> PlanRetryRun(const RunPlan& plan,
                                                       const TaskExecutions& finished,
                                                       RetryMode mode) {
  std::vector<bool> again(plan.size(), mode == RetryMode::kAll);
  for (size_t i = 0; i < plan.size(); ++i) {
    const std::string& id = plan.tasks()[i].id;
    const auto it = finished.find(id);
    if (it == finished.end() || it->second.state != TaskState::kComplete) {
      return absl::FailedPreconditionError(
          fmt::format("the run is not finished: task '{}' is {}", id,
                      it == finished.end() ? "missing" : TaskStateName(it->second.state)));
    }
    if (it->second.status != TaskStatus::kSuccessful) {
      again[i] = true;
    }
    // Dependency order: the parents' verdicts are final, so a rerun propagates downstream.
    for (size_t parent : plan.ParentsOf(i)) {
      again[i] = again[i] || again[parent];
    }
  }
  if (std::find(again.begin(), again.end(), true) == again.end()) {
    return absl::FailedPreconditionError("every task succeeded: there is nothing to retry");
  }
  std::vector<RetryRunTask> out;
  out.reserve(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    RetryRunTask task{plan.tasks()[i].id, TaskExecution{}, !again[i]};
    if (task.reused) {
      task.initial = finished.find(task.task_id)->second;  // complete/successful, attempts kept
      task.initial.stop_reason.reset();
    }
    out.push_back(std::move(task));
  }
  return out;
}

}  // namespace gofer::run_queue
