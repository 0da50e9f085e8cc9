#include "run_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

namespace gofer::run_queue {
namespace {

using Index = std::map<std::string, size_t, std::less<>>;

// Problems of one task that do not need the whole graph: parents, timeout, retries.
void CheckTask(const PlannedTask& task, const Index& index, std::vector<std::string>& problems) {
  for (size_t i = 0; i < task.parents.size(); ++i) {
    const std::string& parent = task.parents[i].parent_id;
    if (parent == task.id) {
      problems.push_back(fmt::format("task '{}' depends on itself", task.id));
    } else if (!index.contains(parent)) {
      problems.push_back(fmt::format("task '{}' depends on unknown task '{}'", task.id, parent));
    } else if (i > 0 && task.parents[i - 1].parent_id == parent) {
      problems.push_back(fmt::format("task '{}' lists parent '{}' twice", task.id, parent));
    }
  }
  if (task.timeout <= absl::ZeroDuration()) {
    problems.push_back(fmt::format("task '{}' has a timeout that is not positive", task.id));
  }
  if (task.retry.attempts < 1 || task.retry.attempts > kMaxAttempts) {
    problems.push_back(fmt::format("task '{}' asks for {} attempts (1..{})", task.id,
                                   task.retry.attempts, kMaxAttempts));
  }
}

// Indexes the tasks by id and reports every local problem.
std::vector<std::string> CheckTasks(std::vector<PlannedTask>& tasks, Index& index) {
  std::vector<std::string> problems;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].id.empty()) {
      problems.push_back(fmt::format("task #{} has an empty id", i + 1));
    } else if (!index.emplace(tasks[i].id, i).second) {
      problems.push_back(fmt::format("task id '{}' is used more than once", tasks[i].id));
    }
  }
  for (PlannedTask& task : tasks) {
    std::stable_sort(
        task.parents.begin(), task.parents.end(),
        [](const Dependency& a, const Dependency& b) { return a.parent_id < b.parent_id; });
    CheckTask(task, index, problems);
  }
  return problems;
}

// One dependency cycle among `left` (tasks that Kahn's algorithm could not place: each has a
// parent in `left`), as "a → b → a" where → reads "depends on".
std::string DescribeCycle(const std::vector<PlannedTask>& tasks, const Index& index,
                          const std::set<std::string>& left) {
  std::vector<std::string> path;
  std::string current = *left.begin();
  while (std::find(path.begin(), path.end(), current) == path.end()) {
    path.push_back(current);
    for (const Dependency& dep : tasks[index.find(current)->second].parents) {
      if (left.contains(dep.parent_id)) {
        current = dep.parent_id;
        break;
      }
    }
  }
  const auto start = std::find(path.begin(), path.end(), current);
  std::string text;
  for (auto it = start; it != path.end(); ++it) {
    text += fmt::format("{} → ", *it);
  }
  return text + current;
}

// Kahn's algorithm, smallest ready id first. Returns input positions in dependency order, or
// fewer than tasks.size() when there is a cycle (then `cycle` describes one).
std::vector<size_t> DependencyOrder(const std::vector<PlannedTask>& tasks, const Index& index,
                                    std::string& cycle) {
  std::vector<size_t> missing(tasks.size());
  std::vector<std::vector<size_t>> children(tasks.size());
  std::set<std::string> ready;
  std::set<std::string> left;
  for (size_t i = 0; i < tasks.size(); ++i) {
    missing[i] = tasks[i].parents.size();
    for (const Dependency& dep : tasks[i].parents) {
      children[index.find(dep.parent_id)->second].push_back(i);
    }
    (missing[i] == 0 ? ready : left).insert(tasks[i].id);
  }
  std::vector<size_t> order;
  while (!ready.empty()) {
    const size_t i = index.find(*ready.begin())->second;
    ready.erase(ready.begin());
    order.push_back(i);
    for (size_t child : children[i]) {
      if (--missing[child] == 0) {
        left.erase(tasks[child].id);
        ready.insert(tasks[child].id);
      }
    }
  }
  if (!left.empty()) {
    cycle = DescribeCycle(tasks, index, left);
  }
  return order;
}

absl::Status InvalidSnapshot(const std::vector<std::string>& problems) {
  std::string message = "invalid run snapshot: ";
  for (size_t i = 0; i < problems.size(); ++i) {
    message += (i == 0 ? "" : "; ") + problems[i];
  }
  return absl::FailedPreconditionError(message);
}

}  // namespace

absl::StatusOr<RunPlan> RunPlan::Create(std::vector<PlannedTask> tasks,
                                        absl::Duration run_timeout) {
  if (tasks.empty()) {
    return InvalidSnapshot({"the pipeline has no tasks"});
  }
  Index input_index;
  std::vector<std::string> problems = CheckTasks(tasks, input_index);
  if (run_timeout <= absl::ZeroDuration()) {
    problems.push_back("the run timeout is not positive");
  }
  if (!problems.empty()) {
    return InvalidSnapshot(problems);
  }
  std::string cycle;
  const std::vector<size_t> order = DependencyOrder(tasks, input_index, cycle);
  if (order.size() < tasks.size()) {
    return InvalidSnapshot({fmt::format("tasks depend on each other in a cycle: {}", cycle)});
  }
  RunPlan plan;
  plan.run_timeout_ = run_timeout;
  for (size_t i : order) {
    plan.index_.emplace(tasks[i].id, plan.tasks_.size());
    plan.tasks_.push_back(std::move(tasks[i]));
  }
  plan.parents_.resize(plan.tasks_.size());
  plan.children_.resize(plan.tasks_.size());
  for (size_t i = 0; i < plan.tasks_.size(); ++i) {
    for (const Dependency& dep : plan.tasks_[i].parents) {
      const size_t parent = plan.index_.find(dep.parent_id)->second;
      plan.parents_[i].push_back(parent);
      plan.children_[parent].push_back(i);  // i ascends, so children stay sorted
    }
  }
  return plan;
}

size_t RunPlan::IndexOf(std::string_view id) const {
  const auto it = index_.find(id);
  return it == index_.end() ? tasks_.size() : it->second;
}

const PlannedTask* RunPlan::Find(std::string_view id) const {
  const size_t i = IndexOf(id);
  return i == tasks_.size() ? nullptr : &tasks_[i];
}

std::string_view ConditionName(Condition condition) {
  switch (condition) {
    case Condition::kSuccess:
      return "success";
    case Condition::kFailure:
      return "failure";
    case Condition::kAny:
      return "any";
  }
  return "unknown";
}

RunOutcome InvalidSnapshotOutcome(const absl::Status& error) {
  return RunOutcome{RunStatus::kFailed,
                    StatusReason{ReasonKind::kFailedPrecondition, std::string(error.message())}};
}

}  // namespace gofer::run_queue
