#include "dag_evaluator.h"

#include <fmt/format.h>

#include <string_view>

namespace gofer::run_queue {
namespace {

// Tasks named one by one in a run's reason; past it, "and N more" (a reason is shown to people
// and stored in a row, so it stays short).
constexpr size_t kMaxNamedTasks = 10;

// The executions in plan order; a task without an entry is pending.
std::vector<TaskExecution> InPlanOrder(const RunPlan& plan, const TaskExecutions& tasks) {
  std::vector<TaskExecution> current(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    if (const auto it = tasks.find(plan.tasks()[i].id); it != tasks.end()) {
      current[i] = it->second;
    }
  }
  return current;
}

bool ConditionHolds(Condition condition, TaskStatus parent) {
  switch (condition) {
    case Condition::kSuccess:
      return parent == TaskStatus::kSuccessful;
    case Condition::kFailure:
      return parent == TaskStatus::kFailed;
    case Condition::kAny:
      return true;
  }
  return false;
}

// How a complete parent ended, as the end of "parent 'x' ...".
std::string_view Ended(TaskStatus status) {
  switch (status) {
    case TaskStatus::kSuccessful:
      return "succeeded";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kCancelled:
      return "was cancelled";
    case TaskStatus::kSkipped:
      return "was skipped";
    case TaskStatus::kNone:
      break;
  }
  return "ended without a status";
}

std::string_view Requirement(Condition condition) {
  return condition == Condition::kFailure ? "requires it to fail" : "requires it to succeed";
}

bool ParentsComplete(const RunPlan& plan, size_t index, const std::vector<TaskExecution>& current) {
  for (size_t parent : plan.ParentsOf(index)) {
    if (current[parent].state != TaskState::kComplete) {
      return false;
    }
  }
  return true;
}

// Every unmet condition of tasks()[index] (whose parents are complete), or "" when all hold.
std::string UnmetConditions(const RunPlan& plan, size_t index,
                            const std::vector<TaskExecution>& current) {
  std::string unmet;
  const PlannedTask& task = plan.tasks()[index];
  for (size_t p = 0; p < task.parents.size(); ++p) {
    const Dependency& dep = task.parents[p];
    const TaskStatus status = current[plan.ParentsOf(index)[p]].status;
    if (!ConditionHolds(dep.condition, status)) {
      unmet += fmt::format("{}parent '{}' {}; condition '{}' {}", unmet.empty() ? "" : "; ",
                           dep.parent_id, Ended(status), ConditionName(dep.condition),
                           Requirement(dep.condition));
    }
  }
  return unmet;
}

// "'a', 'b' and 3 more" for the ids of `indices`.
std::string NameTasks(const RunPlan& plan, const std::vector<size_t>& indices,
                      const std::vector<TaskExecution>& current, bool with_reasons) {
  std::string text;
  for (size_t n = 0; n < indices.size() && n < kMaxNamedTasks; ++n) {
    const TaskExecution& task = current[indices[n]];
    text += fmt::format("{}'{}'", n == 0 ? "" : ", ", plan.tasks()[indices[n]].id);
    if (with_reasons && !task.reason.description.empty()) {
      text += fmt::format(" ({})", task.reason.description);
    }
  }
  if (indices.size() > kMaxNamedTasks) {
    text += fmt::format(" and {} more", indices.size() - kMaxNamedTasks);
  }
  return text;
}

RunOutcome OutcomeOf(const RunPlan& plan, const std::vector<TaskExecution>& current,
                     const std::optional<StatusReason>& cancellation) {
  std::vector<size_t> failed;
  std::vector<size_t> cancelled;
  for (size_t i = 0; i < current.size(); ++i) {
    if (current[i].state != TaskState::kComplete) {
      continue;
    }
    if (current[i].status == TaskStatus::kFailed) {
      failed.push_back(i);
    } else if (current[i].status == TaskStatus::kCancelled) {
      cancelled.push_back(i);
    }
  }
  if (cancellation.has_value()) {
    return {RunStatus::kCancelled, *cancellation};
  }
  if (!cancelled.empty()) {
    return {RunStatus::kCancelled,
            {ReasonKind::kCancelled,
             fmt::format("cancelled tasks: {}", NameTasks(plan, cancelled, current, false))}};
  }
  if (!failed.empty()) {
    ReasonKind kind = current[failed.front()].reason.kind;
    if (kind == ReasonKind::kNone) {
      kind = ReasonKind::kAbnormalExit;
    }
    return {RunStatus::kFailed,
            {kind, fmt::format("failed tasks: {}", NameTasks(plan, failed, current, true))}};
  }
  return {RunStatus::kSuccessful, {}};
}

}  // namespace

Evaluation Evaluate(const RunPlan& plan, const TaskExecutions& tasks,
                    const std::optional<StatusReason>& cancellation) {
  std::vector<TaskExecution> current = InPlanOrder(plan, tasks);
  Evaluation out;
  bool all_complete = true;
  // Dependency order: every parent is decided before its children, so skips cascade.
  for (size_t i = 0; i < plan.size(); ++i) {
    TaskExecution& task = current[i];
    const std::string& id = plan.tasks()[i].id;
    const bool not_started = task.state == TaskState::kPending || task.state == TaskState::kWaiting;
    if (cancellation.has_value() && not_started) {
      task = {TaskState::kComplete, TaskStatus::kCancelled, *cancellation};
      out.to_cancel.push_back({id, task.status, task.reason});
    } else if (task.state == TaskState::kPending && ParentsComplete(plan, i, current)) {
      if (std::string unmet = UnmetConditions(plan, i, current); unmet.empty()) {
        task.state = TaskState::kWaiting;
        out.to_wait.push_back(id);
      } else {
        task = {TaskState::kComplete, TaskStatus::kSkipped,
                StatusReason{ReasonKind::kDependencyNotMet, std::move(unmet)}};
        out.to_skip.push_back({id, task.status, task.reason});
      }
    }
    all_complete = all_complete && task.state == TaskState::kComplete;
  }
  if (all_complete) {
    out.run_outcome = OutcomeOf(plan, current, cancellation);
  }
  return out;
}

RunOutcome ComputeRunOutcome(const RunPlan& plan, const TaskExecutions& tasks,
                             const std::optional<StatusReason>& cancellation) {
  return OutcomeOf(plan, InPlanOrder(plan, tasks), cancellation);
}

}  // namespace gofer::run_queue
