// Automatic rollback of canary deployments (F-DEP-1): while a canary runs, the gateway looks at
// the finished runs of its target version; once at least `min_runs` finished, a failure rate
// above `max_failure_percent` rolls the deployment back, recording why.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "deployment_store.h"
#include "gofer/rpc/channel.h"

namespace gofer::api_gateway {

// How the canary's target version did: runs of that version that finished since the
// deployment started, and how many of them failed.
struct CanaryResults {
  int finished = 0;
  int failed = 0;
};

// The reason to roll back, or nullopt to keep going: rolls back once at least
// max(min_runs, 1) runs finished and failed × 100 > max_failure_percent × finished. A
// max_failure_percent of 0 or less turns automatic rollback off.
std::optional<std::string> CanaryRollbackReason(const CanarySettings& settings,
                                                const CanaryResults& results);

// One check of every running canary: reads its target's runs from the run-queue and rolls it
// back when CanaryRollbackReason says so. Returns the first error (the others are still
// checked).
absl::Status CheckCanaries(DeploymentStore& deployments, const rpc::Client& run_queue);

}  // namespace gofer::api_gateway
