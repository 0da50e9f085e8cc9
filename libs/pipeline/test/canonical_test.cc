#include "gofer/pipeline/canonical.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "test_support.h"

namespace {

using gofer::pipeline::Canonicalize;
using gofer::pipeline::ConfigHash;
using gofer::pipeline::testing::Parse;
using gofer::pipeline::testing::ReadFixture;
using gofer::v1::PipelineConfig;

PipelineConfig Example() { return Parse(ReadFixture("dag.yaml")); }

}  // namespace

TEST_CASE("ConfigHash is 64 lowercase hex characters and stable across releases") {
  const std::string hash = ConfigHash(Parse("id: demo\ntasks:\n  - {id: build, image: alpine}\n"));
  CHECK(hash.size() == 64);
  CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  // Stored hashes decide whether a registration is a new version: a change of this value (a
  // protobuf upgrade, a new canonicalisation rule) needs a migration plan, not a new constant.
  CHECK(hash == "05ab4d3734bffb63b8aaa3f6100245e40fb1566f34141b36b8f64480d1edaed9");
}

TEST_CASE("YAML and JSON of the same config hash equal") {
  CHECK(ConfigHash(Example()) == ConfigHash(Parse(ReadFixture("dag.json"))));
}

TEST_CASE("Reordering tasks or map entries does not change the hash") {
  const PipelineConfig config = Example();
  PipelineConfig reordered = config;
  std::reverse(reordered.mutable_tasks()->begin(), reordered.mutable_tasks()->end());
  CHECK(ConfigHash(reordered) == ConfigHash(config));

  PipelineConfig a = Parse("id: demo\ntasks:\n  - {id: build, image: a}\n");
  PipelineConfig b = a;
  for (int i = 0; i < 50; ++i) {
    (*a.mutable_tasks(0)->mutable_variables())["V" + std::to_string(i)] = "x";
    (*b.mutable_tasks(0)->mutable_variables())["V" + std::to_string(49 - i)] = "x";
  }
  CHECK(ConfigHash(a) == ConfigHash(b));
}

TEST_CASE("Equivalent spellings of a script or an empty message do not change the hash") {
  const PipelineConfig plain = Parse("id: demo\ntasks:\n  - {id: build, image: a, script: make}\n");
  PipelineConfig crlf = plain;
  crlf.mutable_tasks(0)->set_script("\n  \r\nmake\r\n\r\n  ");
  CHECK(ConfigHash(crlf) == ConfigHash(plain));
  PipelineConfig empty_messages = plain;
  empty_messages.mutable_tasks(0)->mutable_resources();
  empty_messages.mutable_tasks(0)->mutable_retries();
  empty_messages.mutable_tasks(0)->mutable_registry_auth();
  empty_messages.mutable_tasks(0)->mutable_timeout();
  empty_messages.mutable_run_timeout();
  CHECK(ConfigHash(empty_messages) == ConfigHash(plain));
}

TEST_CASE("Any real change changes the hash") {
  const PipelineConfig base = Example();
  const std::string base_hash = ConfigHash(base);
  const std::vector<std::pair<std::string, std::function<void(PipelineConfig&)>>> changes = {
      {"name", [](PipelineConfig& c) { c.set_name("other"); }},
      {"parallelism", [](PipelineConfig& c) { c.set_parallelism(3); }},
      {"run timeout", [](PipelineConfig& c) { c.mutable_run_timeout()->set_nanos(1); }},
      {"task removed", [](PipelineConfig& c) { c.mutable_tasks()->RemoveLast(); }},
      {"image", [](PipelineConfig& c) { c.mutable_tasks(0)->set_image("golang:1.23"); }},
      {"variable value",
       [](PipelineConfig& c) { (*c.mutable_tasks(1)->mutable_variables())["GOFLAGS"] = "-v"; }},
      {"variable added",
       [](PipelineConfig& c) { (*c.mutable_tasks(1)->mutable_variables())["NEW"] = ""; }},
      {"condition",
       [](PipelineConfig& c) {
         (*c.mutable_tasks(1)->mutable_depends_on())["build"] = gofer::v1::DEPENDENCY_CONDITION_ANY;
       }},
      {"command order",
       [](PipelineConfig& c) { c.mutable_tasks(1)->mutable_command()->SwapElements(0, 1); }},
      {"script indent", [](PipelineConfig& c) { c.mutable_tasks(0)->set_script("  set -eu"); }},
      {"flag", [](PipelineConfig& c) { c.mutable_tasks(0)->set_always_pull(true); }},
      {"cpu spelling",
       [](PipelineConfig& c) { c.mutable_tasks(0)->mutable_resources()->set_cpu("2000m"); }},
  };
  for (const auto& [name, change] : changes) {
    INFO(name);
    PipelineConfig changed = base;
    change(changed);
    CHECK(ConfigHash(changed) != base_hash);
  }
}

TEST_CASE("Canonicalize sorts tasks, normalises scripts and is idempotent") {
  const PipelineConfig canonical = Canonicalize(Example());
  std::vector<std::string> ids;
  for (const auto& task : canonical.tasks()) {
    ids.push_back(task.id());
  }
  CHECK(ids == std::vector<std::string>{"build", "cleanup", "notify-failure", "publish", "test"});
  CHECK(canonical.tasks(0).script() == "set -eu\ngo build -o /tmp/app ./...");
  CHECK(google::protobuf::util::MessageDifferencer::Equals(Canonicalize(canonical), canonical));
}
