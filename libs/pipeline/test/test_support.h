// Helpers shared by the tests of libs/pipeline.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gofer/common/errors.h"
#include "gofer/pipeline/config_parser.h"
#include "gofer/testing/status.h"
#include "gofer/v1/pipelines.pb.h"

namespace gofer::pipeline::testing {

// The text of tests/fixtures/pipelines/<name>.
inline std::string ReadFixture(std::string_view name) {
  const std::string path = std::string(GOFER_PIPELINE_FIXTURES) + "/" + std::string(name);
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Parses a document that must be valid input.
inline gofer::v1::PipelineConfig Parse(std::string_view text, Format format = Format::kAuto) {
  auto config = ParseConfig(text, format);
  GOFER_REQUIRE_OK(config);
  return *std::move(config);
}

// The violations of a status, one "field: description" per element, for readable checks.
inline std::vector<std::string> Violations(const absl::Status& status) {
  std::vector<std::string> out;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    out.push_back(v.field + ": " + v.description);
  }
  return out;
}

// Whether `status` has a violation of exactly `field` whose description contains `text`.
inline bool HasViolation(const absl::Status& status, std::string_view field,
                         std::string_view text) {
  for (const FieldViolation& v : GetFieldViolations(status)) {
    if (v.field == field && v.description.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace gofer::pipeline::testing
