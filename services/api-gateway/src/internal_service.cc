#include "internal_service.h"

#include <fmt/format.h>

#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "gofer/rpc/proto_time.h"

namespace gofer::api_gateway {
namespace {

absl::Status CheckRun(Violations& v, const std::string& ns, const std::string& pl, int64_t run_id) {
  v.CheckIdentifier("namespace_id", ns);
  v.CheckIdentifier("pipeline_id", pl);
  if (run_id < 1) {
    v.Add("run_id", "must be a run number (1 or more)");
  }
  return v.ToStatus();
}

std::string Actor(const grpc::CallbackServerContext& ctx) {
  const std::string caller = rpc::CallerOf(ctx);
  return caller.empty() ? "internal" : caller;
}

}  // namespace

grpc::ServerUnaryReactor* InternalService::CreateRunToken(
    grpc::CallbackServerContext* ctx, const gateway::v1::CreateRunTokenRequest* req,
    gateway::v1::CreateRunTokenResponse* resp) {
  return rpc::Unary(ctx, runtime_, [=, this]() -> absl::Status {
    Violations v;
    v.CheckIdentifier("task_id", req->task_id());
    if (req->attempt() < 1) {
      v.Add("attempt", "must be 1 or more");
    }
    const absl::Duration ttl = rpc::FromDuration(req->ttl());
    if (ttl <= absl::ZeroDuration() || ttl > absl::Hours(24 * 7)) {
      v.Add("ttl", "must be between 1s and 168h");
    }
    GOFER_RETURN_IF_ERROR(CheckRun(v, req->namespace_id(), req->pipeline_id(), req->run_id()));
    GOFER_ASSIGN_OR_RETURN(
        NewToken token,
        access_.CreateRunToken(req->namespace_id(), req->pipeline_id(), req->run_id(),
                               req->task_id(), req->attempt(), ttl, Actor(*ctx)));
    resp->set_token_id(token.token.id);
    resp->set_secret(token.secret);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InternalService::RevokeRunTokens(
    grpc::CallbackServerContext* ctx, const gateway::v1::RevokeRunTokensRequest* req,
    gateway::v1::RevokeRunTokensResponse* resp) {
  return rpc::Unary(ctx, runtime_, [=, this]() -> absl::Status {
    Violations v;
    GOFER_RETURN_IF_ERROR(CheckRun(v, req->namespace_id(), req->pipeline_id(), req->run_id()));
    GOFER_ASSIGN_OR_RETURN(int64_t revoked,
                           access_.RevokeRunTokens(req->namespace_id(), req->pipeline_id(),
                                                   req->run_id(), Actor(*ctx)));
    resp->set_revoked(revoked);
    return absl::OkStatus();
  });
}

}  // namespace gofer::api_gateway
