// DeploymentService handlers (declared in pipeline_service.h).
#include "absl/strings/numbers.h"
#include "convert.h"
#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "pipeline_service.h"

namespace gofer::api_gateway {
namespace {

Need DeploymentNeed(Action action, const std::string& ns, const std::string& pipeline) {
  return {.kind = "deployments", .action = action, .namespace_id = ns, .pipeline_id = pipeline};
}

void CheckIds(Violations& v, const std::string& ns, const std::string& pipeline) {
  v.CheckIdentifier("namespace_id", ns);
  v.CheckIdentifier("pipeline_id", pipeline);
}

void CheckDeploymentId(Violations& v, int64_t id) {
  if (id < 1) {
    v.Add("deployment_id", "must be a deployment number (>= 1)");
  }
}

absl::Status Respond(absl::StatusOr<DeploymentRecord> d, v1::Deployment* resp) {
  if (d.ok()) {
    ToProto(*d, resp);
  }
  return d.status();
}

}  // namespace

grpc::ServerUnaryReactor* DeploymentService::Deploy(grpc::CallbackServerContext* ctx,
                                                    const v1::DeployRequest* req,
                                                    v1::Deployment* resp) {
  return gate_.Unary(
      ctx, DeploymentNeed(Action::kWrite, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller& caller) -> absl::Status {
        Violations v;
        CheckIds(v, req->namespace_id(), req->pipeline_id());
        if (req->version() < 1) {
          v.Add("version", "must be a version number (>= 1)");
        }
        const bool canary = req->type() == v1::DEPLOYMENT_TYPE_CANARY;
        if (!v1::DeploymentType_IsValid(req->type())) {
          v.Add("type", "must be DEPLOYMENT_TYPE_IMMEDIATE or DEPLOYMENT_TYPE_CANARY");
        }
        std::optional<CanarySettings> settings;
        if (canary) {
          const auto& c = req->canary();
          if (c.weight_percent() < 1 || c.weight_percent() > 99) {
            v.Add("canary.weight_percent", "must be 1-99");
          }
          if (c.min_runs() < 0) {
            v.Add("canary.min_runs", "must not be negative");
          }
          if (c.max_failure_percent() < 0 || c.max_failure_percent() > 100) {
            v.Add("canary.max_failure_percent", "must be 0-100 (0 disables automatic rollback)");
          }
          settings = CanarySettings{c.weight_percent(), c.min_runs(), c.max_failure_percent()};
        } else if (req->has_canary()) {
          v.Add("canary", "is only for DEPLOYMENT_TYPE_CANARY");
        }
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        return Respond(
            store_.Deploy(req->namespace_id(), req->pipeline_id(), req->version(),
                          canary ? v1::DEPLOYMENT_TYPE_CANARY : v1::DEPLOYMENT_TYPE_IMMEDIATE,
                          settings, caller.actor),
            resp);
      });
}

grpc::ServerUnaryReactor* DeploymentService::PromoteDeployment(
    grpc::CallbackServerContext* ctx, const v1::PromoteDeploymentRequest* req,
    v1::Deployment* resp) {
  return gate_.Unary(ctx, DeploymentNeed(Action::kWrite, req->namespace_id(), req->pipeline_id()),
                     [this, req, resp](const Caller& caller) -> absl::Status {
                       Violations v;
                       CheckIds(v, req->namespace_id(), req->pipeline_id());
                       CheckDeploymentId(v, req->deployment_id());
                       GOFER_RETURN_IF_ERROR(v.ToStatus());
                       return Respond(store_.Promote(req->namespace_id(), req->pipeline_id(),
                                                     req->deployment_id(), caller.actor),
                                      resp);
                     });
}

grpc::ServerUnaryReactor* DeploymentService::RollbackDeployment(
    grpc::CallbackServerContext* ctx, const v1::RollbackDeploymentRequest* req,
    v1::Deployment* resp) {
  return gate_.Unary(ctx, DeploymentNeed(Action::kWrite, req->namespace_id(), req->pipeline_id()),
                     [this, req, resp](const Caller& caller) -> absl::Status {
                       Violations v;
                       CheckIds(v, req->namespace_id(), req->pipeline_id());
                       CheckDeploymentId(v, req->deployment_id());
                       if (req->reason().size() > 1024) {
                         v.Add("reason", "must be at most 1024 characters");
                       }
                       GOFER_RETURN_IF_ERROR(v.ToStatus());
                       return Respond(
                           store_.Rollback(req->namespace_id(), req->pipeline_id(),
                                           req->deployment_id(), req->reason(), caller.actor),
                           resp);
                     });
}

grpc::ServerUnaryReactor* DeploymentService::GetDeployment(grpc::CallbackServerContext* ctx,
                                                           const v1::GetDeploymentRequest* req,
                                                           v1::Deployment* resp) {
  return gate_.Unary(
      ctx, DeploymentNeed(Action::kRead, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller&) -> absl::Status {
        Violations v;
        CheckIds(v, req->namespace_id(), req->pipeline_id());
        CheckDeploymentId(v, req->deployment_id());
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        return Respond(store_.Get(req->namespace_id(), req->pipeline_id(), req->deployment_id()),
                       resp);
      });
}

grpc::ServerUnaryReactor* DeploymentService::ListDeployments(grpc::CallbackServerContext* ctx,
                                                             const v1::ListDeploymentsRequest* req,
                                                             v1::ListDeploymentsResponse* resp) {
  return gate_.Unary(
      ctx, DeploymentNeed(Action::kRead, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller&) -> absl::Status {
        Violations v;
        CheckIds(v, req->namespace_id(), req->pipeline_id());
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        const std::string fp = "deployments/" + req->namespace_id() + "/" + req->pipeline_id();
        GOFER_ASSIGN_OR_RETURN(PageRequest page,
                               ParsePageRequest(req->page_size(), req->page_token(), fp));
        int64_t before = 0;
        if (!page.after.empty() && !absl::SimpleAtoi(page.after, &before)) {
          return InvalidArgumentError({{"page_token", "is not a token this server issued"}});
        }
        GOFER_ASSIGN_OR_RETURN(auto rows, store_.List(req->namespace_id(), req->pipeline_id(),
                                                      before, page.limit + 1));
        if (static_cast<int>(rows.size()) > page.limit) {
          rows.resize(page.limit);
          resp->set_next_page_token(MakePageToken(std::to_string(rows.back().id), fp));
        }
        for (const DeploymentRecord& d : rows) {
          ToProto(d, resp->add_deployments());
        }
        return absl::OkStatus();
      });
}

}  // namespace gofer::api_gateway
