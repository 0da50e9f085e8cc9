// Interpolations: variable values that name a secret or an object, resolved when a task starts
// (F-RUN-8). Validation checks their syntax at registration; the run-queue resolves them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gofer::pipeline {

// One reference to a secret or an object in a variable value.
struct Interpolation {
  // Where the value comes from.
  enum class Kind {
    kPipelineSecret,  // pipeline_secret{{key}}: a secret of the task's pipeline.
    kGlobalSecret,    // global_secret{{key}}: a global secret the namespace may read.
    kPipelineObject,  // pipeline_object{{key}}: an object of the task's pipeline.
    kRunObject,       // run_object{{key}}: an object of the task's run.
  };
  Kind kind;
  // The secret or object key (valid per gofer::KeyViolation).
  std::string key;

  friend bool operator==(const Interpolation&, const Interpolation&) = default;
};

// The spelling of `kind` in a config: "pipeline_secret", "global_secret", "pipeline_object" or
// "run_object".
std::string_view InterpolationKindName(Interpolation::Kind kind);

// Parses a variable value.
//
// A value is an interpolation when, with surrounding whitespace trimmed, it is exactly
// `<kind>{{<key>}}`: kind one of the four names above (case-insensitive), the key optionally
// padded with spaces inside the braces ("pipeline_secret{{ db/password }}"). The whole value
// is replaced by the secret or object when the task starts; interpolations are not embedded in
// longer text.
//
// Returns nullopt for a literal value. A literal may contain `{{` (Go or mustache templates
// such as "{{.ID}}" pass through unchanged) unless it is immediately preceded by a word that
// contains "secret" or "object" (case-insensitive), which is taken as a mistyped interpolation.
// Fails with INVALID_ARGUMENT, the message saying why, for: an unknown kind
// ("pipline_secret{{k}}"), a known kind that is not the whole value ("x-pipeline_secret{{k}}"),
// an unterminated `{{`, text after the closing `}}`, or a key that breaks gofer::KeyViolation.
// Thread-safe.
absl::StatusOr<std::optional<Interpolation>> ParseInterpolation(std::string_view value);

}  // namespace gofer::pipeline
