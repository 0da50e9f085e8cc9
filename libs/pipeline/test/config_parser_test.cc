#include "gofer/pipeline/config_parser.h"

#include <catch2/catch.hpp>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "test_support.h"

namespace {

using gofer::pipeline::Format;
using gofer::pipeline::ParseConfig;
using gofer::pipeline::testing::HasViolation;
using gofer::pipeline::testing::Parse;
using gofer::pipeline::testing::ReadFixture;
using gofer::pipeline::testing::Violations;
using google::protobuf::util::MessageDifferencer;

bool Equal(const gofer::v1::PipelineConfig& a, const gofer::v1::PipelineConfig& b) {
  return MessageDifferencer::Equals(a, b);
}

}  // namespace

TEST_CASE("YAML and JSON of the same config parse to equal messages") {
  const auto yaml = Parse(ReadFixture("dag.yaml"), Format::kYaml);
  const auto json = Parse(ReadFixture("dag.json"), Format::kJson);
  INFO(yaml.DebugString() << "\n---\n" << json.DebugString());
  CHECK(Equal(yaml, json));
  CHECK(yaml.tasks_size() == 5);
  CHECK(yaml.run_timeout().seconds() == 3600);
  CHECK(yaml.tasks(0).retries().on() == gofer::v1::RETRY_ON_INFRASTRUCTURE);
}

TEST_CASE("The format is detected from the first character") {
  CHECK(Equal(Parse(ReadFixture("dag.yaml")), Parse(ReadFixture("dag.json"))));
  CHECK(Parse("  \n{\"id\": \"x\"}").id() == "x");
  CHECK(Parse("\xEF\xBB\xBFid: x").id() == "x");
}

TEST_CASE("ParseFormat accepts yaml, yml, json and empty for auto") {
  CHECK(*gofer::pipeline::ParseFormat("") == Format::kAuto);
  CHECK(*gofer::pipeline::ParseFormat("YAML") == Format::kYaml);
  CHECK(*gofer::pipeline::ParseFormat("yml") == Format::kYaml);
  CHECK(*gofer::pipeline::ParseFormat("json") == Format::kJson);
  const auto bad = gofer::pipeline::ParseFormat("toml");
  CHECK(HasViolation(bad.status(), "format", "unknown format \"toml\""));
}

TEST_CASE("Unknown fields are rejected with their path and YAML position") {
  const auto yaml = ParseConfig(
      "id: demo\ntasks:\n  - id: build\n    image: alpine\n"
      "  - id: test\n    imag: alpine\n");
  GOFER_REQUIRE_CODE(yaml, absl::StatusCode::kInvalidArgument);
  CHECK(Violations(yaml.status()) ==
        std::vector<std::string>{
            "tasks[1].imag: unknown field (line 6, column 5); did you mean \"image\"?"});
  CHECK(yaml.status().message() ==
        "invalid request: tasks[1].imag: unknown field (line 6, column 5); did you mean "
        "\"image\"?");

  const auto json = ParseConfig(R"({"id": "demo", "tasks": [{"id": "a"}, {"imag": "x"}]})");
  CHECK(Violations(json.status()) ==
        std::vector<std::string>{"tasks[1].imag: unknown field; did you mean \"image\"?"});
}

TEST_CASE("Every unknown field of a document is reported at once") {
  const auto parsed = ParseConfig(
      "id: demo\ncolour: red\ntasks:\n  - id: a\n    resources: {cpus: 2}\n    zzz: 1\n");
  CHECK(Violations(parsed.status()) ==
        std::vector<std::string>{
            "colour: unknown field (line 2, column 1)",
            "tasks[0].resources.cpus: unknown field (line 5, column 17); did you mean \"cpu\"?",
            "tasks[0].zzz: unknown field (line 6, column 5)",
        });
}

TEST_CASE("Field names are accepted in snake_case and lowerCamelCase") {
  const auto snake =
      Parse("id: x\nrun_timeout: 5s\ntasks:\n  - id: a\n    inject_api_token: true\n");
  const auto camel = Parse("id: x\nrunTimeout: 5s\ntasks:\n  - id: a\n    injectApiToken: true\n");
  CHECK(Equal(snake, camel));
  CHECK(snake.tasks(0).inject_api_token());
}

TEST_CASE("A field given under both of its names is rejected") {
  const auto parsed =
      ParseConfig(R"({"id": "x", "tasks": [{"depends_on": {"a": "any"}, "dependsOn": {}}]})");
  CHECK(HasViolation(parsed.status(), "tasks[0].dependsOn", "same field as \"depends_on\""));
}

TEST_CASE("Keys given twice in one mapping are rejected in YAML and JSON") {
  const auto yaml = ParseConfig("id: x\nid: y\ntasks:\n  - variables: {A: '1', A: '2'}\n");
  CHECK(HasViolation(yaml.status(), "id", "given more than once"));
  CHECK(HasViolation(yaml.status(), "tasks[0].variables[A]", "given more than once"));

  const auto json = ParseConfig(R"({"id": "x", "tasks": [{}, {"image": "a", "image": "b"}]})");
  CHECK(Violations(json.status()) ==
        std::vector<std::string>{"tasks[1].image: is given more than once"});
}

TEST_CASE("Dependency conditions may be written by their short names") {
  const auto config = Parse(
      "id: x\ntasks:\n  - id: a\n    depends_on: {b: success, c: failure, d: any, e: Success, "
      "f: DEPENDENCY_CONDITION_ANY}\n    retries: {on: any}\n");
  const auto& deps = config.tasks(0).depends_on();
  CHECK(deps.at("b") == gofer::v1::DEPENDENCY_CONDITION_SUCCESS);
  CHECK(deps.at("c") == gofer::v1::DEPENDENCY_CONDITION_FAILURE);
  CHECK(deps.at("d") == gofer::v1::DEPENDENCY_CONDITION_ANY);
  CHECK(deps.at("e") == gofer::v1::DEPENDENCY_CONDITION_SUCCESS);
  CHECK(deps.at("f") == gofer::v1::DEPENDENCY_CONDITION_ANY);
  CHECK(config.tasks(0).retries().on() == gofer::v1::RETRY_ON_ANY);
}

TEST_CASE("Unknown enum values are rejected with the accepted names") {
  const auto parsed = ParseConfig(
      "id: x\ntasks:\n  - depends_on: {b: sucess, c: unspecified}\n    retries: {on: never}\n");
  CHECK(Violations(parsed.status()) ==
        std::vector<std::string>{
            "tasks[0].depends_on[b]: unknown value \"sucess\" (expected success, failure, any) "
            "(line 3, column 18)",
            "tasks[0].depends_on[c]: unknown value \"unspecified\" (expected success, failure, "
            "any) (line 3, column 29)",
            "tasks[0].retries.on: unknown value \"never\" (expected infrastructure, any) (line 4, "
            "column 15)",
        });
}

TEST_CASE("YAML scalars take the type their field needs") {
  const auto config = Parse(
      "id: x\nname: 123\nparallelism: '4'\ntasks:\n  - id: a\n    always_pull: True\n"
      "    variables: {N: 5, B: true, E: ''}\n    command: [1, 2.5]\n");
  CHECK(config.name() == "123");
  CHECK(config.parallelism() == 4);
  CHECK(config.tasks(0).always_pull());
  CHECK(config.tasks(0).variables().at("N") == "5");
  CHECK(config.tasks(0).variables().at("B") == "true");
  CHECK(config.tasks(0).variables().at("E").empty());
  CHECK(config.tasks(0).command(1) == "2.5");
}

TEST_CASE("Values of the wrong type are rejected with their path") {
  const auto parsed = ParseConfig(
      "id: x\nparallelism: many\ntasks:\n  - inject_api_token: yes\n    resources: big\n"
      "    command: run\n    variables: {A: }\n  - depends_on: [a]\n");
  CHECK(Violations(parsed.status()) ==
        std::vector<std::string>{
            "parallelism: expected a whole number (line 2, column 1)",
            "tasks[0].inject_api_token: expected true or false (line 4, column 5)",
            "tasks[0].resources: expected a mapping of fields (line 5, column 5)",
            "tasks[0].command: expected a list (line 6, column 5)",
            "tasks[0].variables[A]: a value is required (\"\" for an empty one) (line 7, "
            "column 17)",
            "tasks[1].depends_on: expected a mapping (line 8, column 5)",
        });
  const auto json = ParseConfig(R"({"id": "x", "parallelism": 3000000000, "name": 5})");
  CHECK(Violations(json.status()) ==
        std::vector<std::string>{"parallelism: must be between -2147483648 and 2147483647",
                                 "name: expected text (quote it)"});
}

TEST_CASE("Durations are accepted with units and written the protobuf way") {
  const auto config =
      Parse("id: x\nrun_timeout: 1h30m\ntasks:\n  - timeout: 250ms\n  - timeout: 1.5s\n");
  CHECK(config.run_timeout().seconds() == 5400);
  CHECK(config.tasks(0).timeout().nanos() == 250'000'000);
  CHECK(config.tasks(1).timeout().seconds() == 1);
  CHECK(config.tasks(1).timeout().nanos() == 500'000'000);
  const auto bad = ParseConfig("id: x\nrun_timeout: soon\ntasks:\n  - timeout: 30\n");
  CHECK(HasViolation(bad.status(), "run_timeout", "expected a duration"));
  CHECK(HasViolation(bad.status(), "tasks[0].timeout", "expected a duration"));
}

TEST_CASE("null values leave their field unset") {
  const auto yaml = Parse("id: x\ndescription:\ntasks:\n  - id: a\n    entrypoint: ~\n");
  CHECK(yaml.description().empty());
  CHECK(yaml.tasks(0).entrypoint().empty());
  const auto json = Parse(R"({"id": "x", "tasks": [{"registry_auth": null}]})");
  CHECK_FALSE(json.tasks(0).has_registry_auth());
}

TEST_CASE("YAML syntax errors report line and column") {
  const auto parsed = ParseConfig("id: x\ntasks:\n  - id: a\n   image: [unclosed\n");
  GOFER_REQUIRE_CODE(parsed, absl::StatusCode::kInvalidArgument);
  const auto violations = Violations(parsed.status());
  REQUIRE(violations.size() == 1);
  CHECK_THAT(violations[0], Catch::StartsWith("content: YAML syntax error (line 4, column"));
}

TEST_CASE("JSON syntax errors report line and column") {
  const auto parsed = ParseConfig("{\n  \"id\": \"x\",\n  \"tasks\": [}\n");
  const auto violations = Violations(parsed.status());
  REQUIRE(violations.size() == 1);
  CHECK_THAT(violations[0], Catch::StartsWith("content: JSON syntax error (line 3, column 13)"));
}

TEST_CASE("Documents that are not one mapping are rejected") {
  CHECK(Violations(ParseConfig("").status()) ==
        std::vector<std::string>{"content: the document is empty"});
  CHECK(Violations(ParseConfig("- a\n- b\n").status()) ==
        std::vector<std::string>{"content: must be a mapping of pipeline config fields"});
  CHECK(Violations(ParseConfig("[1]").status()) ==
        std::vector<std::string>{"content: must be a mapping of pipeline config fields"});
  CHECK(Violations(ParseConfig(",").status()) ==
        std::vector<std::string>{
            "content: YAML syntax error (line 1, column 1): unexpected character"});
  CHECK(Violations(ParseConfig("id: a\n---\nid: b\n").status()) ==
        std::vector<std::string>{
            "content: holds more than one YAML document; a config is one document"});
}

TEST_CASE("Documents on which yaml-cpp 0.7 loops forever are rejected as syntax errors") {
  // jbeder/yaml-cpp#1040 and #499: LoadAll or the scanner never return on these.
  for (const std::string doc :
       {",", ", a", "--- ,", "&a ,", "!!str ,", ",\n---\n", "[:", "{:", "{# ke\ny{:", "bad: ["}) {
    INFO(doc);
    const auto violations = Violations(ParseConfig(doc, Format::kYaml).status());
    REQUIRE(violations.size() == 1);
    CHECK_THAT(violations[0], Catch::StartsWith("content: YAML syntax error (line "));
  }
}

TEST_CASE("Text that is not UTF-8 is rejected") {
  CHECK(Violations(ParseConfig("id: \xC3\x28\n").status()) ==
        std::vector<std::string>{"content: is not valid UTF-8 (byte 4)"});
  CHECK(Violations(ParseConfig("id: \xED\xA0\x80\n").status()) ==
        std::vector<std::string>{"content: is not valid UTF-8 (byte 4)"});
  CHECK(Parse("id: x\nname: caf\xC3\xA9 \xF0\x9F\x9A\x80\n").name() ==
        "caf\xC3\xA9 \xF0\x9F\x9A\x80");
}

TEST_CASE("YAML anchors, aliases and merge keys are expanded") {
  const auto config = Parse(
      "id: x\n"
      "tasks:\n"
      "  - &go\n"
      "    id: build\n"
      "    image: golang:1.22\n"
      "    variables: &env {GOFLAGS: -mod=vendor}\n"
      "  - <<: *go\n"
      "    id: test\n"
      "    variables: *env\n");
  REQUIRE(config.tasks_size() == 2);
  CHECK(config.tasks(1).id() == "test");
  CHECK(config.tasks(1).image() == "golang:1.22");
  CHECK(config.tasks(1).variables().at("GOFLAGS") == "-mod=vendor");
}

TEST_CASE("Alias bombs and deep nesting are refused without exhausting memory") {
  // Ten levels of ten aliases each: 10^10 values once expanded.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    const std::string alias = std::string("*") + static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [" + alias;
    for (int i = 1; i < 10; ++i) {
      bomb += ", " + alias;
    }
    bomb += "]\n";
  }
  CHECK_THAT(Violations(ParseConfig(bomb).status()).at(0),
             Catch::Contains("more than 500000 values"));
  const std::string deep_json = std::string(100, '[') + std::string(100, ']');
  CHECK_THAT(Violations(ParseConfig(deep_json).status()).at(0),
             Catch::Contains("nests more than 32 levels"));
  const std::string deep_yaml = "id: " + std::string(100, '[') + std::string(100, ']');
  CHECK_THAT(Violations(ParseConfig(deep_yaml).status()).at(0),
             Catch::Contains("nests more than 32 levels"));
}
