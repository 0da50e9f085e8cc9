// gofer.gateway.v1.Gateway: what other Gofer services ask of the gateway (run tokens). Served on
// the gateway's port beside the public API, but every call must carry the internal credential
// (its own Runtime checks it); users' tokens are not accepted.
#pragma once

#include "access_store.h"
#include "gofer/gateway/v1/gateway.grpc.pb.h"
#include "gofer/rpc/runtime.h"

namespace gofer::api_gateway {

class InternalService final : public gateway::v1::Gateway::CallbackService {
 public:
  // `runtime` must require the internal credential.
  InternalService(AccessStore& access, rpc::Runtime& runtime)
      : access_(access), runtime_(runtime) {}

  grpc::ServerUnaryReactor* CreateRunToken(grpc::CallbackServerContext* ctx,
                                           const gateway::v1::CreateRunTokenRequest* req,
                                           gateway::v1::CreateRunTokenResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeRunTokens(grpc::CallbackServerContext* ctx,
                                            const gateway::v1::RevokeRunTokensRequest* req,
                                            gateway::v1::RevokeRunTokensResponse* resp) override;

 private:
  AccessStore& access_;
  rpc::Runtime& runtime_;
};

}  // namespace gofer::api_gateway
