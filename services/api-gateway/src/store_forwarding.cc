#include "store_forwarding.h"

#include <functional>

#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"
#include "gofer/rpc/status.h"

namespace gofer::api_gateway {
namespace {

namespace ov1 = objects::v1;
namespace sv1 = secrets::v1;

// A pipeline-scoped object or secret belongs to a pipeline that must exist: NOT_FOUND names the
// missing namespace or pipeline (the stores know nothing of pipelines).
absl::Status CheckOwner(PipelineStore& pipelines, const Need& need) {
  if (need.namespace_id.empty() || need.pipeline_id.empty()) {
    return absl::OkStatus();
  }
  return pipelines.CheckExists(need.namespace_id, need.pipeline_id);
}

// Runs `call` (a blocking call on an internal service) for an admitted caller.
grpc::ServerUnaryReactor* Forward(Gatekeeper& gate, grpc::CallbackServerContext* ctx,
                                  absl::StatusOr<Need> need, PipelineStore& pipelines,
                                  std::function<grpc::Status(grpc::ClientContext*)> call,
                                  const rpc::Client& client) {
  return gate.Authenticated(ctx,
                            [&gate, ctx, need = std::move(need), call = std::move(call), &client,
                             &pipelines](const Caller& caller) -> absl::Status {
                              if (!need.ok()) {
                                return need.status();
                              }
                              GOFER_RETURN_IF_ERROR(gate.Check(caller, *need));
                              GOFER_RETURN_IF_ERROR(CheckOwner(pipelines, *need));
                              auto context = client.NewContext(
                                  {.caller = caller.actor, .request_id = rpc::RequestIdOf(*ctx)});
                              return rpc::FromGrpcStatus(call(context.get()));
                            });
}

grpc::Status Denied(const absl::Status& s) { return rpc::ToGrpcStatus(s); }

// stores.proto declares only services, so nothing references its generated descriptor code and
// the static link dropped it: server reflection could not describe ObjectService or
// SecretService. Naming its descriptor table here keeps it (and builds it).
void KeepStoresDescriptor() {
  ::google::protobuf::internal::AssignDescriptors(&descriptor_table_gofer_2fv1_2fstores_2eproto);
}

// A status relayed from the object-store, after the gateway's error policy (internal details
// never leave the gateway).
grpc::Status Relayed(Gatekeeper& gate, const grpc::Status& upstream, std::string_view method) {
  return rpc::ToGrpcStatus(gate.Sanitize(rpc::FromGrpcStatus(upstream), method));
}

// Relays a client stream of object chunks to the object-store.
class PutRelay final : public grpc::ServerReadReactor<ov1::PutObjectRequest> {
 public:
  PutRelay(grpc::CallbackServerContext* ctx, Gatekeeper& gate, PipelineStore& pipelines,
           const rpc::Client& client, ov1::ObjectStore::Stub& stub,
           ov1::PutObjectResponse* response)
      : ctx_(ctx),
        gate_(gate),
        pipelines_(pipelines),
        client_(client),
        stub_(stub),
        response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      if (writer_ == nullptr) {
        Finish(ctx_->IsCancelled() ? grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")
                                   : Denied(InvalidArgumentError(
                                         {{"header", "the stream ended before its header"}})));
        return;
      }
      Run([this] {
        if (ctx_->IsCancelled()) {
          upstream_->TryCancel();
        } else {
          writer_->WritesDone();
        }
        Finish(Relayed(gate_, writer_->Finish(), "PutObject"));
      });
      return;
    }
    if (writer_ == nullptr) {
      const bool admitted = gate_.runtime().executor().TrySubmit([this] { Open(); });
      if (!admitted) {
        Finish(Denied(WithErrorInfo(absl::ResourceExhaustedError("server is at capacity"),
                                    ErrorReason::kOverloaded)));
      }
      return;
    }
    Run([this] {
      if (!writer_->Write(request_)) {
        Finish(Relayed(gate_, writer_->Finish(),
                       "PutObject"));  // the object-store ended the call (e.g. a limit)
        return;
      }
      StartRead(&request_);
    });
  }

  void OnDone() override { delete this; }

 private:
  void Open() {
    if (!request_.has_header()) {
      Finish(Denied(InvalidArgumentError({{"header", "the first message must be the header"}})));
      return;
    }
    auto caller = gate_.Authenticate(*ctx_);
    absl::StatusOr<Need> need = ObjectNeed(request_.header().ref(), Action::kWrite);
    absl::Status s =
        caller.ok() ? (need.ok() ? gate_.Check(*caller, *need) : need.status()) : caller.status();
    if (s.ok()) {
      s = CheckOwner(pipelines_, *need);
    }
    if (!s.ok()) {
      Finish(Denied(gate_.Sanitize(s, "PutObject")));
      return;
    }
    upstream_ = client_.NewContext({.timeout = absl::Hours(6),
                                    .caller = caller->actor,
                                    .request_id = rpc::RequestIdOf(*ctx_)});
    writer_ = stub_.PutObject(upstream_.get(), response_);
    if (!writer_->Write(request_)) {
      Finish(Relayed(gate_, writer_->Finish(), "PutObject"));
      return;
    }
    StartRead(&request_);
  }

  void Run(std::function<void()> step) {
    if (!gate_.runtime().executor().Submit(std::move(step))) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down"));
    }
  }

  grpc::CallbackServerContext* const ctx_;
  Gatekeeper& gate_;
  PipelineStore& pipelines_;
  const rpc::Client& client_;
  ov1::ObjectStore::Stub& stub_;
  ov1::PutObjectResponse* const response_;
  ov1::PutObjectRequest request_;
  std::unique_ptr<grpc::ClientContext> upstream_;
  std::unique_ptr<grpc::ClientWriter<ov1::PutObjectRequest>> writer_;
};

// Relays an object-store download stream to the client.
class GetRelay final : public grpc::ServerWriteReactor<ov1::GetObjectResponse> {
 public:
  GetRelay(grpc::CallbackServerContext* ctx, Gatekeeper& gate, PipelineStore& pipelines,
           const rpc::Client& client, ov1::ObjectStore::Stub& stub,
           const ov1::GetObjectRequest& request)
      : gate_(gate) {
    const bool admitted =
        gate_.runtime().executor().TrySubmit([this, ctx, &pipelines, &client, &stub, request] {
          auto caller = gate_.Authenticate(*ctx);
          absl::StatusOr<Need> need = ObjectNeed(request.ref(), Action::kRead);
          absl::Status s = caller.ok() ? (need.ok() ? gate_.Check(*caller, *need) : need.status())
                                       : caller.status();
          if (s.ok()) {
            s = CheckOwner(pipelines, *need);
          }
          if (!s.ok()) {
            Finish(Denied(gate_.Sanitize(s, "GetObject")));
            return;
          }
          upstream_ = client.NewContext({.timeout = absl::Hours(6),
                                         .caller = caller->actor,
                                         .request_id = rpc::RequestIdOf(*ctx)});
          reader_ = stub.GetObject(upstream_.get(), request);
          Next();
        });
    if (!admitted) {
      Finish(Denied(WithErrorInfo(absl::ResourceExhaustedError("server is at capacity"),
                                  ErrorReason::kOverloaded)));
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      upstream_->TryCancel();
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    if (!gate_.runtime().executor().Submit([this] { Next(); })) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down"));
    }
  }

  void OnDone() override { delete this; }

 private:
  void Next() {
    if (reader_->Read(&response_)) {
      StartWrite(&response_);
    } else {
      Finish(Relayed(gate_, reader_->Finish(), "GetObject"));
    }
  }

  Gatekeeper& gate_;
  std::unique_ptr<grpc::ClientContext> upstream_;
  std::unique_ptr<grpc::ClientReader<ov1::GetObjectResponse>> reader_;
  ov1::GetObjectResponse response_;
};

}  // namespace

absl::StatusOr<Need> ObjectNeed(const ov1::ObjectRef& ref, Action action) {
  switch (ref.scope()) {
    case ov1::OBJECT_SCOPE_PIPELINE:
    case ov1::OBJECT_SCOPE_RUN:
      return Need{.kind = "objects",
                  .action = action,
                  .namespace_id = ref.namespace_id(),
                  .pipeline_id = ref.pipeline_id()};
    case ov1::OBJECT_SCOPE_EXTENSION:
      return Need{.kind = "extensions", .action = action, .target = ref.extension_id()};
    case ov1::OBJECT_SCOPE_TASK_LOG:
      return InvalidArgumentError(
          {{"ref.scope", "task logs are read through the run API, not as objects"}});
    default:
      return InvalidArgumentError({{"ref.scope", "must be PIPELINE, RUN or EXTENSION"}});
  }
}

Need SecretNeed(const sv1::SecretRef& ref, Action action) {
  if (ref.scope() == sv1::SECRET_SCOPE_GLOBAL) {
    return {.kind = "global_secrets", .action = action, .admin_only = true};
  }
  return {.kind = "secrets",
          .action = action,
          .namespace_id = ref.namespace_id(),
          .pipeline_id = ref.pipeline_id()};
}

SecretForwardService::SecretForwardService(const rpc::Client& secrets, PipelineStore& pipelines,
                                           Gatekeeper& gate)
    : client_(secrets),
      stub_(sv1::SecretStore::NewStub(secrets.channel())),
      pipelines_(pipelines),
      gate_(gate) {
  KeepStoresDescriptor();
}

grpc::ServerUnaryReactor* SecretForwardService::PutSecret(grpc::CallbackServerContext* ctx,
                                                          const sv1::PutSecretRequest* req,
                                                          sv1::PutSecretResponse* resp) {
  return Forward(
      gate_, ctx, SecretNeed(req->ref(), Action::kWrite), pipelines_,
      [this, req, resp](grpc::ClientContext* c) { return stub_->PutSecret(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* SecretForwardService::GetSecret(grpc::CallbackServerContext* ctx,
                                                          const sv1::GetSecretRequest* req,
                                                          sv1::GetSecretResponse* resp) {
  // Reading a value is a write-level permission: read-only tokens see metadata only.
  return Forward(
      gate_, ctx, SecretNeed(req->ref(), req->include_value() ? Action::kWrite : Action::kRead),
      pipelines_,
      [this, req, resp](grpc::ClientContext* c) { return stub_->GetSecret(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* SecretForwardService::ListSecrets(grpc::CallbackServerContext* ctx,
                                                            const sv1::ListSecretsRequest* req,
                                                            sv1::ListSecretsResponse* resp) {
  sv1::SecretRef owner;
  owner.set_scope(req->scope());
  owner.set_namespace_id(req->namespace_id());
  owner.set_pipeline_id(req->pipeline_id());
  return Forward(
      gate_, ctx, SecretNeed(owner, Action::kRead), pipelines_,
      [this, req, resp](grpc::ClientContext* c) { return stub_->ListSecrets(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* SecretForwardService::DeleteSecret(grpc::CallbackServerContext* ctx,
                                                             const sv1::DeleteSecretRequest* req,
                                                             sv1::DeleteSecretResponse* resp) {
  return Forward(
      gate_, ctx, SecretNeed(req->ref(), Action::kDelete), pipelines_,
      [this, req, resp](grpc::ClientContext* c) { return stub_->DeleteSecret(c, *req, resp); },
      client_);
}

ObjectForwardService::ObjectForwardService(const rpc::Client& objects, PipelineStore& pipelines,
                                           Gatekeeper& gate)
    : client_(objects),
      stub_(ov1::ObjectStore::NewStub(objects.channel())),
      pipelines_(pipelines),
      gate_(gate) {
  KeepStoresDescriptor();
}

grpc::ServerReadReactor<ov1::PutObjectRequest>* ObjectForwardService::PutObject(
    grpc::CallbackServerContext* ctx, ov1::PutObjectResponse* resp) {
  return new PutRelay(ctx, gate_, pipelines_, client_, *stub_, resp);
}

grpc::ServerWriteReactor<ov1::GetObjectResponse>* ObjectForwardService::GetObject(
    grpc::CallbackServerContext* ctx, const ov1::GetObjectRequest* req) {
  return new GetRelay(ctx, gate_, pipelines_, client_, *stub_, *req);
}

grpc::ServerUnaryReactor* ObjectForwardService::StatObject(grpc::CallbackServerContext* ctx,
                                                           const ov1::StatObjectRequest* req,
                                                           ov1::ObjectInfo* resp) {
  return Forward(
      gate_, ctx, ObjectNeed(req->ref(), Action::kRead), pipelines_,
      [this, req, resp](grpc::ClientContext* c) { return stub_->StatObject(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* ObjectForwardService::ListObjects(grpc::CallbackServerContext* ctx,
                                                            const ov1::ListObjectsRequest* req,
                                                            ov1::ListObjectsResponse* resp) {
  return Forward(
      gate_, ctx, ObjectNeed(req->parent(), Action::kRead), pipelines_,
      [this, req, resp](grpc::ClientContext* c) { return stub_->ListObjects(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* ObjectForwardService::DeleteObject(grpc::CallbackServerContext* ctx,
                                                             const ov1::DeleteObjectRequest* req,
                                                             ov1::DeleteObjectResponse* resp) {
  return Forward(
      gate_, ctx, ObjectNeed(req->ref(), Action::kDelete), pipelines_,
      [this, req, resp](grpc::ClientContext* c) { return stub_->DeleteObject(c, *req, resp); },
      client_);
}

}  // namespace gofer::api_gateway
