// The canonical form of a config and its hash (F-CFG-3): two configs that mean the same thing
// have the same canonical form and so the same hash.
#pragma once

#include <string>

#include "gofer/v1/pipelines.pb.h"

namespace gofer::pipeline {

// Returns `config` in canonical form:
//   - tasks sorted by id (a stable sort: duplicate ids keep their order);
//   - scripts normalised: CRLF and lone CR line endings become LF, blank lines at the start
//     and all trailing whitespace at the end are removed. Nothing inside the script changes
//     (indentation and trailing spaces of lines can matter to the shell and to heredocs);
//   - message fields that hold only defaults (registry_auth, resources, retries, zero
//     timeouts) are cleared, so an empty `resources: {}` equals no resources;
//   - unknown fields (from a client built with a newer schema) are dropped.
// Maps (depends_on, variables) need no sorting: they are unordered and serialize sorted.
// Idempotent and deterministic. Values are not reinterpreted: "500m" and "0.5" stay distinct.
// Thread-safe.
gofer::v1::PipelineConfig Canonicalize(const gofer::v1::PipelineConfig& config);

// Lowercase hex SHA-256 of the canonical form of `config` (64 characters).
//
// What is hashed is the deterministic protobuf binary serialization
// (CodedOutputStream::SetSerializationDeterministic) of Canonicalize(config). It is stable
// because the canonical form removes every ordering freedom the author had (task order), and
// deterministic serialization removes the serializer's own (map entries are written sorted by
// key; fields in field-number order; proto3 omits default values; varints and lengths have one
// encoding). Adding a field to the schema does not change the hash of configs that leave it
// unset. Equal hashes mean equal canonical configs (ConfigVersion.hash). Thread-safe.
std::string ConfigHash(const gofer::v1::PipelineConfig& config);

}  // namespace gofer::pipeline
