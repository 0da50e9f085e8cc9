// gofer.v1.PipelineService, ConfigService and DeploymentService.
#pragma once

#include "deployment_store.h"
#include "gatekeeper.h"
#include "gofer/v1/deployments.grpc.pb.h"
#include "gofer/v1/pipelines.grpc.pb.h"
#include "pipeline_store.h"

namespace gofer::api_gateway {

class PipelineService final : public v1::PipelineService::CallbackService {
 public:
  PipelineService(PipelineStore& store, Gatekeeper& gate) : store_(store), gate_(gate) {}

  grpc::ServerUnaryReactor* GetPipeline(grpc::CallbackServerContext* ctx,
                                        const v1::GetPipelineRequest* req,
                                        v1::Pipeline* resp) override;
  grpc::ServerUnaryReactor* ListPipelines(grpc::CallbackServerContext* ctx,
                                          const v1::ListPipelinesRequest* req,
                                          v1::ListPipelinesResponse* resp) override;
  grpc::ServerUnaryReactor* UpdatePipeline(grpc::CallbackServerContext* ctx,
                                           const v1::UpdatePipelineRequest* req,
                                           v1::UpdatePipelineResponse* resp) override;
  grpc::ServerUnaryReactor* DeletePipeline(grpc::CallbackServerContext* ctx,
                                           const v1::DeletePipelineRequest* req,
                                           v1::DeletePipelineResponse* resp) override;

 private:
  PipelineStore& store_;
  Gatekeeper& gate_;
};

class ConfigService final : public v1::ConfigService::CallbackService {
 public:
  ConfigService(PipelineStore& store, Gatekeeper& gate) : store_(store), gate_(gate) {}

  grpc::ServerUnaryReactor* RegisterConfig(grpc::CallbackServerContext* ctx,
                                           const v1::RegisterConfigRequest* req,
                                           v1::RegisterConfigResponse* resp) override;
  grpc::ServerUnaryReactor* ParseConfig(grpc::CallbackServerContext* ctx,
                                        const v1::ParseConfigRequest* req,
                                        v1::ParseConfigResponse* resp) override;
  grpc::ServerUnaryReactor* GetConfig(grpc::CallbackServerContext* ctx,
                                      const v1::GetConfigRequest* req,
                                      v1::ConfigVersion* resp) override;
  grpc::ServerUnaryReactor* ListConfigs(grpc::CallbackServerContext* ctx,
                                        const v1::ListConfigsRequest* req,
                                        v1::ListConfigsResponse* resp) override;
  grpc::ServerUnaryReactor* DiffConfigs(grpc::CallbackServerContext* ctx,
                                        const v1::DiffConfigsRequest* req,
                                        v1::ConfigDiff* resp) override;
  grpc::ServerUnaryReactor* DeleteConfig(grpc::CallbackServerContext* ctx,
                                         const v1::DeleteConfigRequest* req,
                                         v1::DeleteConfigResponse* resp) override;

 private:
  PipelineStore& store_;
  Gatekeeper& gate_;
};

class DeploymentService final : public v1::DeploymentService::CallbackService {
 public:
  DeploymentService(DeploymentStore& store, Gatekeeper& gate) : store_(store), gate_(gate) {}

  grpc::ServerUnaryReactor* Deploy(grpc::CallbackServerContext* ctx, const v1::DeployRequest* req,
                                   v1::Deployment* resp) override;
  grpc::ServerUnaryReactor* PromoteDeployment(grpc::CallbackServerContext* ctx,
                                              const v1::PromoteDeploymentRequest* req,
                                              v1::Deployment* resp) override;
  grpc::ServerUnaryReactor* RollbackDeployment(grpc::CallbackServerContext* ctx,
                                               const v1::RollbackDeploymentRequest* req,
                                               v1::Deployment* resp) override;
  grpc::ServerUnaryReactor* GetDeployment(grpc::CallbackServerContext* ctx,
                                          const v1::GetDeploymentRequest* req,
                                          v1::Deployment* resp) override;
  grpc::ServerUnaryReactor* ListDeployments(grpc::CallbackServerContext* ctx,
                                            const v1::ListDeploymentsRequest* req,
                                            v1::ListDeploymentsResponse* resp) override;

 private:
  DeploymentStore& store_;
  Gatekeeper& gate_;
};

}  // namespace gofer::api_gateway
