// PipelineService through an in-process gateway on real Postgres: reading a pipeline with its
// latest and live versions, listing across pages while pipelines are added, disabling and
// enabling (changed=false when nothing changed), and deleting with configs and deployments.
#include <catch2/catch.hpp>

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
using PipelineStub = v1::PipelineService::Stub;

template <typename Request>
Request In(const std::string& pipeline, const std::string& ns = "default") {
  Request request;
  request.set_namespace_id(ns);
  request.set_pipeline_id(pipeline);
  return request;
}

v1::UpdatePipelineRequest SetState(const std::string& pipeline, v1::PipelineState state) {
  auto request = In<v1::UpdatePipelineRequest>(pipeline);
  request.set_state(state);
  return request;
}

std::vector<std::string> IdsOf(const v1::ListPipelinesResponse& page) {
  std::vector<std::string> ids;
  for (const v1::Pipeline& p : page.pipelines()) {
    ids.push_back(p.pipeline_id());
  }
  return ids;
}

std::vector<int64_t> LiveOf(const v1::Pipeline& pipeline) {
  return {pipeline.live_versions().begin(), pipeline.live_versions().end()};
}

}  // namespace

TEST_CASE("GetPipeline shows the config's name, the latest version and the live versions") {
  GatewayServer gw;
  v1::PipelineConfig config = SimpleConfig("app");
  config.set_description("Builds the app");
  gw.RegisterConfig(config);
  auto got =
      gw.Call(gw.admin_secret(), &PipelineStub::GetPipeline, In<v1::GetPipelineRequest>("app"));
  GOFER_REQUIRE_OK(got);
  CHECK(got->namespace_id() == "default");
  CHECK(got->pipeline_id() == "app");
  CHECK(got->name() == "Pipeline app");
  CHECK(got->description() == "Builds the app");
  CHECK(got->state() == v1::PIPELINE_STATE_ACTIVE);
  CHECK(got->latest_version() == 1);
  CHECK(got->live_versions().empty());
  CHECK(got->created().seconds() > 0);

  gw.RegisterConfig(SimpleConfig("app", "alpine:3.20"));
  gw.Deploy("app", 1);
  got = gw.Call(gw.admin_secret(), &PipelineStub::GetPipeline, In<v1::GetPipelineRequest>("app"));
  GOFER_REQUIRE_OK(got);
  CHECK(got->latest_version() == 2);
  CHECK(LiveOf(*got) == std::vector<int64_t>{1});
  gw.Deploy("app", 2, "default", /*canary_weight=*/10);
  got = gw.Call(gw.admin_secret(), &PipelineStub::GetPipeline, In<v1::GetPipelineRequest>("app"));
  GOFER_REQUIRE_OK(got);
  CHECK(LiveOf(*got) == std::vector<int64_t>{1, 2});
}

TEST_CASE("GetPipeline of a missing pipeline or namespace is NOT_FOUND naming it") {
  GatewayServer gw;
  auto missing =
      gw.Call(gw.admin_secret(), &PipelineStub::GetPipeline, In<v1::GetPipelineRequest>("ghost"));
  GOFER_REQUIRE_CODE(missing, absl::StatusCode::kNotFound);
  CHECK(missing.status().message() == "pipeline 'ghost' not found in namespace 'default'");
  CHECK(ReasonOf(missing.status()) == "RESOURCE_NOT_FOUND");
  auto no_namespace = gw.Call(gw.admin_secret(), &PipelineStub::GetPipeline,
                              In<v1::GetPipelineRequest>("ghost", "nope"));
  GOFER_REQUIRE_CODE(no_namespace, absl::StatusCode::kNotFound);
  CHECK(no_namespace.status().message() == "namespace 'nope' not found");
  CHECK(ReasonOf(no_namespace.status()) == "PARENT_NOT_FOUND");
  auto invalid = gw.Call(gw.admin_secret(), &PipelineStub::GetPipeline,
                         In<v1::GetPipelineRequest>("Bad_Id", "x"));
  GOFER_REQUIRE_CODE(invalid, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(invalid.status()) ==
        std::vector<std::string>{"namespace_id", "pipeline_id"});
}

TEST_CASE("ListPipelines pages in id order without repeats or gaps while pipelines are added") {
  GatewayServer gw;
  for (const char* id : {"p-h", "p-b", "p-f", "p-d"}) {
    gw.RegisterConfig(SimpleConfig(id));
  }
  gw.CreateNamespace("other");
  gw.RegisterConfig(SimpleConfig("p-c"), "other");  // another namespace: never listed
  v1::ListPipelinesRequest request;
  request.set_namespace_id("default");
  request.set_page_size(2);
  auto page = gw.Call(gw.admin_secret(), &PipelineStub::ListPipelines, request);
  GOFER_REQUIRE_OK(page);
  CHECK(IdsOf(*page) == std::vector<std::string>{"p-b", "p-d"});
  REQUIRE_FALSE(page->next_page_token().empty());
  gw.RegisterConfig(SimpleConfig("p-a"));  // before the position reached: not listed
  gw.RegisterConfig(SimpleConfig("p-e"));  // after it: listed once
  std::vector<std::string> rest;
  while (!page->next_page_token().empty()) {
    request.set_page_token(page->next_page_token());
    page = gw.Call(gw.admin_secret(), &PipelineStub::ListPipelines, request);
    GOFER_REQUIRE_OK(page);
    const std::vector<std::string> ids = IdsOf(*page);
    rest.insert(rest.end(), ids.begin(), ids.end());
  }
  CHECK(rest == std::vector<std::string>{"p-e", "p-f", "p-h"});

  request.set_namespace_id("other");
  auto reused = gw.Call(gw.admin_secret(), &PipelineStub::ListPipelines, request);
  GOFER_REQUIRE_CODE(reused, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(reused.status()) == std::vector<std::string>{"page_token"});
}

TEST_CASE("UpdatePipeline disables and enables, with changed=false and no event when unchanged") {
  GatewayServer gw;
  gw.RegisterConfig(SimpleConfig("app"));
  auto disabled = gw.Call(gw.admin_secret(), &PipelineStub::UpdatePipeline,
                          SetState("app", v1::PIPELINE_STATE_DISABLED));
  GOFER_REQUIRE_OK(disabled);
  CHECK(disabled->changed());
  CHECK(disabled->pipeline().state() == v1::PIPELINE_STATE_DISABLED);
  auto again = gw.Call(gw.admin_secret(), &PipelineStub::UpdatePipeline,
                       SetState("app", v1::PIPELINE_STATE_DISABLED));
  GOFER_REQUIRE_OK(again);
  CHECK_FALSE(again->changed());
  CHECK(again->pipeline().state() == v1::PIPELINE_STATE_DISABLED);
  CHECK(gw.CountEvents("pipeline.disabled") == 1);

  auto enabled = gw.Call(gw.admin_secret(), &PipelineStub::UpdatePipeline,
                         SetState("app", v1::PIPELINE_STATE_ACTIVE));
  GOFER_REQUIRE_OK(enabled);
  CHECK(enabled->changed());
  CHECK(enabled->pipeline().state() == v1::PIPELINE_STATE_ACTIVE);
  CHECK(gw.CountEvents("pipeline.enabled") == 1);

  v1::EventFilter filter;
  filter.set_namespace_id("default");
  filter.set_pipeline_id("app");
  filter.set_kind("pipeline.");
  const std::vector<v1::Event> events = gw.ListedEvents(filter, 4);
  CHECK(testing::KindsOf(events) ==
        std::vector<std::string>{"pipeline.created", "pipeline.config_registered",
                                 "pipeline.disabled", "pipeline.enabled"});
  CHECK(events[2].actor() == "token:bootstrap");
}

TEST_CASE("UpdatePipeline without a valid state or of a missing pipeline fails naming why") {
  GatewayServer gw;
  gw.RegisterConfig(SimpleConfig("app"));
  auto no_state = gw.Call(gw.admin_secret(), &PipelineStub::UpdatePipeline,
                          SetState("app", v1::PIPELINE_STATE_UNSPECIFIED));
  GOFER_REQUIRE_CODE(no_state, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(no_state.status()) == std::vector<std::string>{"state"});
  auto missing = gw.Call(gw.admin_secret(), &PipelineStub::UpdatePipeline,
                         SetState("ghost", v1::PIPELINE_STATE_DISABLED));
  GOFER_REQUIRE_CODE(missing, absl::StatusCode::kNotFound);
  CHECK(missing.status().message() == "pipeline 'ghost' not found in namespace 'default'");
}

TEST_CASE("DeletePipeline removes the pipeline with its configs and deployments") {
  GatewayServer gw;
  gw.RegisterConfig(SimpleConfig("app"));
  gw.RegisterConfig(SimpleConfig("app", "alpine:3.20"));
  gw.Deploy("app", 1);
  gw.RegisterConfig(SimpleConfig("keep"));
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &PipelineStub::DeletePipeline,
                           In<v1::DeletePipelineRequest>("app")));
  GOFER_REQUIRE_CODE(
      gw.Call(gw.admin_secret(), &PipelineStub::GetPipeline, In<v1::GetPipelineRequest>("app")),
      absl::StatusCode::kNotFound);
  CHECK(gw.QueryInt("SELECT count(*) FROM configs WHERE pipeline_id = 'app'") == 0);
  CHECK(gw.QueryInt("SELECT count(*) FROM deployments WHERE pipeline_id = 'app'") == 0);
  CHECK(gw.QueryInt("SELECT count(*) FROM configs WHERE pipeline_id = 'keep'") == 1);
  CHECK(gw.CountEvents("pipeline.deleted") == 1);

  auto again = gw.Call(gw.admin_secret(), &PipelineStub::DeletePipeline,
                       In<v1::DeletePipelineRequest>("app"));
  GOFER_REQUIRE_CODE(again, absl::StatusCode::kNotFound);
  CHECK(again.status().message() == "pipeline 'app' not found in namespace 'default'");

  // The id can be registered again, starting over at version 1.
  const v1::RegisterConfigResponse fresh = gw.RegisterConfig(SimpleConfig("app"));
  CHECK(fresh.pipeline_created());
  CHECK(fresh.version().version() == 1);
}

}  // namespace gofer::api_gateway
