// Differences between two config versions (F-CFG-4): structured for the API, as text for the
// CLI.
#pragma once

#include <string>

#include "gofer/v1/pipelines.pb.h"

namespace gofer::pipeline {

// The changes that turn `from` into `to`, both compared in canonical form (Canonicalize), so
// reordering tasks or map entries is no change. `from` may be an empty config (the first
// version): everything in `to` is then ADDED.
//
// Paths: top-level fields by name ("name", "parallelism", "run_timeout"); tasks by id,
// "tasks[build]" when a task is added or removed as a whole (its value is the whole task);
// fields of a task present in both, "tasks[build].image", "tasks[build].resources.cpu";
// map entries by key, "tasks[build].depends_on[test]", "tasks[build].variables[FOO]";
// lists (entrypoint, command) as one value. A field is ADDED when it goes from its default to a
// value, REMOVED when it goes back to its default, CHANGED otherwise. from/to hold the values
// as compact JSON in the protobuf JSON mapping with proto field names (strings quoted, enums by
// name, durations as "30s", messages with their set fields in field order, map keys sorted);
// the absent side is empty. Changes come in field order, tasks and map entries sorted by id or
// key, so equal inputs give equal diffs. from_version and to_version are left 0 for the caller
// to set. Thread-safe.
gofer::v1::ConfigDiff DiffConfigs(const gofer::v1::PipelineConfig& from,
                                  const gofer::v1::PipelineConfig& to);

// Renders `diff` for people, one change per line in the order given:
//   --- version 3
//   +++ version 4
//   ~ tasks[build].image: "alpine:3.18" → "alpine:3.19"
//   + tasks[build].variables[FOO]: "bar"
//   - tasks[lint]
// A task added or removed as a whole is followed by its fields, indented, one per line, with
// the same marker. A multi-line string that changed (a script) is shown as a line diff under
// its path. The header appears when to_version is set ("--- (none)" when from_version is 0).
// No changes renders as "no changes\n". Thread-safe.
std::string FormatDiff(const gofer::v1::ConfigDiff& diff);

}  // namespace gofer::pipeline
