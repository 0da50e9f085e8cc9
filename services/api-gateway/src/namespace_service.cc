#include "namespace_service.h"

#include "convert.h"
#include "gofer/app/version.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"

namespace gofer::api_gateway {
namespace {

constexpr size_t kMaxName = 128;
constexpr size_t kMaxDescription = 1024;

void CheckText(Violations& v, const std::string& field, const std::string& value, size_t max) {
  if (value.size() > max) {
    v.Add(field, "must be at most " + std::to_string(max) + " characters");
  }
}

Need AdminWrite(Action action = Action::kWrite) {
  return {.kind = "namespaces", .action = action, .admin_only = true};
}

}  // namespace

grpc::ServerUnaryReactor* NamespaceService::CreateNamespace(grpc::CallbackServerContext* ctx,
                                                            const v1::CreateNamespaceRequest* req,
                                                            v1::Namespace* resp) {
  return gate_.Unary(ctx, AdminWrite(), [this, req, resp](const Caller& caller) -> absl::Status {
    Violations v;
    v.CheckIdentifier("id", req->id());
    CheckText(v, "name", req->name(), kMaxName);
    CheckText(v, "description", req->description(), kMaxDescription);
    GOFER_RETURN_IF_ERROR(v.ToStatus());
    GOFER_ASSIGN_OR_RETURN(NamespaceRecord ns,
                           store_.Create({req->id(), req->name().empty() ? req->id() : req->name(),
                                          req->description()},
                                         caller.actor));
    ToProto(ns, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NamespaceService::GetNamespace(grpc::CallbackServerContext* ctx,
                                                         const v1::GetNamespaceRequest* req,
                                                         v1::Namespace* resp) {
  return gate_.Unary(ctx, {.kind = "namespaces", .namespace_id = req->id()},
                     [this, req, resp](const Caller&) -> absl::Status {
                       GOFER_RETURN_IF_ERROR(ValidateIdentifier("id", req->id()));
                       GOFER_ASSIGN_OR_RETURN(NamespaceRecord ns, store_.Get(req->id()));
                       ToProto(ns, resp);
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* NamespaceService::ListNamespaces(grpc::CallbackServerContext* ctx,
                                                           const v1::ListNamespacesRequest* req,
                                                           v1::ListNamespacesResponse* resp) {
  return gate_.Authenticated(ctx, [this, req, resp](const Caller& caller) -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(PageRequest page,
                           ParsePageRequest(req->page_size(), req->page_token(), "ns"));
    GOFER_ASSIGN_OR_RETURN(auto rows, store_.List(page.after, page.limit + 1));
    const bool more = static_cast<int>(rows.size()) > page.limit;
    if (more) {
      rows.resize(page.limit);
      resp->set_next_page_token(MakePageToken(rows.back().id, "ns"));
    }
    for (const NamespaceRecord& ns : rows) {
      // Only the namespaces the caller may read (a page may hold fewer than page_size).
      if (Allows(caller.principal.permissions, {.kind = "namespaces", .namespace_id = ns.id})) {
        ToProto(ns, resp->add_namespaces());
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NamespaceService::UpdateNamespace(grpc::CallbackServerContext* ctx,
                                                            const v1::UpdateNamespaceRequest* req,
                                                            v1::UpdateNamespaceResponse* resp) {
  return gate_.Unary(ctx, AdminWrite(), [this, req, resp](const Caller& caller) -> absl::Status {
    Violations v;
    v.CheckIdentifier("id", req->id());
    CheckText(v, "name", req->name(), kMaxName);
    CheckText(v, "description", req->description(), kMaxDescription);
    if (req->has_name() && req->name().empty()) {
      v.Add("name", "must not be empty");
    }
    GOFER_RETURN_IF_ERROR(v.ToStatus());
    const auto name = req->has_name() ? std::optional<std::string>(req->name()) : std::nullopt;
    const auto description =
        req->has_description() ? std::optional<std::string>(req->description()) : std::nullopt;
    GOFER_ASSIGN_OR_RETURN(auto updated, store_.Update(req->id(), name, description, caller.actor));
    ToProto(updated.first, resp->mutable_namespace_());
    resp->set_changed(updated.second);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NamespaceService::DeleteNamespace(grpc::CallbackServerContext* ctx,
                                                            const v1::DeleteNamespaceRequest* req,
                                                            v1::DeleteNamespaceResponse*) {
  return gate_.Unary(ctx, AdminWrite(Action::kDelete), [this, req](const Caller& caller) {
    GOFER_RETURN_IF_ERROR(ValidateIdentifier("id", req->id()));
    return store_.Delete(req->id(), caller.actor);
  });
}

absl::Status SystemService::FillInfo(v1::SystemInfo* info) {
  GOFER_ASSIGN_OR_RETURN(bool paused, store_.RunsPaused());
  info->set_version(app::Version());
  info->set_commit(app::Commit());
  info->set_runs_paused(paused);
  info->set_auth_disabled(gate_.dev_no_auth());
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* SystemService::GetSystemInfo(grpc::CallbackServerContext* ctx,
                                                       const v1::GetSystemInfoRequest*,
                                                       v1::SystemInfo* resp) {
  return gate_.Authenticated(ctx, [this, resp](const Caller&) { return FillInfo(resp); });
}

grpc::ServerUnaryReactor* SystemService::UpdateSystem(grpc::CallbackServerContext* ctx,
                                                      const v1::UpdateSystemRequest* req,
                                                      v1::UpdateSystemResponse* resp) {
  return gate_.Unary(ctx, {.kind = "system", .action = Action::kWrite, .admin_only = true},
                     [this, req, resp](const Caller& caller) -> absl::Status {
                       if (req->has_runs_paused()) {
                         GOFER_ASSIGN_OR_RETURN(
                             bool changed, store_.SetRunsPaused(req->runs_paused(), caller.actor));
                         resp->set_changed(changed);
                       }
                       return FillInfo(resp->mutable_info());
                     });
}

grpc::ServerUnaryReactor* SystemService::GetSummary(grpc::CallbackServerContext* ctx,
                                                    const v1::GetSummaryRequest*,
                                                    v1::Summary* resp) {
  return gate_.Unary(ctx, {.kind = "system"}, [this, resp](const Caller&) -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(SystemCounts counts, store_.Counts());
    resp->set_namespaces(counts.namespaces);
    resp->set_pipelines(counts.pipelines);
    resp->set_tokens(counts.tokens);
    resp->set_events(counts.events);
    return absl::OkStatus();
  });
}

}  // namespace gofer::api_gateway
