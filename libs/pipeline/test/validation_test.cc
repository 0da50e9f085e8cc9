#include "gofer/pipeline/validation.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using gofer::pipeline::ValidateConfig;
using gofer::pipeline::ValidationLimits;
using gofer::pipeline::testing::HasViolation;
using gofer::pipeline::testing::Parse;
using gofer::pipeline::testing::ReadFixture;
using gofer::pipeline::testing::Violations;

// A valid one-task config to break one rule at a time.
gofer::v1::PipelineConfig Minimal() {
  return Parse("id: demo\ntasks:\n  - id: build\n    image: alpine:3.19\n");
}

// The violations of `yaml` parsed and validated with `limits`.
std::vector<std::string> Check(const std::string& yaml, const ValidationLimits& limits = {}) {
  return Violations(ValidateConfig(Parse(yaml), limits));
}

}  // namespace

TEST_CASE("The example config is valid") {
  GOFER_REQUIRE_OK(ValidateConfig(Parse(ReadFixture("dag.yaml"))));
  GOFER_REQUIRE_OK(ValidateConfig(Parse(ReadFixture("dag.json"))));
  GOFER_REQUIRE_OK(ValidateConfig(Minimal()));
}

TEST_CASE("Every violation of a config is reported in one INVALID_ARGUMENT") {
  const absl::Status status = ValidateConfig(
      Parse("id: Demo\nparallelism: -1\ntasks:\n  - id: build\n  - id: test\n    image: alpine\n"
            "    depends_on: {lint: success}\n"));
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Violations(status) == std::vector<std::string>{
                                  "config.id: must start with a lowercase letter",
                                  "config.parallelism: must not be negative (got -1); 0 means "
                                  "unlimited",
                                  "config.tasks[build].image: is required",
                                  "config.tasks[test].depends_on[lint]: depends on unknown task "
                                  "\"lint\"",
                              });
  CHECK(gofer::GetErrorDetails(status).reason == "INVALID_FIELD");
}

TEST_CASE("Pipeline and task ids follow the identifier rule") {
  CHECK(Check("id: x\ntasks:\n  - id: Build_1\n    image: a\n") ==
        std::vector<std::string>{
            "config.id: must be 3-64 characters long (got 1)",
            "config.tasks[0].id: must start with a lowercase letter",
        });
  CHECK(Check("id: demo\ntasks:\n  - image: a\n") ==
        std::vector<std::string>{"config.tasks[0].id: is required"});
}

TEST_CASE("A config needs at least one task") {
  CHECK(Check("id: demo\n") ==
        std::vector<std::string>{"config.tasks: at least one task is required"});
}

TEST_CASE("Duplicate task ids are reported at every later task") {
  CHECK(Check("id: demo\ntasks:\n  - {id: build, image: a}\n  - {id: lint, image: a}\n"
              "  - {id: build, image: a}\n") ==
        std::vector<std::string>{
            "config.tasks[2].id: duplicate task id \"build\" (first used by config.tasks[0])"});
}

TEST_CASE("A task depending on itself is reported") {
  CHECK(Check("id: demo\ntasks:\n  - {id: build, image: a, depends_on: {build: any}}\n") ==
        std::vector<std::string>{
            "config.tasks[build].depends_on[build]: a task cannot depend on itself"});
}

TEST_CASE("Dependency cycles are reported with their path") {
  CHECK(Check("id: demo\ntasks:\n"
              "  - {id: c, image: a, depends_on: {a: any}}\n"
              "  - {id: b, image: a, depends_on: {c: success}}\n"
              "  - {id: a, image: a, depends_on: {b: failure}}\n"
              "  - {id: d, image: a, depends_on: {a: any}}\n") ==
        std::vector<std::string>{
            "config.tasks[0].id: must be 3-64 characters long (got 1)",
            "config.tasks[1].id: must be 3-64 characters long (got 1)",
            "config.tasks[2].id: must be 3-64 characters long (got 1)",
            "config.tasks[3].id: must be 3-64 characters long (got 1)",
            "config.tasks[2].depends_on[b]: dependency cycle: a → b → c → a (each task depends "
            "on the next)",
        });
  CHECK(Check("id: demo\ntasks:\n"
              "  - {id: aaa, image: a, depends_on: {bbb: any}}\n"
              "  - {id: bbb, image: a, depends_on: {aaa: any}}\n"
              "  - {id: ccc, image: a, depends_on: {ddd: any}}\n"
              "  - {id: ddd, image: a, depends_on: {ccc: any}}\n") ==
        std::vector<std::string>{
            "config.tasks[aaa].depends_on[bbb]: dependency cycle: aaa → bbb → aaa (each task "
            "depends on the next)",
            "config.tasks[ccc].depends_on[ddd]: dependency cycle: ccc → ddd → ccc (each task "
            "depends on the next)",
        });
}

TEST_CASE("Dependency conditions must be set") {
  auto config = Minimal();
  auto* test = config.add_tasks();
  test->set_id("test");
  test->set_image("alpine");
  (*test->mutable_depends_on())["build"] = gofer::v1::DEPENDENCY_CONDITION_UNSPECIFIED;
  (*config.mutable_tasks(0)->mutable_depends_on())["test"] =
      static_cast<gofer::v1::DependencyCondition>(42);
  CHECK(Violations(ValidateConfig(config)) ==
        std::vector<std::string>{
            "config.tasks[build].depends_on[test]: unknown condition 42",
            "config.tasks[test].depends_on[build]: a condition is required: success, failure or "
            "any",
            "config.tasks[build].depends_on[test]: dependency cycle: build → test → build (each "
            "task depends on the next)",
        });
}

TEST_CASE("The image is required and has no whitespace") {
  CHECK(Check("id: demo\ntasks:\n  - id: build\n    image: 'alpine 3'\n") ==
        std::vector<std::string>{
            "config.tasks[build].image: must not contain whitespace or control characters"});
}

TEST_CASE("A script cannot be combined with entrypoint or command") {
  CHECK(Check("id: demo\ntasks:\n  - {id: build, image: a, script: make, command: [make]}\n") ==
        std::vector<std::string>{
            "config.tasks[build].script: cannot be combined with entrypoint or command (a script "
            "runs as sh -c <script>)"});
  GOFER_REQUIRE_OK(ValidateConfig(
      Parse("id: demo\ntasks:\n  - {id: build, image: a, entrypoint: [make], command: [all]}\n")));
}

TEST_CASE("The working directory must be an absolute path") {
  CHECK(Check("id: demo\ntasks:\n  - {id: build, image: a, working_dir: src}\n") ==
        std::vector<std::string>{"config.tasks[build].working_dir: must be an absolute path"});
}

TEST_CASE("Variable names are valid environment names and not reserved") {
  CHECK(Check("id: demo\ntasks:\n  - id: build\n    image: a\n    variables:\n"
              "      OK_1: x\n      _ALSO: x\n      1BAD: x\n      BAD-NAME: x\n"
              "      GOFER_TASK: x\n      gofer_x: x\n") ==
        std::vector<std::string>{
            "config.tasks[build].variables[1BAD]: a variable name must match "
            "[A-Za-z_][A-Za-z0-9_]*",
            "config.tasks[build].variables[BAD-NAME]: a variable name must match "
            "[A-Za-z_][A-Za-z0-9_]*",
            "config.tasks[build].variables[GOFER_TASK]: variable names starting with GOFER_ are "
            "reserved for the variables Gofer sets",
            "config.tasks[build].variables[gofer_x]: variable names starting with GOFER_ are "
            "reserved for the variables Gofer sets",
        });
}

TEST_CASE("Interpolations in variable values must be well formed") {
  const auto violations = Check(
      "id: demo\ntasks:\n  - id: build\n    image: a\n    variables:\n"
      "      A: pipeline_secret{{db/password}}\n"
      "      B: '{{.ID}}'\n"
      "      C: pipline_secret{{x}}\n"
      "      D: pipeline_secret{{x\n"
      "      E: global_secret{{../x}}\n"
      "      F: token=run_object{{x}}\n");
  CHECK(violations ==
        std::vector<std::string>{
            "config.tasks[build].variables[C]: unknown interpolation \"pipline_secret{{\" "
            "(expected pipeline_secret, global_secret, pipeline_object or run_object)",
            "config.tasks[build].variables[D]: unterminated \"{{\" after pipeline_secret "
            "(expected pipeline_secret{{key}})",
            "config.tasks[build].variables[E]: global_secret key \"../x\" must not contain '.' "
            "or '..' segments",
            "config.tasks[build].variables[F]: run_object{{...}} must be the whole value, not "
            "part of a longer text",
        });
}

TEST_CASE("Registry credentials name a secret for the password") {
  CHECK(Check("id: demo\ntasks:\n  - id: build\n    image: a\n"
              "    registry_auth: {password_secret: 'run_object{{pw}}'}\n") ==
        std::vector<std::string>{
            "config.tasks[build].registry_auth.username: is required",
            "config.tasks[build].registry_auth.password_secret: must name a secret: "
            "pipeline_secret{{key}} or global_secret{{key}}",
        });
  CHECK(Check("id: demo\ntasks:\n  - id: build\n    image: a\n"
              "    registry_auth: {username: ci, password_secret: hunter2}\n") ==
        std::vector<std::string>{
            "config.tasks[build].registry_auth.password_secret: must name a secret: "
            "pipeline_secret{{key}} or global_secret{{key}}"});
}

TEST_CASE("Resources must parse, be positive and stay within the limits") {
  CHECK(Check("id: demo\ntasks:\n"
              "  - {id: aaa, image: a, resources: {cpu: 0, memory: 0}}\n"
              "  - {id: bbb, image: a, resources: {cpu: lots, memory: 1Gb}}\n"
              "  - {id: ccc, image: a, resources: {cpu: '65', memory: 300Gi}}\n") ==
        std::vector<std::string>{
            "config.tasks[aaa].resources.cpu: must be greater than 0",
            "config.tasks[aaa].resources.memory: must be greater than 0",
            "config.tasks[bbb].resources.cpu: cpu \"lots\" is not a number of cores (\"0.5\", "
            "\"2\") or millicores (\"500m\")",
            "config.tasks[bbb].resources.memory: memory \"1Gb\" is not a number of bytes with an "
            "optional suffix (\"1048576\", \"512Mi\", \"1Gi\", \"500M\")",
            "config.tasks[ccc].resources.cpu: must be at most 64000m (got \"65\")",
            "config.tasks[ccc].resources.memory: must be at most 274877906944 bytes (got "
            "\"300Gi\")",
        });
}

TEST_CASE("Retry attempts are between 0 and 10") {
  GOFER_REQUIRE_OK(ValidateConfig(
      Parse("id: demo\ntasks:\n  - {id: build, image: a, retries: {attempts: 10}}\n")));
  CHECK(Check("id: demo\ntasks:\n  - {id: build, image: a, retries: {attempts: 11}}\n"
              "  - {id: test, image: a, retries: {attempts: -1}}\n") ==
        std::vector<std::string>{
            "config.tasks[build].retries.attempts: must be between 0 (the default) and 10 (got 11)",
            "config.tasks[test].retries.attempts: must be between 0 (the default) and 10 (got -1)",
        });
}

TEST_CASE("Timeouts are not negative and stay within the limits") {
  ValidationLimits limits;
  limits.max_task_timeout = absl::Hours(1);
  limits.max_run_timeout = absl::Hours(2);
  CHECK(Check("id: demo\nrun_timeout: 3h\ntasks:\n  - {id: build, image: a, timeout: 61m}\n"
              "  - {id: test, image: a, timeout: -5s}\n",
              limits) == std::vector<std::string>{
                             "config.run_timeout: must be at most 2h (got 3h)",
                             "config.tasks[build].timeout: must be at most 1h (got 1h1m)",
                             "config.tasks[test].timeout: must not be negative (got -5s)",
                         });
  auto config = Minimal();
  config.mutable_tasks(0)->mutable_timeout()->set_seconds(1);
  config.mutable_tasks(0)->mutable_timeout()->set_nanos(-1);
  CHECK(Violations(ValidateConfig(config)) ==
        std::vector<std::string>{
            "config.tasks[build].timeout: is not a valid duration (seconds and nanos disagree)"});
}

TEST_CASE("Counts and sizes stay within the limits") {
  ValidationLimits limits;
  limits.max_tasks = 1;
  limits.max_name_length = 4;
  limits.max_description_length = 5;
  limits.max_variables_per_task = 1;
  limits.max_argument_bytes = 3;
  CHECK(Check("id: demo\nname: named\ndescription: long text\ntasks:\n"
              "  - {id: build, image: a, script: abcd, variables: {A: '1', B: '2'}}\n"
              "  - {id: test, image: a}\n",
              limits) ==
        std::vector<std::string>{
            "config.name: must be at most 4 bytes long (got 5)",
            "config.description: must be at most 5 bytes long (got 9)",
            "config.tasks: at most 1 tasks are allowed (got 2)",
            "config.tasks[build].variables: at most 1 variables are allowed (got 2)",
            "config.tasks[build].script: must be at most 3 bytes long (got 4)",
        });
}

TEST_CASE("The serialized size of a config is limited") {
  const auto config = Minimal();
  ValidationLimits limits;
  limits.max_config_bytes = config.ByteSizeLong() - 1;
  CHECK(Violations(ValidateConfig(config, limits)) ==
        std::vector<std::string>{"config: is " + std::to_string(config.ByteSizeLong()) +
                                 " bytes serialized; the limit is " +
                                 std::to_string(limits.max_config_bytes) + " bytes"});
}

TEST_CASE("The violations reported are capped with a count of the rest") {
  ValidationLimits limits;
  limits.max_violations = 2;
  const absl::Status status = ValidateConfig(
      Parse("id: demo\ntasks:\n  - {id: aaa}\n  - {id: bbb}\n  - {id: ccc}\n  - {id: ddd}\n"),
      limits);
  CHECK(Violations(status) == std::vector<std::string>{
                                  "config.tasks[aaa].image: is required",
                                  "config.tasks[bbb].image: is required",
                                  "config: 2 more violations not shown",
                              });
}
