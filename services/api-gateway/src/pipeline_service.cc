#include "pipeline_service.h"

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "convert.h"
#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "gofer/pipeline/canonical.h"
#include "gofer/pipeline/config_parser.h"
#include "gofer/pipeline/diff.h"
#include "gofer/pipeline/validation.h"

namespace gofer::api_gateway {
namespace {

Need PipelineNeed(const char* kind, Action action, const std::string& ns,
                  const std::string& pipeline) {
  return {.kind = kind, .action = action, .namespace_id = ns, .pipeline_id = pipeline};
}

absl::Status CheckIds(const std::string& ns, const std::string& pipeline) {
  Violations v;
  v.CheckIdentifier("namespace_id", ns);
  v.CheckIdentifier("pipeline_id", pipeline);
  return v.ToStatus();
}

std::string Fingerprint(const std::string& what, const std::string& ns,
                        const std::string& pipeline) {
  return fmt::format("{}/{}/{}", what, ns, pipeline);
}

absl::StatusOr<int64_t> DecodeNumber(const std::string& text) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n)) {
    return InvalidArgumentError({{"page_token", "is not a token this server issued"}});
  }
  return n;
}

}  // namespace

// --- PipelineService -----------------------------------------------------------------------

grpc::ServerUnaryReactor* PipelineService::GetPipeline(grpc::CallbackServerContext* ctx,
                                                       const v1::GetPipelineRequest* req,
                                                       v1::Pipeline* resp) {
  return gate_.Unary(
      ctx, PipelineNeed("pipelines", Action::kRead, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller&) -> absl::Status {
        GOFER_RETURN_IF_ERROR(CheckIds(req->namespace_id(), req->pipeline_id()));
        GOFER_ASSIGN_OR_RETURN(auto p, store_.GetPipeline(req->namespace_id(), req->pipeline_id()));
        ToProto(p, resp);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PipelineService::ListPipelines(grpc::CallbackServerContext* ctx,
                                                         const v1::ListPipelinesRequest* req,
                                                         v1::ListPipelinesResponse* resp) {
  return gate_.Unary(
      ctx, PipelineNeed("pipelines", Action::kRead, req->namespace_id(), ""),
      [this, req, resp](const Caller& caller) -> absl::Status {
        GOFER_RETURN_IF_ERROR(ValidateIdentifier("namespace_id", req->namespace_id()));
        const std::string fp = Fingerprint("pipelines", req->namespace_id(), "");
        GOFER_ASSIGN_OR_RETURN(PageRequest page,
                               ParsePageRequest(req->page_size(), req->page_token(), fp));
        GOFER_ASSIGN_OR_RETURN(
            auto rows, store_.ListPipelines(req->namespace_id(), page.after, page.limit + 1));
        if (static_cast<int>(rows.size()) > page.limit) {
          rows.resize(page.limit);
          resp->set_next_page_token(MakePageToken(rows.back().id, fp));
        }
        for (const PipelineRecord& p : rows) {
          if (Allows(caller.principal.permissions,
                     PipelineNeed("pipelines", Action::kRead, p.namespace_id, p.id))) {
            ToProto(p, resp->add_pipelines());
          }
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PipelineService::UpdatePipeline(grpc::CallbackServerContext* ctx,
                                                          const v1::UpdatePipelineRequest* req,
                                                          v1::UpdatePipelineResponse* resp) {
  return gate_.Unary(
      ctx, PipelineNeed("pipelines", Action::kWrite, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller& caller) -> absl::Status {
        Violations v;
        v.CheckIdentifier("namespace_id", req->namespace_id());
        v.CheckIdentifier("pipeline_id", req->pipeline_id());
        if (req->state() != v1::PIPELINE_STATE_ACTIVE &&
            req->state() != v1::PIPELINE_STATE_DISABLED) {
          v.Add("state", "must be PIPELINE_STATE_ACTIVE or PIPELINE_STATE_DISABLED");
        }
        GOFER_RETURN_IF_ERROR(v.ToStatus());
        GOFER_ASSIGN_OR_RETURN(
            auto updated,
            store_.SetDisabled(req->namespace_id(), req->pipeline_id(),
                               req->state() == v1::PIPELINE_STATE_DISABLED, caller.actor));
        ToProto(updated.first, resp->mutable_pipeline());
        resp->set_changed(updated.second);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PipelineService::DeletePipeline(grpc::CallbackServerContext* ctx,
                                                          const v1::DeletePipelineRequest* req,
                                                          v1::DeletePipelineResponse*) {
  return gate_.Unary(
      ctx, PipelineNeed("pipelines", Action::kDelete, req->namespace_id(), req->pipeline_id()),
      [this, req](const Caller& caller) -> absl::Status {
        GOFER_RETURN_IF_ERROR(CheckIds(req->namespace_id(), req->pipeline_id()));
        return store_.DeletePipeline(req->namespace_id(), req->pipeline_id(), caller.actor);
      });
}

// --- ConfigService ---------------------------------------------------------------------------

grpc::ServerUnaryReactor* ConfigService::RegisterConfig(grpc::CallbackServerContext* ctx,
                                                        const v1::RegisterConfigRequest* req,
                                                        v1::RegisterConfigResponse* resp) {
  return gate_.Unary(
      ctx, PipelineNeed("configs", Action::kWrite, req->namespace_id(), req->config().id()),
      [this, req, resp](const Caller& caller) -> absl::Status {
        GOFER_RETURN_IF_ERROR(ValidateIdentifier("namespace_id", req->namespace_id()));
        GOFER_RETURN_IF_ERROR(pipeline::ValidateConfig(req->config(), {}));
        const v1::PipelineConfig canonical = pipeline::Canonicalize(req->config());
        GOFER_ASSIGN_OR_RETURN(Registration reg,
                               store_.Register(req->namespace_id(), canonical,
                                               pipeline::ConfigHash(canonical), caller.actor));
        ToProto(reg.version, resp->mutable_version());
        resp->set_unchanged(reg.unchanged);
        resp->set_pipeline_created(reg.pipeline_created);
        if (!reg.unchanged) {
          *resp->mutable_diff() = pipeline::DiffConfigs(
              reg.previous ? reg.previous->config : v1::PipelineConfig(), reg.version.config);
          resp->mutable_diff()->set_from_version(reg.previous ? reg.previous->version : 0);
          resp->mutable_diff()->set_to_version(reg.version.version);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ConfigService::ParseConfig(grpc::CallbackServerContext* ctx,
                                                     const v1::ParseConfigRequest* req,
                                                     v1::ParseConfigResponse* resp) {
  return gate_.Authenticated(ctx, [req, resp](const Caller&) -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(pipeline::Format format, pipeline::ParseFormat(req->format()));
    GOFER_ASSIGN_OR_RETURN(v1::PipelineConfig config,
                           pipeline::ParseConfig(req->content(), format));
    GOFER_RETURN_IF_ERROR(pipeline::ValidateConfig(config, {}));
    *resp->mutable_config() = pipeline::Canonicalize(config);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigService::GetConfig(grpc::CallbackServerContext* ctx,
                                                   const v1::GetConfigRequest* req,
                                                   v1::ConfigVersion* resp) {
  return gate_.Unary(
      ctx, PipelineNeed("configs", Action::kRead, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller&) -> absl::Status {
        GOFER_RETURN_IF_ERROR(CheckIds(req->namespace_id(), req->pipeline_id()));
        if (req->version() < 0) {
          return InvalidArgumentError(
              {{"version", "must be a version number, or 0 for the latest"}});
        }
        GOFER_ASSIGN_OR_RETURN(
            auto c, store_.GetConfig(req->namespace_id(), req->pipeline_id(), req->version()));
        ToProto(c, resp);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ConfigService::ListConfigs(grpc::CallbackServerContext* ctx,
                                                     const v1::ListConfigsRequest* req,
                                                     v1::ListConfigsResponse* resp) {
  return gate_.Unary(
      ctx, PipelineNeed("configs", Action::kRead, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller&) -> absl::Status {
        GOFER_RETURN_IF_ERROR(CheckIds(req->namespace_id(), req->pipeline_id()));
        const std::string fp = Fingerprint("configs", req->namespace_id(), req->pipeline_id());
        GOFER_ASSIGN_OR_RETURN(PageRequest page,
                               ParsePageRequest(req->page_size(), req->page_token(), fp));
        int64_t before = 0;
        if (!page.after.empty()) {
          GOFER_ASSIGN_OR_RETURN(before, DecodeNumber(page.after));
        }
        GOFER_ASSIGN_OR_RETURN(
            auto rows,
            store_.ListConfigs(req->namespace_id(), req->pipeline_id(), before, page.limit + 1));
        if (static_cast<int>(rows.size()) > page.limit) {
          rows.resize(page.limit);
          resp->set_next_page_token(MakePageToken(std::to_string(rows.back().version), fp));
        }
        for (const ConfigRecord& c : rows) {
          ToProto(c, resp->add_configs());
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ConfigService::DiffConfigs(grpc::CallbackServerContext* ctx,
                                                     const v1::DiffConfigsRequest* req,
                                                     v1::ConfigDiff* resp) {
  return gate_.Unary(
      ctx, PipelineNeed("configs", Action::kRead, req->namespace_id(), req->pipeline_id()),
      [this, req, resp](const Caller&) -> absl::Status {
        GOFER_RETURN_IF_ERROR(CheckIds(req->namespace_id(), req->pipeline_id()));
        if (req->from_version() < 1) {
          return InvalidArgumentError({{"from_version", "must be a version number (>= 1)"}});
        }
        GOFER_ASSIGN_OR_RETURN(auto from, store_.GetConfig(req->namespace_id(), req->pipeline_id(),
                                                           req->from_version()));
        GOFER_ASSIGN_OR_RETURN(
            auto to, store_.GetConfig(req->namespace_id(), req->pipeline_id(), req->to_version()));
        *resp = pipeline::DiffConfigs(from.config, to.config);
        resp->set_from_version(from.version);
        resp->set_to_version(to.version);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ConfigService::DeleteConfig(grpc::CallbackServerContext* ctx,
                                                      const v1::DeleteConfigRequest* req,
                                                      v1::DeleteConfigResponse*) {
  return gate_.Unary(
      ctx, PipelineNeed("configs", Action::kDelete, req->namespace_id(), req->pipeline_id()),
      [this, req](const Caller& caller) -> absl::Status {
        GOFER_RETURN_IF_ERROR(CheckIds(req->namespace_id(), req->pipeline_id()));
        if (req->version() < 1) {
          return InvalidArgumentError({{"version", "must be a version number (>= 1)"}});
        }
        return store_.DeleteConfig(req->namespace_id(), req->pipeline_id(), req->version(),
                                   caller.actor);
      });
}

}  // namespace gofer::api_gateway
