// Server-side validation of pipeline configs (F-CFG-2): every rule a config must satisfy before
// it is registered, reported all at once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gofer/v1/pipelines.pb.h"

namespace gofer::pipeline {

// Limits on a config's size and values. The defaults suit a shared installation; operators set
// the timeouts to their global maxima (F-RUN-4).
struct ValidationLimits {
  // Tasks in one config.
  int max_tasks = 1000;
  // The config's serialized protobuf size (the stored form), 1 MiB.
  size_t max_config_bytes = size_t{1} << 20;
  // Pipeline name.
  size_t max_name_length = 128;
  // Pipeline and task descriptions.
  size_t max_description_length = 4096;
  // Image references, working directories and registry user names.
  size_t max_short_string_length = 1024;
  // Variables of one task.
  int max_variables_per_task = 200;
  // A variable name.
  size_t max_variable_name_length = 256;
  // One argument given to the container: a variable value, the script, or one entrypoint or
  // command element. 64 KiB keeps each well under Linux's 128 KiB limit per argument or
  // environment string (MAX_ARG_STRLEN).
  size_t max_argument_bytes = size_t{64} << 10;
  // resources.cpu: 64 cores.
  int64_t max_cpu_millis = 64'000;
  // resources.memory: 256 GiB.
  int64_t max_memory_bytes = int64_t{256} << 30;
  // retries.attempts.
  int max_retry_attempts = 10;
  // A task's timeout.
  absl::Duration max_task_timeout = absl::Hours(24);
  // The pipeline's run_timeout.
  absl::Duration max_run_timeout = absl::Hours(24);
  // Violations reported in one status. Past it the list ends with one violation of field
  // "config" saying how many more there are: a status travels in gRPC trailers, which are
  // limited in size.
  // 50 keeps the error (message plus BadRequest details) well under gRPC's default 8 KiB
  // limit on trailing metadata.
  size_t max_violations = 50;
};

// Checks `config` against every rule and `limits`.
//
// Returns OK, or one INVALID_ARGUMENT (gofer::InvalidArgumentError) listing every violation
// (up to limits.max_violations) with its field path: "config.id", "config.tasks[build].image",
// "config.tasks[build].depends_on[test]", "config.tasks[build].variables[FOO]". A task is
// named by its id when the id is a valid identifier used once, otherwise by its index
// ("config.tasks[2].image"); valid ids start with a letter, so the two never collide.
//
// Rules (docs/pipelines.md has the reference):
//   - config.id and every task id follow gofer::IdentifierViolation; task ids are unique;
//   - at least one task, at most max_tasks; the serialized config is at most max_config_bytes;
//   - name, descriptions and short strings within their limits; parallelism ≥ 0;
//   - depends_on: every parent exists, no task depends on itself, no cycle (reported once per
//     strongly connected group as "a → b → c → a", where → reads "depends on"), every
//     condition is SUCCESS, FAILURE or ANY;
//   - image is set and has no whitespace; script excludes entrypoint and command;
//     working_dir, when set, is an absolute path;
//   - variable names match [A-Za-z_][A-Za-z0-9_]*, do not start with GOFER_ (any case;
//     reserved for the variables Gofer sets), at most max_variables_per_task; values are
//     literals or well-formed interpolations (ParseInterpolation);
//   - registry_auth, when set, has a username and a password_secret of the form
//     pipeline_secret{{key}} or global_secret{{key}};
//   - resources.cpu and resources.memory, when set, parse (ParseCpuMillis, ParseMemoryBytes),
//     are > 0 and within max_cpu_millis / max_memory_bytes;
//   - retries.attempts in 0..max_retry_attempts, retries.on a known value;
//   - timeout and run_timeout are valid durations, ≥ 0 and within their maxima.
// Thread-safe.
absl::Status ValidateConfig(const gofer::v1::PipelineConfig& config,
                            const ValidationLimits& limits = {});

}  // namespace gofer::pipeline
