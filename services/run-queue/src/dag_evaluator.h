// DAG evaluation (F-RUN-2): from a run's plan and the current state of its task executions, the
// next decisions — which tasks may be dispatched, which are skipped, which are cancelled — and
// whether the run is complete and how. Pure and deterministic: the orchestrator applies and
// persists the decisions, then evaluates again after every change, until the run is complete.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "run_plan.h"
#include "states.h"

namespace gofer::run_queue {

// The decisions of one evaluation. Each list is in plan order (RunPlan::tasks()).
struct Evaluation {
  // pending → waiting: every parent is complete and every condition holds. The orchestrator
  // dispatches them (waiting → starting), in parallel.
  std::vector<std::string> to_wait;
  // pending → complete/skipped with reason kDependencyNotMet: every parent is complete and at
  // least one condition does not hold. Includes the skips these skips cause downstream.
  std::vector<TaskCompletion> to_skip;
  // pending|waiting → complete/cancelled, because the run is being cancelled.
  std::vector<TaskCompletion> to_cancel;
  // Set when every task is complete once the decisions above are applied: the run completes
  // (running → complete) with this outcome.
  std::optional<RunOutcome> run_outcome;

  // True when there is no task decision to apply (run_outcome may still be set).
  bool NoTaskDecisions() const { return to_wait.empty() && to_skip.empty() && to_cancel.empty(); }
};

// Evaluates the run once. `tasks` holds the execution of each task of `plan` by id (a task
// without an entry counts as pending; entries for ids not in the plan are ignored).
// `cancellation` is set once a cancellation of the whole run was requested (by a person, a
// program, or the run/global timeout: its kind is kCancelled or kTimeout, and it becomes the
// run's reason).
//
// Semantics (docs/run-queue.md, "States and DAG semantics"):
//   - a pending task whose parents are all complete is marked waiting when every condition
//     holds — success: the parent succeeded; failure: the parent failed; any: the parent is
//     complete whatever its status (successful, failed, skipped or cancelled) — and skipped
//     otherwise, the reason naming each unmet parent and its condition;
//   - skips propagate: the tasks are visited in dependency order and each decision counts for
//     the tasks after it, so a whole chain of skips comes out of one call;
//   - with `cancellation`, pending and waiting tasks are cancelled instead (reason: the
//     cancellation's), active ones (starting/running) are left to be stopped (run_state_machine.h);
//   - the run is complete when no task is left incomplete: see ComputeRunOutcome.
// Applying the decisions and evaluating again without other changes yields no decision: the
// evaluation is idempotent. Never fails. Thread-safe.
Evaluation Evaluate(const RunPlan& plan, const TaskExecutions& tasks,
                    const std::optional<StatusReason>& cancellation = std::nullopt);

// The outcome of a run whose tasks are all complete (incomplete ones are ignored):
//   - cancelled when `cancellation` is set (reason: the cancellation) or any task was cancelled
//     (reason kCancelled naming the tasks);
//   - else failed when any task failed, the reason naming each failed task with its reason, of
//     the kind of the first failed task in plan order (the most upstream failure);
//   - else successful (skipped tasks included), with no reason.
// Thread-safe.
RunOutcome ComputeRunOutcome(const RunPlan& plan, const TaskExecutions& tasks,
                             const std::optional<StatusReason>& cancellation);

}  // namespace gofer::run_queue
