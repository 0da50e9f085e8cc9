#include "access_service.h"

#include <fmt/format.h>

#include "convert.h"
#include "gofer/common/errors.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/rpc/status.h"

namespace gofer::api_gateway {
namespace {

constexpr int kMaxMetadata = 32;

Need Admin(Action action, const char* kind) {
  return {.kind = kind, .action = action, .admin_only = true};
}

void ValidatePermissions(const google::protobuf::RepeatedPtrField<v1::Permission>& permissions,
                         Violations& v) {
  for (int i = 0; i < permissions.size(); ++i) {
    const std::string field = fmt::format("permissions[{}]", i);
    if (permissions[i].resources().empty()) {
      v.Add(field + ".resources", "must name at least one resource");
    }
    for (int j = 0; j < permissions[i].resources_size(); ++j) {
      if (auto why = ResourceViolation(permissions[i].resources(j))) {
        v.Add(fmt::format("{}.resources[{}]", field, j), *why);
      }
    }
    if (permissions[i].actions().empty()) {
      v.Add(field + ".actions", "must name at least one action");
    }
    for (int a : permissions[i].actions()) {
      if (a < 1 || a > 3) {
        v.Add(field + ".actions", "must be ACTION_READ, ACTION_WRITE or ACTION_DELETE");
      }
    }
  }
}

std::vector<Permission> FromProto(const google::protobuf::RepeatedPtrField<v1::Permission>& list) {
  std::vector<Permission> out;
  for (const v1::Permission& p : list) {
    out.push_back(api_gateway::FromProto(p));
  }
  return out;
}

bool CanReadRole(const Caller& caller, const std::string& role) {
  const auto& held = caller.principal.token.roles;
  return std::find(held.begin(), held.end(), role) != held.end() ||
         Allows(caller.principal.permissions, Admin(Action::kRead, "roles"));
}

void Fill(const NewToken& created, v1::TokenWithSecret* resp) {
  ToProto(created.token, resp->mutable_token());
  resp->set_secret(created.secret);
}

}  // namespace

grpc::ServerUnaryReactor* TokenService::BootstrapToken(grpc::CallbackServerContext* ctx,
                                                       const v1::BootstrapTokenRequest*,
                                                       v1::TokenWithSecret* resp) {
  // The one call without authentication: it works once per installation.
  return rpc::Unary(ctx, gate_.runtime(), [this, resp]() -> absl::Status {
    auto created = store_.Bootstrap();
    if (created.ok()) {
      Fill(*created, resp);
    }
    return gate_.Sanitize(created.status(), "BootstrapToken");
  });
}

grpc::ServerUnaryReactor* TokenService::CreateToken(grpc::CallbackServerContext* ctx,
                                                    const v1::CreateTokenRequest* req,
                                                    v1::TokenWithSecret* resp) {
  return gate_.Unary(
      ctx, Admin(Action::kWrite, "tokens"),
      [this, req, resp](const Caller& caller) -> absl::Status {
        Violations v;
        if (req->user().empty() || req->user().size() > 128) {
          v.Add("user", "must be 1-128 characters");
        }
        if (req->roles().empty()) {
          v.Add("roles", "must name at least one role");
        }
        for (int i = 0; i < req->roles_size(); ++i) {
          v.CheckIdentifier(fmt::format("roles[{}]", i), req->roles(i));
        }
        if (req->metadata_size() > kMaxMetadata) {
          v.Add("metadata", fmt::format("at most {} entries", kMaxMetadata));
        }
        for (const auto& [key, value] : req->metadata()) {
          if (key.empty() || key.size() > 64 || value.size() > 256) {
            v.Add(fmt::format("metadata[{}]", key),
                  "keys must be 1-64 characters and values at most 256");
          }
        }
        const absl::Duration expires_in = rpc::FromDuration(req->expires_in());
        if (expires_in < absl::ZeroDuration()) {
          v.Add("expires_in", "must not be negative");
        }
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        GOFER_ASSIGN_OR_RETURN(
            NewToken created,
            store_.CreateToken(req->user(), {req->roles().begin(), req->roles().end()},
                               {req->metadata().begin(), req->metadata().end()}, expires_in,
                               caller.actor));
        Fill(created, resp);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TokenService::GetToken(grpc::CallbackServerContext* ctx,
                                                 const v1::GetTokenRequest* req, v1::Token* resp) {
  // Admins read any token; anyone reads their own.
  return gate_.Authenticated(ctx, [this, req, resp](const Caller& caller) -> absl::Status {
    if (req->id() != caller.principal.token.id &&
        !Allows(caller.principal.permissions, Admin(Action::kRead, "tokens"))) {
      return WithErrorInfo(absl::PermissionDeniedError("only admins may read other tokens"),
                           ErrorReason::kPermissionDenied);
    }
    GOFER_ASSIGN_OR_RETURN(TokenRecord token, store_.GetToken(req->id()));
    ToProto(token, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TokenService::ListTokens(grpc::CallbackServerContext* ctx,
                                                   const v1::ListTokensRequest* req,
                                                   v1::ListTokensResponse* resp) {
  return gate_.Unary(
      ctx, Admin(Action::kRead, "tokens"), [this, req, resp](const Caller&) -> absl::Status {
        GOFER_ASSIGN_OR_RETURN(PageRequest page,
                               ParsePageRequest(req->page_size(), req->page_token(), "tokens"));
        GOFER_ASSIGN_OR_RETURN(auto tokens, store_.ListTokens(page.after, page.limit + 1));
        if (static_cast<int>(tokens.size()) > page.limit) {
          tokens.resize(page.limit);
          resp->set_next_page_token(MakePageToken(tokens.back().id, "tokens"));
        }
        for (const TokenRecord& t : tokens) {
          ToProto(t, resp->add_tokens());
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TokenService::UpdateToken(grpc::CallbackServerContext* ctx,
                                                    const v1::UpdateTokenRequest* req,
                                                    v1::UpdateTokenResponse* resp) {
  return gate_.Unary(ctx, Admin(Action::kWrite, "tokens"),
                     [this, req, resp](const Caller& caller) -> absl::Status {
                       if (!req->has_disabled()) {
                         GOFER_ASSIGN_OR_RETURN(TokenRecord token, store_.GetToken(req->id()));
                         ToProto(token, resp->mutable_token());
                         return absl::OkStatus();  // nothing asked, nothing changed
                       }
                       GOFER_ASSIGN_OR_RETURN(
                           auto updated,
                           store_.SetTokenDisabled(req->id(), req->disabled(), caller.actor));
                       ToProto(updated.first, resp->mutable_token());
                       resp->set_changed(updated.second);
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* TokenService::DeleteToken(grpc::CallbackServerContext* ctx,
                                                    const v1::DeleteTokenRequest* req,
                                                    v1::DeleteTokenResponse*) {
  return gate_.Unary(ctx, Admin(Action::kDelete, "tokens"), [this, req](const Caller& caller) {
    return store_.DeleteToken(req->id(), caller.actor);
  });
}

grpc::ServerUnaryReactor* TokenService::WhoAmI(grpc::CallbackServerContext* ctx,
                                               const v1::WhoAmIRequest*, v1::Token* resp) {
  return gate_.Authenticated(ctx, [resp](const Caller& caller) {
    ToProto(caller.principal.token, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoleService::CreateRole(grpc::CallbackServerContext* ctx,
                                                  const v1::CreateRoleRequest* req,
                                                  v1::Role* resp) {
  return gate_.Unary(
      ctx, Admin(Action::kWrite, "roles"), [this, req, resp](const Caller& caller) -> absl::Status {
        Violations v;
        v.CheckIdentifier("role.id", req->role().id());
        if (req->role().description().size() > 1024) {
          v.Add("role.description", "must be at most 1024 characters");
        }
        ValidatePermissions(req->role().permissions(), v);
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        GOFER_ASSIGN_OR_RETURN(RoleRecord role,
                               store_.CreateRole({req->role().id(), req->role().description(),
                                                  FromProto(req->role().permissions())},
                                                 caller.actor));
        ToProto(role, resp);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RoleService::GetRole(grpc::CallbackServerContext* ctx,
                                               const v1::GetRoleRequest* req, v1::Role* resp) {
  // Admins read every role; anyone reads the roles their own token holds.
  return gate_.Authenticated(ctx, [this, req, resp](const Caller& caller) -> absl::Status {
    if (!CanReadRole(caller, req->id())) {
      return WithErrorInfo(absl::PermissionDeniedError(
                               "only admins may read roles other than those of their own token"),
                           ErrorReason::kPermissionDenied);
    }
    GOFER_ASSIGN_OR_RETURN(RoleRecord role, store_.GetRole(req->id()));
    ToProto(role, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoleService::ListRoles(grpc::CallbackServerContext* ctx,
                                                 const v1::ListRolesRequest* req,
                                                 v1::ListRolesResponse* resp) {
  return gate_.Authenticated(ctx, [this, req, resp](const Caller& caller) -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(PageRequest page,
                           ParsePageRequest(req->page_size(), req->page_token(), "roles"));
    GOFER_ASSIGN_OR_RETURN(auto roles, store_.ListRoles(page.after, page.limit + 1));
    if (static_cast<int>(roles.size()) > page.limit) {
      roles.resize(page.limit);
      resp->set_next_page_token(MakePageToken(roles.back().id, "roles"));
    }
    for (const RoleRecord& r : roles) {
      if (CanReadRole(caller, r.id)) {  // others see only their own token's roles
        ToProto(r, resp->add_roles());
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoleService::UpdateRole(grpc::CallbackServerContext* ctx,
                                                  const v1::UpdateRoleRequest* req,
                                                  v1::UpdateRoleResponse* resp) {
  return gate_.Unary(
      ctx, Admin(Action::kWrite, "roles"), [this, req, resp](const Caller& caller) -> absl::Status {
        Violations v;
        v.CheckIdentifier("id", req->id());
        if (req->update_permissions()) {
          ValidatePermissions(req->permissions(), v);
        }
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        const auto description =
            req->has_description() ? std::optional<std::string>(req->description()) : std::nullopt;
        const auto permissions =
            req->update_permissions()
                ? std::optional<std::vector<Permission>>(FromProto(req->permissions()))
                : std::nullopt;
        GOFER_ASSIGN_OR_RETURN(
            auto updated, store_.UpdateRole(req->id(), description, permissions, caller.actor));
        ToProto(updated.first, resp->mutable_role());
        resp->set_changed(updated.second);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RoleService::DeleteRole(grpc::CallbackServerContext* ctx,
                                                  const v1::DeleteRoleRequest* req,
                                                  v1::DeleteRoleResponse*) {
  return gate_.Unary(ctx, Admin(Action::kDelete, "roles"), [this, req](const Caller& caller) {
    return store_.DeleteRole(req->id(), caller.actor);
  });
}

}  // namespace gofer::api_gateway
