#include "gofer/pipeline/interpolation.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gofer/testing/status.h"

namespace {

using gofer::pipeline::Interpolation;
using gofer::pipeline::ParseInterpolation;
using Kind = gofer::pipeline::Interpolation::Kind;

}  // namespace

TEST_CASE("ParseInterpolation recognises the four forms") {
  const std::vector<std::pair<std::string, Interpolation>> cases = {
      {"pipeline_secret{{db/password}}", {Kind::kPipelineSecret, "db/password"}},
      {"global_secret{{registry}}", {Kind::kGlobalSecret, "registry"}},
      {"pipeline_object{{cache.tgz}}", {Kind::kPipelineObject, "cache.tgz"}},
      {"run_object{{build-info.json}}", {Kind::kRunObject, "build-info.json"}},
      {"  Pipeline_Secret{{ spaced }}\n", {Kind::kPipelineSecret, "spaced"}},
  };
  for (const auto& [value, expected] : cases) {
    INFO(value);
    const auto parsed = ParseInterpolation(value);
    GOFER_REQUIRE_OK(parsed);
    REQUIRE(parsed->has_value());
    CHECK(**parsed == expected);
  }
  CHECK(gofer::pipeline::InterpolationKindName(Kind::kRunObject) == "run_object");
}

TEST_CASE("Literal values, templates included, are not interpolations") {
  for (const std::string value : {"", "plain", "{{.ID}}", "v{{.Version}}", "echo {{", "a}}b",
                                  "secret", "my_secret", "{{ secret }}"}) {
    INFO(value);
    const auto parsed = ParseInterpolation(value);
    GOFER_REQUIRE_OK(parsed);
    CHECK_FALSE(parsed->has_value());
  }
}

TEST_CASE("Malformed interpolations are rejected with the reason") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pipline_secret{{k}}",
       "unknown interpolation \"pipline_secret{{\" (expected pipeline_secret, global_secret, "
       "pipeline_object or run_object)"},
      {"Secrets{{k}}", "unknown interpolation \"Secrets{{\""},
      {"pipeline_secret{{k", "unterminated \"{{\" after pipeline_secret"},
      {"pipeline_secret{{k}}x", "unexpected text after the closing \"}}\""},
      {"x pipeline_secret{{k}}", "pipeline_secret{{...}} must be the whole value"},
      {"pipeline_secret{{}}", "pipeline_secret key \"\" is required"},
      {"run_object{{a//b}}", "run_object key \"a//b\" must not contain an empty segment"},
      {"global_secret{{a b}}", "global_secret key \"a b\" may contain only"},
  };
  for (const auto& [value, message] : cases) {
    INFO(value);
    const auto parsed = ParseInterpolation(value);
    GOFER_REQUIRE_CODE(parsed, absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(parsed.status().message()), Catch::StartsWith(message));
  }
}
