// Parsing the compute limits of a task (gofer.v1.Resources), in Kubernetes quantity syntax.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace gofer::pipeline {

// CPU in millicores: cores as a decimal with at most three fractional digits ("2" → 2000,
// "0.5" → 500, "1.25" → 1250) or whole millicores with the suffix "m" ("500m" → 500). No sign,
// exponent or whitespace. "0" parses to 0 (ValidateConfig requires more). Fails with
// INVALID_ARGUMENT saying why for anything else, for a value finer than 1m ("0.0005") and for a
// value beyond int64. Thread-safe.
absl::StatusOr<int64_t> ParseCpuMillis(std::string_view cpu);

// Memory in bytes: a decimal number with an optional suffix, decimal k M G T P E (powers of
// 1000) or binary Ki Mi Gi Ti Pi Ei (powers of 1024): "1048576", "500M" → 500000000,
// "512Mi" → 536870912, "1.5Gi" → 1610612736. The result must be a whole number of bytes
// ("0.1Ki" fails). No sign, exponent or whitespace. Fails with INVALID_ARGUMENT saying why for
// anything else and for a value beyond int64. Thread-safe.
absl::StatusOr<int64_t> ParseMemoryBytes(std::string_view memory);

}  // namespace gofer::pipeline
