#include "secret_store_service.h"

#include "gofer/rpc/proto_time.h"

#include "gofer/common/fmt_absl.h"
#include "gofer/common/status_macros.h"
#include "spdlog/spdlog.h"

namespace gofer::secret_store {
namespace {

namespace pb = gofer::secrets::v1;

SecretScope FromProto(pb::SecretScope scope) {
  switch (scope) {
    case pb::SECRET_SCOPE_PIPELINE:
      return SecretScope::kPipeline;
    case pb::SECRET_SCOPE_GLOBAL:
      return SecretScope::kGlobal;
    default:
      return SecretScope::kUnspecified;
  }
}

pb::SecretScope ToProto(SecretScope scope) {
  switch (scope) {
    case SecretScope::kPipeline:
      return pb::SECRET_SCOPE_PIPELINE;
    case SecretScope::kGlobal:
      return pb::SECRET_SCOPE_GLOBAL;
    case SecretScope::kUnspecified:
      break;
  }
  return pb::SECRET_SCOPE_UNSPECIFIED;
}

SecretRef FromProto(const pb::SecretRef& ref) {
  return {FromProto(ref.scope()), ref.namespace_id(), ref.pipeline_id(), ref.key()};
}

void ToProto(const SecretRef& ref, pb::SecretRef* out) {
  out->set_scope(ToProto(ref.scope));
  out->set_namespace_id(ref.namespace_id);
  out->set_pipeline_id(ref.pipeline_id);
  out->set_key(ref.key);
}

void ToProto(absl::Time t, google::protobuf::Timestamp* out) { rpc::ToTimestamp(t, out); }

void ToProto(const SecretMetadata& metadata, pb::SecretMetadata* out) {
  ToProto(metadata.ref, out->mutable_ref());
  for (const std::string& pattern : metadata.namespace_patterns) {
    out->add_namespace_patterns(pattern);
  }
  ToProto(metadata.created, out->mutable_created());
  ToProto(metadata.modified, out->mutable_modified());
  out->set_key_id(metadata.key_id);
}

ResolveSecretsRequest FromProto(const pb::ResolveSecretsRequest& request) {
  ResolveSecretsRequest out{request.namespace_id(), request.pipeline_id(), {}};
  for (const pb::SecretName& name : request.secrets()) {
    out.secrets.push_back({FromProto(name.scope()), name.key()});
  }
  return out;
}

}  // namespace

grpc::ServerUnaryReactor* SecretStoreService::PutSecret(grpc::CallbackServerContext* context,
                                                        const pb::PutSecretRequest* request,
                                                        pb::PutSecretResponse* response) {
  return rpc::Unary(context, runtime_, [=, this]() -> absl::Status {
    PutSecretRequest put{
        FromProto(request->ref()),
        request->value(),
        {request->namespace_patterns().begin(), request->namespace_patterns().end()},
        request->force()};
    GOFER_ASSIGN_OR_RETURN(PutSecretResult result, manager_.Put(put, rpc::CallerOf(*context)));
    ToProto(result.metadata, response->mutable_metadata());
    response->set_created(result.created);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SecretStoreService::GetSecret(grpc::CallbackServerContext* context,
                                                        const pb::GetSecretRequest* request,
                                                        pb::GetSecretResponse* response) {
  return rpc::Unary(context, runtime_, [=, this]() -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(GetSecretResult result,
                           manager_.Get(FromProto(request->ref()), request->include_value()));
    ToProto(result.metadata, response->mutable_metadata());
    if (result.value.has_value()) {
      response->set_value(*std::move(result.value));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SecretStoreService::ListSecrets(grpc::CallbackServerContext* context,
                                                          const pb::ListSecretsRequest* request,
                                                          pb::ListSecretsResponse* response) {
  return rpc::Unary(context, runtime_, [=, this]() -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(
        ListSecretsResult result,
        manager_.List({FromProto(request->scope()), request->namespace_id(), request->pipeline_id(),
                       request->page_size(), request->page_token()}));
    for (const SecretMetadata& metadata : result.secrets) {
      ToProto(metadata, response->add_secrets());
    }
    response->set_next_page_token(result.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SecretStoreService::DeleteSecret(grpc::CallbackServerContext* context,
                                                           const pb::DeleteSecretRequest* request,
                                                           pb::DeleteSecretResponse* /*response*/) {
  return rpc::Unary(context, runtime_, [=, this] {
    return manager_.Delete(FromProto(request->ref()), rpc::CallerOf(*context));
  });
}

grpc::ServerUnaryReactor* SecretStoreService::ResolveSecrets(
    grpc::CallbackServerContext* context, const pb::ResolveSecretsRequest* request,
    pb::ResolveSecretsResponse* response) {
  return rpc::Unary(context, runtime_, [=, this]() -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(std::vector<ResolvedSecret> resolved,
                           manager_.Resolve(FromProto(*request)));
    for (ResolvedSecret& secret : resolved) {
      pb::ResolvedSecret* out = response->add_secrets();
      out->set_scope(ToProto(secret.scope));
      out->set_key(secret.key);
      out->set_value(std::move(secret.value));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SecretStoreService::RotateMasterKey(
    grpc::CallbackServerContext* context, const pb::RotateMasterKeyRequest* /*request*/,
    pb::RotateMasterKeyResponse* response) {
  return rpc::Unary(context, runtime_, [=, this]() -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(RotationResult result, manager_.RotateMasterKey());
    // An operator action: worth a lifecycle line (key ids are not secret).
    spdlog::info("master key rotation by '{}': {} secrets re-wrapped under key {}",
                 rpc::CallerOf(*context), result.rewrapped, result.primary_key_id);
    response->set_rewrapped_count(result.rewrapped);
    response->set_primary_key_id(result.primary_key_id);
    return absl::OkStatus();
  });
}

}  // namespace gofer::secret_store
