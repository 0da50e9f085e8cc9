#include "grpc_resolver.h"

#include <fmt/format.h>

#include "gofer/common/status_macros.h"
#include "gofer/rpc/status.h"

namespace gofer::run_queue {

GrpcResolver::GrpcResolver(rpc::Client& secrets, rpc::Client& objects, std::string caller)
    : secrets_client_(secrets),
      objects_client_(objects),
      caller_(std::move(caller)),
      secrets_(secrets::v1::SecretStore::NewStub(secrets.channel())),
      objects_(objects::v1::ObjectStore::NewStub(objects.channel())) {}

absl::StatusOr<std::vector<std::string>> GrpcResolver::ResolveSecrets(
    const RunRecord& run, const std::vector<pipeline::Interpolation>& secrets) {
  secrets::v1::ResolveSecretsRequest request;
  request.set_namespace_id(run.key.namespace_id);
  request.set_pipeline_id(run.key.pipeline_id);
  for (const auto& s : secrets) {
    auto* name = request.add_secrets();
    name->set_scope(s.kind == pipeline::Interpolation::Kind::kGlobalSecret
                        ? secrets::v1::SECRET_SCOPE_GLOBAL
                        : secrets::v1::SECRET_SCOPE_PIPELINE);
    name->set_key(s.key);
  }
  secrets::v1::ResolveSecretsResponse response;
  auto context = secrets_client_.NewContext({.caller = caller_});
  GOFER_RETURN_IF_ERROR(
      rpc::FromGrpcStatus(secrets_->ResolveSecrets(context.get(), request, &response)));
  std::vector<std::string> values;
  for (const auto& s : response.secrets()) {
    values.push_back(s.value());
  }
  if (values.size() != secrets.size()) {
    return absl::InternalError("the secret-store answered a different number of secrets");
  }
  return values;
}

absl::StatusOr<std::string> GrpcResolver::ReadObject(const RunRecord& run,
                                                     const pipeline::Interpolation& object,
                                                     size_t max_bytes) {
  objects::v1::ObjectRef ref;
  ref.set_namespace_id(run.key.namespace_id);
  ref.set_pipeline_id(run.key.pipeline_id);
  ref.set_key(object.key);
  if (object.kind != pipeline::Interpolation::Kind::kRunObject) {
    ref.set_scope(objects::v1::OBJECT_SCOPE_PIPELINE);
    return Read(ref, max_bytes);
  }
  // A retry of a run reuses the objects of the run it repeats (F-RUN-7): a run object the
  // retry has not written itself is read from the original run.
  ref.set_scope(objects::v1::OBJECT_SCOPE_RUN);
  ref.set_run_id(run.key.run_id);
  absl::StatusOr<std::string> content = Read(ref, max_bytes);
  if (absl::IsNotFound(content.status()) && run.retry_of != 0) {
    ref.set_run_id(run.retry_of);
    absl::StatusOr<std::string> original = Read(ref, max_bytes);
    if (original.ok() || !absl::IsNotFound(original.status())) {
      return original;
    }
  }
  return content;
}

absl::StatusOr<std::string> GrpcResolver::Read(const objects::v1::ObjectRef& ref,
                                               size_t max_bytes) {
  objects::v1::GetObjectRequest request;
  *request.mutable_ref() = ref;
  auto context = objects_client_.NewContext({.caller = caller_});
  auto reader = objects_->GetObject(context.get(), request);
  objects::v1::GetObjectResponse message;
  std::string content;
  while (reader->Read(&message)) {
    if (message.has_object() && static_cast<size_t>(message.object().size()) > max_bytes) {
      context->TryCancel();
      (void)reader->Finish();
      return absl::FailedPreconditionError(
          fmt::format("the object has {} bytes; at most {} can be put into a variable",
                      message.object().size(), max_bytes));
    }
    content += message.chunk();
  }
  GOFER_RETURN_IF_ERROR(rpc::FromGrpcStatus(reader->Finish()));
  return content;
}

}  // namespace gofer::run_queue
