// Test support for the run-queue's decision logic: building plans and task executions tersely,
// and a RandomSource that returns what the test says.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "retry_policy.h"
#include "run_plan.h"
#include "states.h"

namespace gofer::run_queue::testing {

// A task with the given parents (all other fields at their defaults).
inline PlannedTask Task(std::string id, std::vector<Dependency> parents = {}) {
  PlannedTask task;
  task.id = std::move(id);
  task.parents = std::move(parents);
  return task;
}

// Shorthands for dependencies.
inline Dependency OnSuccess(std::string parent) { return {std::move(parent), Condition::kSuccess}; }
inline Dependency OnFailure(std::string parent) { return {std::move(parent), Condition::kFailure}; }
inline Dependency OnAny(std::string parent) { return {std::move(parent), Condition::kAny}; }

// A plan that must be valid (the test fails otherwise).
inline RunPlan MustPlan(std::vector<PlannedTask> tasks,
                        absl::Duration run_timeout = absl::InfiniteDuration()) {
  absl::StatusOr<RunPlan> plan = RunPlan::Create(std::move(tasks), run_timeout);
  INFO(plan.status().ToString());
  REQUIRE(plan.ok());
  return *std::move(plan);
}

// Task executions in a given state.
inline TaskExecution InState(TaskState state) {
  TaskExecution task;
  task.state = state;
  return task;
}

inline TaskExecution Done(TaskStatus status, ReasonKind kind = ReasonKind::kNone,
                          std::string description = "") {
  TaskExecution task;
  task.state = TaskState::kComplete;
  task.status = status;
  task.reason = {kind, std::move(description)};
  return task;
}

// Every task of `plan` pending.
inline TaskExecutions AllPending(const RunPlan& plan) {
  TaskExecutions tasks;
  for (const PlannedTask& task : plan.tasks()) {
    tasks[task.id] = TaskExecution{};
  }
  return tasks;
}

// A RandomSource returning a fixed number.
class FixedRandomSource final : public RandomSource {
 public:
  explicit FixedRandomSource(double value) : value_(value) {}
  double NextUnit() override { return value_; }

 private:
  double value_;
};

}  // namespace gofer::run_queue::testing
