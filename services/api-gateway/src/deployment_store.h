// Deployments in Postgres: moving a pipeline's live version(s), immediately or as a canary,
// each step recorded in the deployment and as an event. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"
#include "gofer/v1/deployments.pb.h"

namespace gofer::api_gateway {

struct DeploymentStep {
  absl::Time time;
  std::string kind;
  std::string description;
};

struct CanarySettings {
  int weight_percent = 0;
  int min_runs = 0;
  int max_failure_percent = 0;
};

struct DeploymentRecord {
  std::string namespace_id;
  std::string pipeline_id;
  int64_t id = 0;
  v1::DeploymentType type = v1::DEPLOYMENT_TYPE_IMMEDIATE;
  int64_t start_version = 0;
  int64_t end_version = 0;
  v1::DeploymentState state = v1::DEPLOYMENT_STATE_RUNNING;
  v1::DeploymentStatus status = v1::DEPLOYMENT_STATUS_UNSPECIFIED;
  std::optional<CanarySettings> canary;
  std::vector<DeploymentStep> steps;
  absl::Time started;
  std::optional<absl::Time> ended;
};

class DeploymentStore {
 public:
  DeploymentStore(pg::Pool& pool, const events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  // Deploys `version`. IMMEDIATE: it becomes the only live version (FAILED_PRECONDITION when
  // it already is). CANARY: it becomes live beside the current live version with `canary`'s
  // weight (FAILED_PRECONDITION when nothing is live yet). FAILED_PRECONDITION while another
  // deployment runs.
  absl::StatusOr<DeploymentRecord> Deploy(const std::string& namespace_id,
                                          const std::string& pipeline_id, int64_t version,
                                          v1::DeploymentType type,
                                          const std::optional<CanarySettings>& canary,
                                          const std::string& actor);
  // Ends a running canary: the target becomes the only live version.
  absl::StatusOr<DeploymentRecord> Promote(const std::string& namespace_id,
                                           const std::string& pipeline_id, int64_t id,
                                           const std::string& actor);
  // Ends a running canary: the start version stays the only live version.
  absl::StatusOr<DeploymentRecord> Rollback(const std::string& namespace_id,
                                            const std::string& pipeline_id, int64_t id,
                                            const std::string& reason, const std::string& actor);
  absl::StatusOr<DeploymentRecord> Get(const std::string& namespace_id,
                                       const std::string& pipeline_id, int64_t id);
  // Every running canary deployment, of every pipeline.
  absl::StatusOr<std::vector<DeploymentRecord>> ListRunningCanaries();
  // Newest first, below `before_id` (0: from the newest).
  absl::StatusOr<std::vector<DeploymentRecord>> List(const std::string& namespace_id,
                                                     const std::string& pipeline_id,
                                                     int64_t before_id, int limit);

 private:
  absl::StatusOr<DeploymentRecord> Finish(const std::string& namespace_id,
                                          const std::string& pipeline_id, int64_t id, bool promote,
                                          const std::string& reason, const std::string& actor);

  pg::Pool& pool_;
  const events::Outbox& outbox_;
};

}  // namespace gofer::api_gateway
