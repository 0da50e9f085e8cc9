// Gateway records ⇄ gofer.v1 messages.
#pragma once

#include "absl/time/time.h"
#include "access_store.h"
#include "deployment_store.h"
#include "gofer/v1/deployments.pb.h"
#include "gofer/v1/namespaces.pb.h"
#include "gofer/v1/pipelines.pb.h"
#include "gofer/v1/tokens.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "namespace_store.h"
#include "pipeline_store.h"

namespace gofer::api_gateway {

void ToProto(const NamespaceRecord& ns, v1::Namespace* out);
void ToProto(const TokenRecord& token, v1::Token* out);
void ToProto(const RoleRecord& role, v1::Role* out);
void ToProto(const Permission& permission, v1::Permission* out);
void ToProto(const PipelineRecord& pipeline, v1::Pipeline* out);
void ToProto(const ConfigRecord& config, v1::ConfigVersion* out);
void ToProto(const DeploymentRecord& deployment, v1::Deployment* out);
// Requests are validated first (ValidatePermissions); unknown actions are dropped here.
Permission FromProto(const v1::Permission& permission);

}  // namespace gofer::api_gateway
