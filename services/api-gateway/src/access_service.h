// gofer.v1.TokenService and gofer.v1.RoleService.
#pragma once

#include "access_store.h"
#include "gatekeeper.h"
#include "gofer/v1/tokens.grpc.pb.h"

namespace gofer::api_gateway {

class TokenService final : public v1::TokenService::CallbackService {
 public:
  TokenService(AccessStore& store, Gatekeeper& gate) : store_(store), gate_(gate) {}

  grpc::ServerUnaryReactor* BootstrapToken(grpc::CallbackServerContext* ctx,
                                           const v1::BootstrapTokenRequest* req,
                                           v1::TokenWithSecret* resp) override;
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* ctx,
                                        const v1::CreateTokenRequest* req,
                                        v1::TokenWithSecret* resp) override;
  grpc::ServerUnaryReactor* GetToken(grpc::CallbackServerContext* ctx,
                                     const v1::GetTokenRequest* req, v1::Token* resp) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* ctx,
                                       const v1::ListTokensRequest* req,
                                       v1::ListTokensResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateToken(grpc::CallbackServerContext* ctx,
                                        const v1::UpdateTokenRequest* req,
                                        v1::UpdateTokenResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteToken(grpc::CallbackServerContext* ctx,
                                        const v1::DeleteTokenRequest* req,
                                        v1::DeleteTokenResponse* resp) override;
  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* ctx, const v1::WhoAmIRequest* req,
                                   v1::Token* resp) override;

 private:
  AccessStore& store_;
  Gatekeeper& gate_;
};

class RoleService final : public v1::RoleService::CallbackService {
 public:
  RoleService(AccessStore& store, Gatekeeper& gate) : store_(store), gate_(gate) {}

  grpc::ServerUnaryReactor* CreateRole(grpc::CallbackServerContext* ctx,
                                       const v1::CreateRoleRequest* req, v1::Role* resp) override;
  grpc::ServerUnaryReactor* GetRole(grpc::CallbackServerContext* ctx, const v1::GetRoleRequest* req,
                                    v1::Role* resp) override;
  grpc::ServerUnaryReactor* ListRoles(grpc::CallbackServerContext* ctx,
                                      const v1::ListRolesRequest* req,
                                      v1::ListRolesResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateRole(grpc::CallbackServerContext* ctx,
                                       const v1::UpdateRoleRequest* req,
                                       v1::UpdateRoleResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteRole(grpc::CallbackServerContext* ctx,
                                       const v1::DeleteRoleRequest* req,
                                       v1::DeleteRoleResponse* resp) override;

 private:
  AccessStore& store_;
  Gatekeeper& gate_;
};

}  // namespace gofer::api_gateway
