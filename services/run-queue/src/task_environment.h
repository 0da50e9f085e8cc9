// The environment of a task attempt (F-RUN-8): GOFER_* system variables, the task's variables,
// then the run's variables (which win), with interpolations — pipeline_secret{{k}},
// global_secret{{k}}, pipeline_object{{k}}, run_object{{k}} — resolved when the attempt starts.
// The secret values resolved are returned too, so the task's logs can be redacted (F-LOG-2).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gofer/pipeline/interpolation.h"
#include "run_records.h"

namespace gofer::run_queue {

// Resolves interpolations against the secret-store and object-store (grpc_resolver.h), or a
// fake in tests.
class Resolver {
 public:
  virtual ~Resolver() = default;

  // The values of `secrets` (each kPipelineSecret or kGlobalSecret), in order. Missing or
  // forbidden secrets fail with the store's error (NOT_FOUND, PERMISSION_DENIED) naming them.
  virtual absl::StatusOr<std::vector<std::string>> ResolveSecrets(
      const RunRecord& run, const std::vector<pipeline::Interpolation>& secrets) = 0;

  // The content of a pipeline or run object (kind kPipelineObject or kRunObject), at most
  // `max_bytes` (larger: FAILED_PRECONDITION).
  virtual absl::StatusOr<std::string> ReadObject(const RunRecord& run,
                                                 const pipeline::Interpolation& object,
                                                 size_t max_bytes) = 0;
};

struct TaskEnvironment {
  // Variables in the order the container gets them; each key once.
  std::vector<std::pair<std::string, std::string>> env;
  // The secret values given to the task (to redact from its logs), longest first.
  std::vector<std::string> secret_values;
};

// The largest object an interpolation may put into an environment variable.
inline constexpr size_t kMaxObjectVariableBytes = 64 * 1024;

// Builds the environment of `task` (from the run's config) for `attempt`. Fails with
// FAILED_PRECONDITION naming every variable whose interpolation could not be resolved ("variable
// DB_PASSWORD: secret pipeline:db/password not found"); the attempt then fails with reason
// failed_precondition and is not retried.
absl::StatusOr<TaskEnvironment> BuildTaskEnvironment(const RunRecord& run,
                                                     const gofer::v1::Task& task, int attempt,
                                                     const std::string& api_url,
                                                     Resolver& resolver);

// Replaces every occurrence of each of `secrets` (longest first) in `text` with "[redacted]".
// Empty secrets are ignored.
std::string Redact(std::string text, const std::vector<std::string>& secrets);

}  // namespace gofer::run_queue
