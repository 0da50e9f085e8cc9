// DeploymentService through an in-process gateway on real Postgres: immediate and canary
// deployments moving the live version(s), one running deployment at a time, promote and
// rollback, steps and events in order, validation, reading and listing across pages.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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
using DeploymentStub = v1::DeploymentService::Stub;

template <typename Request>
Request In(const std::string& pipeline, const std::string& ns = "default") {
  Request request;
  request.set_namespace_id(ns);
  request.set_pipeline_id(pipeline);
  return request;
}

template <typename Request>
Request Of(int64_t deployment_id, const std::string& pipeline = "app") {
  auto request = In<Request>(pipeline);
  request.set_deployment_id(deployment_id);
  return request;
}

v1::DeployRequest DeployOf(int64_t version, const std::string& pipeline = "app") {
  auto request = In<v1::DeployRequest>(pipeline);
  request.set_version(version);
  return request;
}

// Registers `n` distinct versions of pipeline "app".
void RegisterVersions(GatewayServer& gw, int n) {
  for (int i = 1; i <= n; ++i) {
    gw.RegisterConfig(SimpleConfig("app", "alpine:3." + std::to_string(i)));
  }
}

v1::ConfigState StateOf(GatewayServer& gw, int64_t version) {
  auto request = In<v1::GetConfigRequest>("app");
  request.set_version(version);
  auto config = gw.Call(gw.admin_secret(), &v1::ConfigService::Stub::GetConfig, request);
  GOFER_REQUIRE_OK(config);
  return config->state();
}

std::vector<int64_t> LiveVersions(GatewayServer& gw) {
  auto p = gw.Call(gw.admin_secret(), &v1::PipelineService::Stub::GetPipeline,
                   In<v1::GetPipelineRequest>("app"));
  GOFER_REQUIRE_OK(p);
  return {p->live_versions().begin(), p->live_versions().end()};
}

std::vector<std::string> StepKinds(const v1::Deployment& d) {
  std::vector<std::string> kinds;
  for (const v1::DeploymentStep& s : d.steps()) {
    kinds.push_back(s.kind());
  }
  return kinds;
}

std::vector<int64_t> IdsOf(const v1::ListDeploymentsResponse& page) {
  std::vector<int64_t> ids;
  for (const v1::Deployment& d : page.deployments()) {
    ids.push_back(d.id());
  }
  return ids;
}

}  // namespace

TEST_CASE("An immediate deployment makes its version the only live one and deprecates the last") {
  GatewayServer gw;
  RegisterVersions(gw, 2);
  const v1::Deployment first = gw.Deploy("app", 1);
  CHECK(first.id() == 1);
  CHECK(first.type() == v1::DEPLOYMENT_TYPE_IMMEDIATE);
  CHECK(first.start_version() == 0);
  CHECK(first.end_version() == 1);
  CHECK(first.state() == v1::DEPLOYMENT_STATE_COMPLETE);
  CHECK(first.status() == v1::DEPLOYMENT_STATUS_SUCCESSFUL);
  CHECK(StepKinds(first) == std::vector<std::string>{"started", "promoted"});
  CHECK(first.ended().seconds() > 0);
  CHECK_FALSE(first.has_canary());
  CHECK(StateOf(gw, 1) == v1::CONFIG_STATE_LIVE);
  CHECK(StateOf(gw, 2) == v1::CONFIG_STATE_UNRELEASED);

  const v1::Deployment second = gw.Deploy("app", 2);
  CHECK(second.id() == 2);
  CHECK(second.start_version() == 1);
  CHECK(second.end_version() == 2);
  CHECK(LiveVersions(gw) == std::vector<int64_t>{2});
  CHECK(StateOf(gw, 1) == v1::CONFIG_STATE_DEPRECATED);
  CHECK(StateOf(gw, 2) == v1::CONFIG_STATE_LIVE);
}

TEST_CASE("Deploying the only live version again is FAILED_PRECONDITION") {
  GatewayServer gw;
  RegisterVersions(gw, 1);
  gw.Deploy("app", 1);
  auto again = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, DeployOf(1));
  GOFER_REQUIRE_CODE(again, absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(again.status()) == "FAILED_PRECONDITION");
  CHECK(again.status().message() == "version 1 is already the live version of pipeline 'app'");
  CHECK(gw.QueryInt("SELECT count(*) FROM deployments") == 1);
}

TEST_CASE("A canary deployment needs a live version to compare with") {
  GatewayServer gw;
  RegisterVersions(gw, 1);
  auto request = DeployOf(1);
  request.set_type(v1::DEPLOYMENT_TYPE_CANARY);
  request.mutable_canary()->set_weight_percent(10);
  auto canary = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, request);
  GOFER_REQUIRE_CODE(canary, absl::StatusCode::kFailedPrecondition);
  CHECK(canary.status().message().find("nothing is live yet") != absl::string_view::npos);
  CHECK(LiveVersions(gw).empty());
}

TEST_CASE("A running canary keeps two versions live and refuses other deployments") {
  GatewayServer gw;
  RegisterVersions(gw, 3);
  gw.Deploy("app", 1);
  auto request = DeployOf(2);
  request.set_type(v1::DEPLOYMENT_TYPE_CANARY);
  request.mutable_canary()->set_weight_percent(20);
  request.mutable_canary()->set_min_runs(5);
  request.mutable_canary()->set_max_failure_percent(50);
  auto canary = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, request);
  GOFER_REQUIRE_OK(canary);
  CHECK(canary->id() == 2);
  CHECK(canary->type() == v1::DEPLOYMENT_TYPE_CANARY);
  CHECK(canary->state() == v1::DEPLOYMENT_STATE_RUNNING);
  CHECK(canary->status() == v1::DEPLOYMENT_STATUS_UNSPECIFIED);
  CHECK(canary->start_version() == 1);
  CHECK(canary->end_version() == 2);
  CHECK(canary->canary().SerializeAsString() == request.canary().SerializeAsString());
  CHECK(StepKinds(*canary) == std::vector<std::string>{"started", "weight_changed"});
  CHECK_FALSE(canary->has_ended());
  CHECK(LiveVersions(gw) == std::vector<int64_t>{1, 2});

  for (int64_t version : {3, 1}) {
    auto blocked = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, DeployOf(version));
    GOFER_REQUIRE_CODE(blocked, absl::StatusCode::kFailedPrecondition);
    CHECK(blocked.status().message() ==
          "deployment 2 of pipeline 'app' is still running; promote or roll it back first");
  }
  CHECK(LiveVersions(gw) == std::vector<int64_t>{1, 2});
}

TEST_CASE("Promoting a canary leaves only its target live") {
  GatewayServer gw;
  RegisterVersions(gw, 2);
  gw.Deploy("app", 1);
  gw.Deploy("app", 2, "default", /*canary_weight=*/30);
  auto promoted = gw.Call(gw.admin_secret(), &DeploymentStub::PromoteDeployment,
                          Of<v1::PromoteDeploymentRequest>(2));
  GOFER_REQUIRE_OK(promoted);
  CHECK(promoted->state() == v1::DEPLOYMENT_STATE_COMPLETE);
  CHECK(promoted->status() == v1::DEPLOYMENT_STATUS_SUCCESSFUL);
  CHECK(StepKinds(*promoted) == std::vector<std::string>{"started", "weight_changed", "promoted"});
  CHECK(promoted->ended().seconds() > 0);
  CHECK(LiveVersions(gw) == std::vector<int64_t>{2});
  CHECK(StateOf(gw, 1) == v1::CONFIG_STATE_DEPRECATED);

  auto again = gw.Call(gw.admin_secret(), &DeploymentStub::PromoteDeployment,
                       Of<v1::PromoteDeploymentRequest>(2));
  GOFER_REQUIRE_CODE(again, absl::StatusCode::kFailedPrecondition);
  CHECK(again.status().message() == "deployment 2 is already complete");
}

TEST_CASE("Rolling back a canary leaves only its start version live and records the reason") {
  GatewayServer gw;
  RegisterVersions(gw, 2);
  gw.Deploy("app", 1);
  gw.Deploy("app", 2, "default", /*canary_weight=*/30);
  auto request = Of<v1::RollbackDeploymentRequest>(2);
  request.set_reason("too many failures");
  auto rolled_back = gw.Call(gw.admin_secret(), &DeploymentStub::RollbackDeployment, request);
  GOFER_REQUIRE_OK(rolled_back);
  CHECK(rolled_back->state() == v1::DEPLOYMENT_STATE_COMPLETE);
  CHECK(rolled_back->status() == v1::DEPLOYMENT_STATUS_ROLLED_BACK);
  REQUIRE(StepKinds(*rolled_back) ==
          std::vector<std::string>{"started", "weight_changed", "rolled_back"});
  CHECK(rolled_back->steps(2).description() ==
        "rolled back to version 1 by token:bootstrap: too many failures");
  CHECK(LiveVersions(gw) == std::vector<int64_t>{1});
  CHECK(StateOf(gw, 1) == v1::CONFIG_STATE_LIVE);
  CHECK(StateOf(gw, 2) != v1::CONFIG_STATE_LIVE);
  // Nothing runs any more: the next deployment may start.
  gw.Deploy("app", 2);
  CHECK(LiveVersions(gw) == std::vector<int64_t>{2});
}

TEST_CASE("Every deployment step is an event, in order, naming the deployment and the caller") {
  GatewayServer gw;
  RegisterVersions(gw, 3);
  gw.Deploy("app", 1);
  gw.Deploy("app", 2, "default", 50);
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &DeploymentStub::PromoteDeployment,
                           Of<v1::PromoteDeploymentRequest>(2)));
  gw.Deploy("app", 3, "default", 50);
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &DeploymentStub::RollbackDeployment,
                           Of<v1::RollbackDeploymentRequest>(3)));
  v1::EventFilter filter;
  filter.set_namespace_id("default");
  filter.set_pipeline_id("app");
  filter.set_kind("deployment.");
  const std::vector<v1::Event> events = gw.ListedEvents(filter, 6);
  CHECK(testing::KindsOf(events) ==
        std::vector<std::string>{"deployment.started", "deployment.promoted", "deployment.started",
                                 "deployment.promoted", "deployment.started",
                                 "deployment.rolled_back"});
  const std::vector<int> ids{1, 1, 2, 2, 3, 3};
  for (size_t i = 0; i < events.size() && i < ids.size(); ++i) {
    INFO(events[i].details());
    CHECK(events[i].actor() == "token:bootstrap");
    CHECK(nlohmann::json::parse(events[i].details()).value("deployment_id", 0) == ids[i]);
  }
}

TEST_CASE("Invalid deployment requests are INVALID_ARGUMENT naming every broken field") {
  GatewayServer gw;
  RegisterVersions(gw, 2);
  gw.Deploy("app", 1);
  auto canary = DeployOf(2);
  canary.set_type(v1::DEPLOYMENT_TYPE_CANARY);
  canary.mutable_canary()->set_weight_percent(100);
  canary.mutable_canary()->set_min_runs(-1);
  canary.mutable_canary()->set_max_failure_percent(101);
  auto weights = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, canary);
  GOFER_REQUIRE_CODE(weights, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(weights.status()) == std::vector<std::string>{"canary.weight_percent",
                                                                     "canary.min_runs",
                                                                     "canary.max_failure_percent"});

  canary.clear_canary();  // a canary without settings has no weight
  CHECK(ViolatedFields(gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, canary).status()) ==
        std::vector<std::string>{"canary.weight_percent"});

  auto immediate = In<v1::DeployRequest>("Bad_Id");
  immediate.set_type(static_cast<v1::DeploymentType>(7));
  CHECK(ViolatedFields(gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, immediate).status()) ==
        std::vector<std::string>{"pipeline_id", "version", "type"});
  auto with_settings = DeployOf(2);
  with_settings.mutable_canary()->set_weight_percent(10);
  CHECK(
      ViolatedFields(gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, with_settings).status()) ==
      std::vector<std::string>{"canary"});
  auto rollback = Of<v1::RollbackDeploymentRequest>(1);
  rollback.set_reason(std::string(1025, 'x'));
  CHECK(ViolatedFields(
            gw.Call(gw.admin_secret(), &DeploymentStub::RollbackDeployment, rollback).status()) ==
        std::vector<std::string>{"reason"});
  CHECK(gw.QueryInt("SELECT count(*) FROM deployments") == 1);
}

TEST_CASE("Deployments are read one by one and listed newest first across pages") {
  GatewayServer gw;
  RegisterVersions(gw, 3);
  for (int64_t version : {1, 2, 3, 1, 2}) {
    gw.Deploy("app", version);
  }
  auto got =
      gw.Call(gw.admin_secret(), &DeploymentStub::GetDeployment, Of<v1::GetDeploymentRequest>(3));
  GOFER_REQUIRE_OK(got);
  CHECK(got->id() == 3);
  CHECK(got->start_version() == 2);
  CHECK(got->end_version() == 3);

  auto request = In<v1::ListDeploymentsRequest>("app");
  request.set_page_size(2);
  auto page = gw.Call(gw.admin_secret(), &DeploymentStub::ListDeployments, request);
  GOFER_REQUIRE_OK(page);
  CHECK(IdsOf(*page) == std::vector<int64_t>{5, 4});
  gw.Deploy("app", 3);  // deployment 6, between pages: not in the later pages
  std::vector<int64_t> rest;
  while (!page->next_page_token().empty()) {
    request.set_page_token(page->next_page_token());
    page = gw.Call(gw.admin_secret(), &DeploymentStub::ListDeployments, request);
    GOFER_REQUIRE_OK(page);
    const std::vector<int64_t> ids = IdsOf(*page);
    rest.insert(rest.end(), ids.begin(), ids.end());
  }
  CHECK(rest == std::vector<int64_t>{3, 2, 1});
}

TEST_CASE("A missing deployment, version or pipeline is NOT_FOUND naming it") {
  GatewayServer gw;
  RegisterVersions(gw, 1);
  const std::string missing = "deployment '42' not found in pipeline 'app', namespace 'default'";
  for (const absl::Status& status :
       {gw.Call(gw.admin_secret(), &DeploymentStub::GetDeployment, Of<v1::GetDeploymentRequest>(42))
            .status(),
        gw.Call(gw.admin_secret(), &DeploymentStub::PromoteDeployment,
                Of<v1::PromoteDeploymentRequest>(42))
            .status(),
        gw.Call(gw.admin_secret(), &DeploymentStub::RollbackDeployment,
                Of<v1::RollbackDeploymentRequest>(42))
            .status()}) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kNotFound);
    CHECK(status.message() == missing);
    CHECK(ReasonOf(status) == "RESOURCE_NOT_FOUND");
  }
  auto version = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, DeployOf(9));
  GOFER_REQUIRE_CODE(version, absl::StatusCode::kNotFound);
  CHECK(version.status().message() ==
        "config version '9' not found in pipeline 'app', namespace 'default'");
  auto pipeline = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, DeployOf(1, "ghost"));
  GOFER_REQUIRE_CODE(pipeline, absl::StatusCode::kNotFound);
  CHECK(pipeline.status().message() == "pipeline 'ghost' not found in namespace 'default'");
  CHECK(ReasonOf(pipeline.status()) == "PARENT_NOT_FOUND");
}

}  // namespace gofer::api_gateway
