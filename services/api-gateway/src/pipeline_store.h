// Pipelines and their config versions in Postgres. Every change appends its event in the same
// transaction. Missing parents are NOT_FOUND naming which ("namespace 'prod' not found" vs
// "pipeline 'build' not found in namespace 'prod'"). Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"
#include "gofer/v1/pipelines.pb.h"

namespace gofer::api_gateway {

struct PipelineRecord {
  std::string namespace_id;
  std::string id;
  std::string name;
  std::string description;
  bool disabled = false;
  int64_t latest_version = 0;
  std::vector<int64_t> live_versions;
  absl::Time created;
  absl::Time modified;
};

struct ConfigRecord {
  std::string namespace_id;
  std::string pipeline_id;
  int64_t version = 0;
  v1::PipelineConfig config;
  std::string hash;
  v1::ConfigState state = v1::CONFIG_STATE_UNRELEASED;
  absl::Time registered;
  std::optional<absl::Time> deprecated;
};

struct Registration {
  ConfigRecord version;
  bool unchanged = false;
  bool pipeline_created = false;
  // The latest version before this registration (empty config when there was none).
  std::optional<ConfigRecord> previous;
};

class PipelineStore {
 public:
  PipelineStore(pg::Pool& pool, const events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  // Registers the canonical `config` (with its `hash`) as the next version of its pipeline in
  // `namespace_id`, creating the pipeline on its first registration. A config whose hash equals
  // the latest version's creates nothing (unchanged).
  absl::StatusOr<Registration> Register(const std::string& namespace_id,
                                        const v1::PipelineConfig& config, const std::string& hash,
                                        const std::string& actor);

  // Version `version` (0: the latest).
  absl::StatusOr<ConfigRecord> GetConfig(const std::string& namespace_id,
                                         const std::string& pipeline_id, int64_t version);
  // Newest first, below `before_version` (0: from the newest).
  absl::StatusOr<std::vector<ConfigRecord>> ListConfigs(const std::string& namespace_id,
                                                        const std::string& pipeline_id,
                                                        int64_t before_version, int limit);
  // FAILED_PRECONDITION for a live or the latest version.
  absl::Status DeleteConfig(const std::string& namespace_id, const std::string& pipeline_id,
                            int64_t version, const std::string& actor);

  // OK when namespace `namespace_id` and its pipeline `pipeline_id` exist; NOT_FOUND with
  // reason PARENT_NOT_FOUND naming the first missing one (they are parents of what the caller
  // is about to touch, such as objects and secrets).
  absl::Status CheckExists(const std::string& namespace_id, const std::string& pipeline_id);

  absl::StatusOr<PipelineRecord> GetPipeline(const std::string& namespace_id,
                                             const std::string& id);
  // In id order after `after`.
  absl::StatusOr<std::vector<PipelineRecord>> ListPipelines(const std::string& namespace_id,
                                                            const std::string& after, int limit);
  // Enables or disables; the bool is false when it already had that state.
  absl::StatusOr<std::pair<PipelineRecord, bool>> SetDisabled(const std::string& namespace_id,
                                                              const std::string& id, bool disabled,
                                                              const std::string& actor);
  absl::Status DeletePipeline(const std::string& namespace_id, const std::string& id,
                              const std::string& actor);

 private:
  pg::Pool& pool_;
  const events::Outbox& outbox_;
};

// The JSON mapping of a config, as stored; and back.
std::string ConfigToJson(const v1::PipelineConfig& config);
absl::StatusOr<v1::PipelineConfig> ConfigFromJson(const std::string& json);

}  // namespace gofer::api_gateway
