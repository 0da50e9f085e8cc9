// ConfigService through an in-process gateway on real Postgres: registration (first version,
// identical re-registration, structured diffs, validation, a missing namespace), reading,
// listing across pages while versions are added, diffing, deleting and parsing configs.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway_server.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway {
namespace {

using testing::GatewayServer;
using testing::ReasonOf;
using testing::SimpleConfig;
using testing::ViolatedFields;
using ConfigStub = v1::ConfigService::Stub;
using Kind = v1::ConfigChange::Kind;

// A request about `pipeline` in `ns`.
template <typename Request>
Request In(const std::string& pipeline, const std::string& ns = "default") {
  Request request;
  request.set_namespace_id(ns);
  request.set_pipeline_id(pipeline);
  return request;
}

v1::GetConfigRequest Version(const std::string& pipeline, int64_t version) {
  auto request = In<v1::GetConfigRequest>(pipeline);
  request.set_version(version);
  return request;
}

struct Change {
  Kind kind;
  std::string path, from, to;
  friend bool operator==(const Change&, const Change&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Change& c) {
    return os << "{" << v1::ConfigChange::Kind_Name(c.kind) << " " << c.path << ": " << c.from
              << " -> " << c.to << "}";
  }
};

std::vector<Change> ChangesOf(const v1::ConfigDiff& diff) {
  std::vector<Change> out;
  for (const v1::ConfigChange& c : diff.changes()) {
    out.push_back({c.kind(), c.path(), c.from_value(), c.to_value()});
  }
  return out;
}

std::vector<int64_t> VersionsOf(const v1::ListConfigsResponse& page) {
  std::vector<int64_t> versions;
  for (const v1::ConfigVersion& c : page.configs()) {
    versions.push_back(c.version());
  }
  return versions;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(GOFER_PIPELINE_FIXTURES) + "/" + name);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST_CASE("Registering a first config creates the pipeline and version 1 with every task added") {
  GatewayServer gw;
  const v1::RegisterConfigResponse r = gw.RegisterConfig(SimpleConfig("app"));
  CHECK(r.pipeline_created());
  CHECK_FALSE(r.unchanged());
  CHECK(r.version().namespace_id() == "default");
  CHECK(r.version().pipeline_id() == "app");
  CHECK(r.version().version() == 1);
  CHECK(r.version().state() == v1::CONFIG_STATE_UNRELEASED);
  CHECK(r.version().hash().size() == 64);
  CHECK(r.version().config().tasks(0).id() == "build");
  CHECK(r.diff().from_version() == 0);
  CHECK(r.diff().to_version() == 1);
  std::vector<std::string> added;
  for (const v1::ConfigChange& c : r.diff().changes()) {
    CHECK(c.kind() == v1::ConfigChange::KIND_ADDED);
    CHECK(c.from_value().empty());
    added.push_back(c.path());
  }
  CHECK(added == std::vector<std::string>{"id", "name", "tasks[build]", "tasks[test]"});
  CHECK(gw.CountEvents("pipeline.created") == 1);
  CHECK(gw.CountEvents("pipeline.config_registered") == 1);
}

TEST_CASE("Registering an identical config again, in any order, is unchanged and creates nothing") {
  GatewayServer gw;
  v1::PipelineConfig config = SimpleConfig("app");
  (*config.mutable_tasks(1)->mutable_variables())["A"] = "1";
  (*config.mutable_tasks(1)->mutable_variables())["B"] = "2";
  const v1::RegisterConfigResponse first = gw.RegisterConfig(config);

  v1::PipelineConfig reordered;
  reordered.set_id("app");
  reordered.set_name(config.name());
  *reordered.add_tasks() = config.tasks(1);  // "test" first
  *reordered.add_tasks() = config.tasks(0);
  v1::Task* test = reordered.mutable_tasks(0);
  test->clear_variables();
  for (const char* key : {"MODE", "B", "A"}) {  // map entries inserted in another order
    (*test->mutable_variables())[key] = config.tasks(1).variables().at(key);
  }
  const v1::RegisterConfigResponse again = gw.RegisterConfig(reordered);
  CHECK(again.unchanged());
  CHECK_FALSE(again.pipeline_created());
  CHECK(again.version().version() == 1);
  CHECK(again.version().hash() == first.version().hash());
  CHECK(again.diff().changes().empty());
  CHECK(gw.QueryInt("SELECT count(*) FROM configs") == 1);
  CHECK(gw.CountEvents("pipeline.config_registered") == 1);
  CHECK(gw.CountEvents("pipeline.created") == 1);
}

TEST_CASE("A changed config becomes the next version with a structured diff") {
  GatewayServer gw;
  gw.RegisterConfig(SimpleConfig("app"));
  v1::PipelineConfig changed = SimpleConfig("app");
  changed.set_parallelism(2);
  changed.mutable_tasks(0)->set_image("alpine:3.20");
  (*changed.mutable_tasks(1)->mutable_variables())["LEVEL"] = "debug";
  const v1::RegisterConfigResponse r = gw.RegisterConfig(changed);
  CHECK_FALSE(r.unchanged());
  CHECK_FALSE(r.pipeline_created());
  CHECK(r.version().version() == 2);
  CHECK(r.diff().from_version() == 1);
  CHECK(r.diff().to_version() == 2);
  CHECK(ChangesOf(r.diff()) ==
        std::vector<Change>{
            {v1::ConfigChange::KIND_ADDED, "parallelism", "", "2"},
            {v1::ConfigChange::KIND_CHANGED, "tasks[build].image", R"("alpine:3.19")",
             R"("alpine:3.20")"},
            {v1::ConfigChange::KIND_ADDED, "tasks[test].variables[LEVEL]", "", R"("debug")"}});
  CHECK(gw.CountEvents("pipeline.config_registered") == 2);
}

TEST_CASE("An invalid config is INVALID_ARGUMENT listing every violation with its path") {
  GatewayServer gw;
  v1::PipelineConfig config = SimpleConfig("app");
  config.mutable_tasks(0)->clear_image();
  (*config.mutable_tasks(1)->mutable_depends_on())["ghost"] = v1::DEPENDENCY_CONDITION_ANY;
  config.set_parallelism(-1);
  v1::RegisterConfigRequest request;
  request.set_namespace_id("default");
  *request.mutable_config() = config;
  auto registered = gw.Call(gw.admin_secret(), &ConfigStub::RegisterConfig, request);
  GOFER_REQUIRE_CODE(registered, absl::StatusCode::kInvalidArgument);
  CHECK(ReasonOf(registered.status()) == "INVALID_FIELD");
  CHECK(ViolatedFields(registered.status()) ==
        std::vector<std::string>{"config.parallelism", "config.tasks[build].image",
                                 "config.tasks[test].depends_on[ghost]"});
  CHECK(gw.QueryInt("SELECT count(*) FROM pipelines") == 0);
}

TEST_CASE("Registering in a missing namespace is NOT_FOUND naming the namespace") {
  GatewayServer gw;
  v1::RegisterConfigRequest request;
  request.set_namespace_id("nope");
  *request.mutable_config() = SimpleConfig("app");
  auto registered = gw.Call(gw.admin_secret(), &ConfigStub::RegisterConfig, request);
  GOFER_REQUIRE_CODE(registered, absl::StatusCode::kNotFound);
  CHECK(registered.status().message() == "namespace 'nope' not found");
  CHECK(ReasonOf(registered.status()) == "PARENT_NOT_FOUND");
}

TEST_CASE("GetConfig reads a version, version 0 being the latest") {
  GatewayServer gw;
  const auto first = gw.RegisterConfig(SimpleConfig("app", "alpine:3.19"));
  const auto second = gw.RegisterConfig(SimpleConfig("app", "alpine:3.20"));
  auto latest = gw.Call(gw.admin_secret(), &ConfigStub::GetConfig, Version("app", 0));
  GOFER_REQUIRE_OK(latest);
  CHECK(latest->SerializeAsString() == second.version().SerializeAsString());
  auto old = gw.Call(gw.admin_secret(), &ConfigStub::GetConfig, Version("app", 1));
  GOFER_REQUIRE_OK(old);
  CHECK(old->SerializeAsString() == first.version().SerializeAsString());
  CHECK(old->config().tasks(0).image() == "alpine:3.19");
}

TEST_CASE("GetConfig of a missing pipeline or version is NOT_FOUND naming it") {
  GatewayServer gw;
  gw.RegisterConfig(SimpleConfig("app"));
  auto no_pipeline = gw.Call(gw.admin_secret(), &ConfigStub::GetConfig, Version("ghost", 0));
  GOFER_REQUIRE_CODE(no_pipeline, absl::StatusCode::kNotFound);
  CHECK(no_pipeline.status().message() == "pipeline 'ghost' not found in namespace 'default'");
  auto no_version = gw.Call(gw.admin_secret(), &ConfigStub::GetConfig, Version("app", 7));
  GOFER_REQUIRE_CODE(no_version, absl::StatusCode::kNotFound);
  CHECK(no_version.status().message() ==
        "config version '7' not found in pipeline 'app', namespace 'default'");
  CHECK(ReasonOf(no_version.status()) == "RESOURCE_NOT_FOUND");
  auto no_namespace =
      gw.Call(gw.admin_secret(), &ConfigStub::GetConfig, In<v1::GetConfigRequest>("app", "nope"));
  GOFER_REQUIRE_CODE(no_namespace, absl::StatusCode::kNotFound);
  CHECK(no_namespace.status().message() == "namespace 'nope' not found");
}

TEST_CASE("ListConfigs pages newest first without repeats or gaps while versions are added") {
  GatewayServer gw;
  for (int i = 1; i <= 5; ++i) {
    gw.RegisterConfig(SimpleConfig("app", "alpine:3." + std::to_string(i)));
  }
  auto request = In<v1::ListConfigsRequest>("app");
  request.set_page_size(2);
  auto page = gw.Call(gw.admin_secret(), &ConfigStub::ListConfigs, request);
  GOFER_REQUIRE_OK(page);
  CHECK(VersionsOf(*page) == std::vector<int64_t>{5, 4});
  gw.RegisterConfig(SimpleConfig("app", "alpine:3.6"));  // a new version between pages
  std::vector<int64_t> rest;
  while (!page->next_page_token().empty()) {
    request.set_page_token(page->next_page_token());
    page = gw.Call(gw.admin_secret(), &ConfigStub::ListConfigs, request);
    GOFER_REQUIRE_OK(page);
    const std::vector<int64_t> versions = VersionsOf(*page);
    rest.insert(rest.end(), versions.begin(), versions.end());
  }
  CHECK(rest == std::vector<int64_t>{3, 2, 1});

  request.set_page_token("");
  request.set_page_size(0);
  auto all = gw.Call(gw.admin_secret(), &ConfigStub::ListConfigs, request);
  GOFER_REQUIRE_OK(all);
  CHECK(VersionsOf(*all) == std::vector<int64_t>{6, 5, 4, 3, 2, 1});
  CHECK(all->next_page_token().empty());
}

TEST_CASE("DiffConfigs compares two versions, to_version 0 being the latest") {
  GatewayServer gw;
  gw.RegisterConfig(SimpleConfig("app", "alpine:3.19"));
  gw.RegisterConfig(SimpleConfig("app", "alpine:3.20"));
  auto request = In<v1::DiffConfigsRequest>("app");
  request.set_from_version(1);
  auto diff = gw.Call(gw.admin_secret(), &ConfigStub::DiffConfigs, request);
  GOFER_REQUIRE_OK(diff);
  CHECK(diff->from_version() == 1);
  CHECK(diff->to_version() == 2);
  CHECK(ChangesOf(*diff) ==
        std::vector<Change>{{v1::ConfigChange::KIND_CHANGED, "tasks[build].image",
                             R"("alpine:3.19")", R"("alpine:3.20")"},
                            {v1::ConfigChange::KIND_CHANGED, "tasks[test].image",
                             R"("alpine:3.19")", R"("alpine:3.20")"}});

  request.set_to_version(1);
  auto same = gw.Call(gw.admin_secret(), &ConfigStub::DiffConfigs, request);
  GOFER_REQUIRE_OK(same);
  CHECK(same->changes().empty());

  request.set_from_version(0);
  auto invalid = gw.Call(gw.admin_secret(), &ConfigStub::DiffConfigs, request);
  GOFER_REQUIRE_CODE(invalid, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(invalid.status()) == std::vector<std::string>{"from_version"});
  request.set_from_version(1);
  request.set_to_version(9);
  GOFER_REQUIRE_CODE(gw.Call(gw.admin_secret(), &ConfigStub::DiffConfigs, request),
                     absl::StatusCode::kNotFound);
}

TEST_CASE("DeleteConfig refuses the latest and live versions and deletes an old unreleased one") {
  GatewayServer gw;
  for (int i = 1; i <= 3; ++i) {
    gw.RegisterConfig(SimpleConfig("app", "alpine:3." + std::to_string(i)));
  }
  gw.Deploy("app", 2);
  auto delete_version = [&](int64_t version) {
    auto request = In<v1::DeleteConfigRequest>("app");
    request.set_version(version);
    return gw.Call(gw.admin_secret(), &ConfigStub::DeleteConfig, request).status();
  };
  const absl::Status latest = delete_version(3);
  CHECK(latest.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(latest) == "FAILED_PRECONDITION");
  CHECK(latest.message().find("the latest") != absl::string_view::npos);
  const absl::Status live = delete_version(2);
  CHECK(live.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(live.message().find("live") != absl::string_view::npos);
  CHECK(delete_version(9).code() == absl::StatusCode::kNotFound);
  CHECK(gw.CountEvents("pipeline.config_deleted") == 0);

  GOFER_REQUIRE_OK(delete_version(1));
  GOFER_REQUIRE_CODE(gw.Call(gw.admin_secret(), &ConfigStub::GetConfig, Version("app", 1)),
                     absl::StatusCode::kNotFound);
  CHECK(gw.QueryInt("SELECT count(*) FROM configs") == 2);
  CHECK(gw.CountEvents("pipeline.config_deleted") == 1);
}

TEST_CASE("ParseConfig parses the YAML example into its canonical form without storing it") {
  GatewayServer gw;
  v1::ParseConfigRequest request;
  request.set_content(ReadFixture("dag.yaml"));
  request.set_format("yaml");
  // Any authenticated caller may parse.
  auto parsed = gw.Call(gw.CreateToken({"read-only"}).secret(), &ConfigStub::ParseConfig, request);
  GOFER_REQUIRE_OK(parsed);
  const v1::PipelineConfig& config = parsed->config();
  CHECK(config.id() == "dag");
  CHECK(config.parallelism() == 2);
  CHECK(config.run_timeout().seconds() == 3600);
  std::vector<std::string> tasks;
  for (const v1::Task& t : config.tasks()) {
    tasks.push_back(t.id());
  }
  CHECK(tasks == std::vector<std::string>{"build", "cleanup", "notify-failure", "publish", "test"});
  CHECK(config.tasks(4).depends_on().at("build") == v1::DEPENDENCY_CONDITION_SUCCESS);
  CHECK(gw.QueryInt("SELECT count(*) FROM pipelines") == 0);
}

TEST_CASE("ParseConfig reports unknown fields with their path") {
  GatewayServer gw;
  v1::ParseConfigRequest request;
  request.set_content("id: app\ntasks:\n  - id: build\n    imag: alpine:3.19\n");
  auto parsed = gw.Call(gw.admin_secret(), &ConfigStub::ParseConfig, request);
  GOFER_REQUIRE_CODE(parsed, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(parsed.status()) == std::vector<std::string>{"tasks[0].imag"});
  request.set_format("toml");
  CHECK(ViolatedFields(gw.Call(gw.admin_secret(), &ConfigStub::ParseConfig, request).status()) ==
        std::vector<std::string>{"format"});
}

}  // namespace gofer::api_gateway
