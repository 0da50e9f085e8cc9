#include "gofer/pipeline/diff.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using gofer::pipeline::DiffConfigs;
using gofer::pipeline::FormatDiff;
using gofer::pipeline::testing::Parse;
using gofer::pipeline::testing::ReadFixture;
using gofer::v1::ConfigChange;
using gofer::v1::ConfigDiff;

// "<kind> path: from | to" per change.
std::vector<std::string> Lines(const ConfigDiff& diff) {
  std::vector<std::string> out;
  for (const ConfigChange& c : diff.changes()) {
    const char kind = c.kind() == ConfigChange::KIND_ADDED     ? '+'
                      : c.kind() == ConfigChange::KIND_REMOVED ? '-'
                                                               : '~';
    out.push_back(std::string(1, kind) + " " + c.path() + ": " + c.from_value() + " | " +
                  c.to_value());
  }
  return out;
}

constexpr const char* kBefore = R"(
id: demo
name: Demo
parallelism: 2
tasks:
  - id: build
    image: alpine:3.18
    depends_on: {lint: success, test: any}
    variables: {KEEP: same, CHANGE: old, DROP: gone}
    command: [make, all]
    resources: {cpu: "1"}
  - id: lint
    image: linter
  - id: test
    image: tester
)";

constexpr const char* kAfter = R"(
id: demo
name: Demo 2
tasks:
  - id: test
    image: tester
  - id: build
    image: alpine:3.19
    depends_on: {test: failure, deploy: success}
    variables: {KEEP: same, CHANGE: new, ADD: fresh}
    command: [make, install]
    resources: {cpu: "1", memory: 1Gi}
    timeout: 90s
  - id: deploy
    image: deployer
    inject_api_token: true
)";

}  // namespace

TEST_CASE("Identical or reordered configs have no differences") {
  const auto config = Parse(ReadFixture("dag.yaml"));
  CHECK(DiffConfigs(config, config).changes().empty());
  CHECK(DiffConfigs(config, Parse(ReadFixture("dag.json"))).changes().empty());
  auto reordered = config;
  std::reverse(reordered.mutable_tasks()->begin(), reordered.mutable_tasks()->end());
  CHECK(DiffConfigs(config, reordered).changes().empty());
  CHECK(FormatDiff(DiffConfigs(config, reordered)) == "no changes\n");
}

TEST_CASE("Adds, removes and changes are reported by path in field order") {
  CHECK(Lines(DiffConfigs(Parse(kBefore), Parse(kAfter))) ==
        std::vector<std::string>{
            "~ name: \"Demo\" | \"Demo 2\"",
            "- parallelism: 2 | ",
            "~ tasks[build].image: \"alpine:3.18\" | \"alpine:3.19\"",
            "+ tasks[build].depends_on[deploy]:  | \"DEPENDENCY_CONDITION_SUCCESS\"",
            "- tasks[build].depends_on[lint]: \"DEPENDENCY_CONDITION_SUCCESS\" | ",
            "~ tasks[build].depends_on[test]: \"DEPENDENCY_CONDITION_ANY\" | "
            "\"DEPENDENCY_CONDITION_FAILURE\"",
            "+ tasks[build].variables[ADD]:  | \"fresh\"",
            "~ tasks[build].variables[CHANGE]: \"old\" | \"new\"",
            "- tasks[build].variables[DROP]: \"gone\" | ",
            "~ tasks[build].command: [\"make\",\"all\"] | [\"make\",\"install\"]",
            "+ tasks[build].timeout:  | \"90s\"",
            "+ tasks[build].resources.memory:  | \"1Gi\"",
            "+ tasks[deploy]:  | "
            "{\"id\":\"deploy\",\"image\":\"deployer\",\"inject_api_token\":true}",
            "- tasks[lint]: {\"id\":\"lint\",\"image\":\"linter\"} | ",
        });
}

TEST_CASE("A diff against an empty config adds everything") {
  const auto diff =
      DiffConfigs({}, Parse("id: demo\ntasks:\n  - {id: build, image: a, depends_on: {x: any}}\n"));
  CHECK(Lines(diff) ==
        std::vector<std::string>{
            "+ id:  | \"demo\"",
            "+ tasks[build]:  | {\"id\":\"build\",\"image\":\"a\",\"depends_on\":{\"x\":"
            "\"DEPENDENCY_CONDITION_ANY\"}}",
        });
}

TEST_CASE("FormatDiff renders adds, removes and changes for people") {
  ConfigDiff diff = DiffConfigs(Parse(kBefore), Parse(kAfter));
  diff.set_from_version(3);
  diff.set_to_version(4);
  CHECK(FormatDiff(diff) ==
        "--- version 3\n"
        "+++ version 4\n"
        "~ name: \"Demo\" → \"Demo 2\"\n"
        "- parallelism: 2\n"
        "~ tasks[build].image: \"alpine:3.18\" → \"alpine:3.19\"\n"
        "+ tasks[build].depends_on[deploy]: \"DEPENDENCY_CONDITION_SUCCESS\"\n"
        "- tasks[build].depends_on[lint]: \"DEPENDENCY_CONDITION_SUCCESS\"\n"
        "~ tasks[build].depends_on[test]: \"DEPENDENCY_CONDITION_ANY\" → "
        "\"DEPENDENCY_CONDITION_FAILURE\"\n"
        "+ tasks[build].variables[ADD]: \"fresh\"\n"
        "~ tasks[build].variables[CHANGE]: \"old\" → \"new\"\n"
        "- tasks[build].variables[DROP]: \"gone\"\n"
        "~ tasks[build].command: [\"make\",\"all\"] → [\"make\",\"install\"]\n"
        "+ tasks[build].timeout: \"90s\"\n"
        "+ tasks[build].resources.memory: \"1Gi\"\n"
        "+ tasks[deploy]\n"
        "+     id: \"deploy\"\n"
        "+     image: \"deployer\"\n"
        "+     inject_api_token: true\n"
        "- tasks[lint]\n"
        "-     id: \"lint\"\n"
        "-     image: \"linter\"\n");
}

TEST_CASE("FormatDiff shows a changed script as a line diff") {
  const auto before = Parse(
      "id: demo\ntasks:\n  - id: build\n    image: a\n    script: |\n      one\n      two\n"
      "      three\n      four\n      five\n      six\n      seven\n      eight\n      nine\n");
  auto after = before;
  after.mutable_tasks(0)->set_script("one\ntwo\nthree\nfour\nfive\nsix\nSEVEN\neight\nnine");
  ConfigDiff diff = DiffConfigs(before, after);
  diff.set_to_version(1);
  CHECK(FormatDiff(diff) ==
        "--- (none)\n"
        "+++ version 1\n"
        "~ tasks[build].script:\n"
        "    ...\n"
        "    four\n"
        "    five\n"
        "    six\n"
        "-   seven\n"
        "+   SEVEN\n"
        "    eight\n"
        "    nine\n");
}

TEST_CASE("FormatDiff shows multi-line values of an added task as blocks") {
  const auto diff =
      DiffConfigs({}, Parse("tasks:\n  - id: build\n    script: |\n      a\n      b\n"));
  CHECK(FormatDiff(diff) ==
        "+ tasks[build]\n"
        "+     id: \"build\"\n"
        "+     script: |\n"
        "+       a\n"
        "+       b\n");
}
