// Reading pipeline configs written as YAML or JSON (F-CFG-1) into gofer.v1.PipelineConfig.
//
// One schema for both formats: the protobuf JSON mapping of gofer.v1.PipelineConfig. The same
// parser runs in the `gofer` CLI and in the api-gateway, so a document accepted locally is
// accepted by the server. Parsing checks the shape of the document (known fields, value types);
// the rules of a config (identifiers, the DAG, limits) are ValidateConfig's (validation.h).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "gofer/v1/pipelines.pb.h"

namespace gofer::pipeline {

// The syntax of a config document.
enum class Format {
  // JSON when the first character after whitespace (and a UTF-8 byte order mark) is '{' or
  // '[', YAML otherwise.
  kAuto,
  // YAML 1.2 (yaml-cpp): the first document of the stream; anchors, aliases and merge keys
  // (`<<: *base`) are expanded.
  kYaml,
  // JSON (RFC 8259).
  kJson,
};

// The Format named by `name`: "yaml" or "yml" → kYaml, "json" → kJson, "" or "auto" → kAuto
// (case-insensitive), as in gofer.v1.ParseConfigRequest.format. Fails with INVALID_ARGUMENT
// (field "format") for any other name.
absl::StatusOr<Format> ParseFormat(std::string_view name);

// Parses `content` into a PipelineConfig.
//
// Accepted beyond the plain protobuf JSON mapping (both formats):
//   - field names in snake_case ("depends_on") or lowerCamelCase ("dependsOn");
//   - enum values by their short name in any case: "success", "failure", "any" for
//     DependencyCondition and "infrastructure", "any" for RetryOn, besides the full names
//     ("DEPENDENCY_CONDITION_SUCCESS");
//   - durations as protobuf writes them ("30s", "1.5s") or with units ("10m", "1h30m",
//     "250ms");
//   - in YAML every plain scalar is read as text and converted to the field's type: numbers for
//     integer fields, true/false (also True, TRUE, ...) for boolean fields; a quoted or plain
//     `123` is the string "123" for a string field.
//
// Fails with INVALID_ARGUMENT listing every problem found as a gofer::FieldViolation whose
// field is a path in the document ("tasks[1].imag", "tasks[0].depends_on[build]", in the
// spelling of the document) and whose description says what is wrong, with the line and
// column for YAML ("unknown field (line 7, column 5)"). Problems with the document as a whole
// (syntax errors with their line and column, invalid UTF-8, a root that is not a mapping, too
// many values after expanding YAML aliases) have the field "content". Rejected: unknown fields,
// a field given twice (also as `depends_on` and `dependsOn`), values of the wrong type, unknown
// enum names, more than one YAML document. Never fails with another code. Thread-safe.
absl::StatusOr<gofer::v1::PipelineConfig> ParseConfig(std::string_view content,
                                                      Format format = Format::kAuto);

}  // namespace gofer::pipeline
