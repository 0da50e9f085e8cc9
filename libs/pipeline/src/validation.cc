#include "gofer/pipeline/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_join.h"
#include "checks.h"
#include "gofer/common/errors.h"
#include "gofer/common/validation.h"
#include "gofer/pipeline/dag.h"

namespace gofer::pipeline {
namespace {

using gofer::v1::PipelineConfig;
using gofer::v1::Task;

// The field path of each task: "config.tasks[<id>]" when the id is a valid identifier used
// once, "config.tasks[<index>]" otherwise. Also maps each id to its first task's path.
struct TaskPaths {
  std::vector<std::string> by_index;
  std::map<std::string, std::string> by_id;
};

TaskPaths NameTasks(const PipelineConfig& config) {
  std::map<std::string, int> uses;
  for (const Task& task : config.tasks()) {
    ++uses[task.id()];
  }
  TaskPaths paths;
  for (int i = 0; i < config.tasks_size(); ++i) {
    const std::string& id = config.tasks(i).id();
    const bool named = uses[id] == 1 && !IdentifierViolation(id).has_value();
    paths.by_index.push_back(named ? fmt::format("config.tasks[{}]", id)
                                   : fmt::format("config.tasks[{}]", i));
    paths.by_id.emplace(id, paths.by_index.back());
  }
  return paths;
}

void CheckPipelineFields(const PipelineConfig& config, const ValidationLimits& limits,
                         Violations& v) {
  v.CheckIdentifier("config.id", config.id());
  internal::CheckLength("config.name", config.name(), limits.max_name_length, v);
  internal::CheckLength("config.description", config.description(), limits.max_description_length,
                        v);
  if (config.parallelism() < 0) {
    v.Add("config.parallelism",
          fmt::format("must not be negative (got {}); 0 means unlimited", config.parallelism()));
  }
  if (config.has_run_timeout()) {
    internal::CheckDuration("config.run_timeout", config.run_timeout(), limits.max_run_timeout, v);
  }
  if (config.tasks_size() == 0) {
    v.Add("config.tasks", "at least one task is required");
  } else if (config.tasks_size() > limits.max_tasks) {
    v.Add("config.tasks", fmt::format("at most {} tasks are allowed (got {})", limits.max_tasks,
                                      config.tasks_size()));
  }
  if (const size_t size = config.ByteSizeLong(); size > limits.max_config_bytes) {
    v.Add("config", fmt::format("is {} bytes serialized; the limit is {} bytes", size,
                                limits.max_config_bytes));
  }
}

void CheckDependencies(const Task& task, const std::string& path, const TaskPaths& paths,
                       Violations& v) {
  std::vector<std::pair<std::string, int>> parents;
  for (const auto& [parent, condition] : task.depends_on()) {
    parents.emplace_back(parent, condition);
  }
  std::sort(parents.begin(), parents.end());
  for (const auto& [parent, condition] : parents) {
    const std::string field = fmt::format("{}.depends_on[{}]", path, parent);
    if (parent == task.id()) {
      v.Add(field, "a task cannot depend on itself");
    } else if (!paths.by_id.contains(parent)) {
      v.Add(field, fmt::format("depends on unknown task \"{}\"", parent));
    }
    if (condition == gofer::v1::DEPENDENCY_CONDITION_UNSPECIFIED) {
      v.Add(field, "a condition is required: success, failure or any");
    } else if (!gofer::v1::DependencyCondition_IsValid(condition)) {
      v.Add(field, fmt::format("unknown condition {}", condition));
    }
  }
}

void CheckTask(const PipelineConfig& config, int i, const TaskPaths& paths,
               const ValidationLimits& limits, Violations& v) {
  const Task& task = config.tasks(i);
  const std::string& path = paths.by_index[i];
  v.CheckIdentifier(path + ".id", task.id());
  if (const std::string& first = paths.by_id.at(task.id()); first != path && !task.id().empty()) {
    v.Add(path + ".id",
          fmt::format("duplicate task id \"{}\" (first used by {})", task.id(), first));
  }
  internal::CheckTaskFields(task, path, limits, v);
  CheckDependencies(task, path, paths, v);
}

void CheckCycles(const PipelineConfig& config, const TaskPaths& paths, Violations& v) {
  for (const std::vector<std::string>& cycle : FindCycles(config)) {
    v.Add(fmt::format("{}.depends_on[{}]", paths.by_id.at(cycle[0]), cycle[1]),
          fmt::format("dependency cycle: {} (each task depends on the next)",
                      absl::StrJoin(cycle, " → ")));
  }
}

}  // namespace

absl::Status ValidateConfig(const PipelineConfig& config, const ValidationLimits& limits) {
  Violations v;
  CheckPipelineFields(config, limits, v);
  const TaskPaths paths = NameTasks(config);
  for (int i = 0; i < config.tasks_size(); ++i) {
    CheckTask(config, i, paths, limits, v);
  }
  CheckCycles(config, paths, v);
  return internal::LimitedStatus(v, limits.max_violations, "config");
}

}  // namespace gofer::pipeline
