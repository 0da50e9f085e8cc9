// The RBAC matrix rows of PipelineService, ConfigService and DeploymentService (see
// rbac_matrix_test.cc). Each needs "pipelines", "configs" or "deployments" with the action,
// plus the namespace and pipeline grants: the user role only in "default", read-only for reads
// everywhere; ParseConfig needs only authentication.
#include <string>

#include "gofer/testing/status.h"
#include "rbac_matrix.h"

namespace gofer::api_gateway::matrix {
namespace {

using testing::SimpleConfig;
using PipelineStub = v1::PipelineService::Stub;
using ConfigStub = v1::ConfigService::Stub;
using DeploymentStub = v1::DeploymentService::Stub;

// A call about something in namespace `ns`.
using NsCall = absl::Status (*)(Matrix&, const Who&, const std::string& ns);

Call In(const std::string& ns, NsCall call) {
  return [ns, call](Matrix& m, const Who& c) { return call(m, c, ns); };
}

template <typename Request>
Request Of(const std::string& ns, const std::string& pipeline) {
  Request request;
  request.set_namespace_id(ns);
  request.set_pipeline_id(pipeline);
  return request;
}

// A new pipeline of `ns` with `versions` registered versions (by the admin).
std::string FreshPipeline(Matrix& m, const std::string& ns, int versions) {
  const std::string id = m.Unique("fresh-");
  for (int i = 1; i <= versions; ++i) {
    m.gw.RegisterConfig(SimpleConfig(id, "alpine:3." + std::to_string(i)), ns);
  }
  return id;
}

// A new pipeline of `ns` whose deployment 2 is a running canary of version 2.
std::string RunningCanary(Matrix& m, const std::string& ns) {
  const std::string id = FreshPipeline(m, ns, 2);
  m.gw.Deploy(id, 1, ns);
  m.gw.Deploy(id, 2, ns, /*canary_weight=*/25);
  return id;
}

absl::Status GetPipeline(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &PipelineStub::GetPipeline, Of<v1::GetPipelineRequest>(ns, "fixed"))
      .status();
}

absl::Status ListPipelines(Matrix& m, const Who& c, const std::string& ns) {
  v1::ListPipelinesRequest request;
  request.set_namespace_id(ns);
  return m.gw.Call(c.secret, &PipelineStub::ListPipelines, request).status();
}

absl::Status UpdatePipeline(Matrix& m, const Who& c, const std::string& ns) {
  auto request = Of<v1::UpdatePipelineRequest>(ns, "fixed");
  request.set_state(v1::PIPELINE_STATE_ACTIVE);
  return m.gw.Call(c.secret, &PipelineStub::UpdatePipeline, request).status();
}

absl::Status DeletePipeline(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw
      .Call(c.secret, &PipelineStub::DeletePipeline,
            Of<v1::DeletePipelineRequest>(ns, FreshPipeline(m, ns, 1)))
      .status();
}

absl::Status RegisterConfig(Matrix& m, const Who& c, const std::string& ns) {
  v1::RegisterConfigRequest request;
  request.set_namespace_id(ns);
  *request.mutable_config() = SimpleConfig(m.Unique("registered-"));
  return m.gw.Call(c.secret, &ConfigStub::RegisterConfig, request).status();
}

absl::Status GetConfig(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &ConfigStub::GetConfig, Of<v1::GetConfigRequest>(ns, "fixed"))
      .status();
}

absl::Status ListConfigs(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &ConfigStub::ListConfigs, Of<v1::ListConfigsRequest>(ns, "fixed"))
      .status();
}

absl::Status DiffConfigs(Matrix& m, const Who& c, const std::string& ns) {
  auto request = Of<v1::DiffConfigsRequest>(ns, "fixed");
  request.set_from_version(1);
  request.set_to_version(2);
  return m.gw.Call(c.secret, &ConfigStub::DiffConfigs, request).status();
}

absl::Status DeleteConfig(Matrix& m, const Who& c, const std::string& ns) {
  auto request = Of<v1::DeleteConfigRequest>(ns, FreshPipeline(m, ns, 2));
  request.set_version(1);
  return m.gw.Call(c.secret, &ConfigStub::DeleteConfig, request).status();
}

absl::Status Deploy(Matrix& m, const Who& c, const std::string& ns) {
  auto request = Of<v1::DeployRequest>(ns, FreshPipeline(m, ns, 1));
  request.set_version(1);
  return m.gw.Call(c.secret, &DeploymentStub::Deploy, request).status();
}

absl::Status Promote(Matrix& m, const Who& c, const std::string& ns) {
  auto request = Of<v1::PromoteDeploymentRequest>(ns, RunningCanary(m, ns));
  request.set_deployment_id(2);
  return m.gw.Call(c.secret, &DeploymentStub::PromoteDeployment, request).status();
}

absl::Status Rollback(Matrix& m, const Who& c, const std::string& ns) {
  auto request = Of<v1::RollbackDeploymentRequest>(ns, RunningCanary(m, ns));
  request.set_deployment_id(2);
  return m.gw.Call(c.secret, &DeploymentStub::RollbackDeployment, request).status();
}

absl::Status GetDeployment(Matrix& m, const Who& c, const std::string& ns) {
  auto request = Of<v1::GetDeploymentRequest>(ns, "fixed");
  request.set_deployment_id(1);
  return m.gw.Call(c.secret, &DeploymentStub::GetDeployment, request).status();
}

absl::Status ListDeployments(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw
      .Call(c.secret, &DeploymentStub::ListDeployments, Of<v1::ListDeploymentsRequest>(ns, "fixed"))
      .status();
}

}  // namespace

std::vector<Row> PipelineRows() {
  return {
      // method, variant, admin, user, read-only, no token
      {"PipelineService.GetPipeline", "default", A, A, A, U, In("default", GetPipeline)},
      {"PipelineService.GetPipeline", "other", A, D, A, U, In("other", GetPipeline)},
      {"PipelineService.ListPipelines", "default", A, A, A, U, In("default", ListPipelines)},
      {"PipelineService.ListPipelines", "other", A, D, A, U, In("other", ListPipelines)},
      {"PipelineService.UpdatePipeline", "default", A, A, D, U, In("default", UpdatePipeline)},
      {"PipelineService.UpdatePipeline", "other", A, D, D, U, In("other", UpdatePipeline)},
      {"PipelineService.DeletePipeline", "default", A, A, D, U, In("default", DeletePipeline)},
      {"PipelineService.DeletePipeline", "other", A, D, D, U, In("other", DeletePipeline)},
      {"ConfigService.RegisterConfig", "default", A, A, D, U, In("default", RegisterConfig)},
      {"ConfigService.RegisterConfig", "other", A, D, D, U, In("other", RegisterConfig)},
      {"ConfigService.ParseConfig", "", A, A, A, U, S([](Matrix& m, const Who& c) {
         v1::ParseConfigRequest request;
         request.set_content("id: parsed\ntasks:\n  - id: build\n    image: alpine:3.19\n");
         return m.gw.Call(c.secret, &ConfigStub::ParseConfig, request);
       })},
      {"ConfigService.GetConfig", "default", A, A, A, U, In("default", GetConfig)},
      {"ConfigService.GetConfig", "other", A, D, A, U, In("other", GetConfig)},
      {"ConfigService.ListConfigs", "default", A, A, A, U, In("default", ListConfigs)},
      {"ConfigService.ListConfigs", "other", A, D, A, U, In("other", ListConfigs)},
      {"ConfigService.DiffConfigs", "default", A, A, A, U, In("default", DiffConfigs)},
      {"ConfigService.DiffConfigs", "other", A, D, A, U, In("other", DiffConfigs)},
      {"ConfigService.DeleteConfig", "default", A, A, D, U, In("default", DeleteConfig)},
      {"ConfigService.DeleteConfig", "other", A, D, D, U, In("other", DeleteConfig)},
      {"DeploymentService.Deploy", "default", A, A, D, U, In("default", Deploy)},
      {"DeploymentService.Deploy", "other", A, D, D, U, In("other", Deploy)},
      {"DeploymentService.PromoteDeployment", "default", A, A, D, U, In("default", Promote)},
      {"DeploymentService.PromoteDeployment", "other", A, D, D, U, In("other", Promote)},
      {"DeploymentService.RollbackDeployment", "default", A, A, D, U, In("default", Rollback)},
      {"DeploymentService.RollbackDeployment", "other", A, D, D, U, In("other", Rollback)},
      {"DeploymentService.GetDeployment", "default", A, A, A, U, In("default", GetDeployment)},
      {"DeploymentService.GetDeployment", "other", A, D, A, U, In("other", GetDeployment)},
      {"DeploymentService.ListDeployments", "default", A, A, A, U, In("default", ListDeployments)},
      {"DeploymentService.ListDeployments", "other", A, D, A, U, In("other", ListDeployments)},
  };
}

}  // namespace gofer::api_gateway::matrix
