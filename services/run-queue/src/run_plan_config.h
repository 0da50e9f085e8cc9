// The edge between the public config (gofer.v1.PipelineConfig, the run's snapshot) and the
// run-queue's domain plan. The only file of the decision logic that sees proto types.
#pragma once

#include "absl/status/statusor.h"
#include "gofer/v1/pipelines.pb.h"
#include "run_plan.h"

namespace gofer::run_queue {

// Converts a run's config snapshot into its plan (RunPlan::Create does the checks).
//
// Mapping: depends_on → parents (SUCCESS/FAILURE/ANY); a zero or unset task timeout or
// run_timeout → no limit (absl::InfiniteDuration()); retries.attempts 0 → kDefaultAttempts;
// retries.on UNSPECIFIED → kInfrastructure. Fails with FAILED_PRECONDITION, the message starting
// "invalid run snapshot: " and naming every problem, when a condition is UNSPECIFIED or unknown,
// retries.on is unknown, or RunPlan::Create rejects the tasks (no tasks, duplicate ids, unknown
// parent, cycle, negative timeout, attempts beyond kMaxAttempts). Such a run must be completed
// with InvalidSnapshotOutcome(status). Thread-safe.
absl::StatusOr<RunPlan> FromConfig(const gofer::v1::PipelineConfig& config);

}  // namespace gofer::run_queue
