#include "store_forwarding.h"

#include <functional>

#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"
#include "gofer/rpc/status.h"

namespace gofer::api_gateway {
namespace {

namespace ov1 = objects::v1;
namespace sv1 = secrets::v1;

// Runs `call` (a blocking call on an internal service) for an admitted caller.
grpc::ServerUnaryReactor* Forward(Gatekeeper& gate, grpc::CallbackServerContext* ctx,
                                  absl::StatusOr<Need> need,
                                  std::function<grpc::Status(grpc::ClientContext*)> call,
                                  const rpc::Client& client) {
  return gate.Authenticated(ctx,
                            [&gate, ctx, need = std::move(need), call = std::move(call),
                             &client](const Caller& caller) -> absl::Status {
                              if (!need.ok()) {
                                return need.status();
                              }
                              GOFER_RETURN_IF_ERROR(gate.Check(caller, *need));
                              auto context = client.NewContext(
                                  {.caller = caller.actor, .request_id = rpc::RequestIdOf(*ctx)});
                              return rpc::FromGrpcStatus(call(context.get()));
                            });
}

grpc::Status Denied(const absl::Status& s) { return rpc::ToGrpcStatus(s); }

// Relays a client stream of object chunks to the object-store.
class PutRelay final : public grpc::ServerReadReactor<ov1::PutObjectRequest> {
 public:
  PutRelay(grpc::CallbackServerContext* ctx, Gatekeeper& gate, const rpc::Client& client,
           ov1::ObjectStore::Stub& stub, ov1::PutObjectResponse* response)
      : ctx_(ctx), gate_(gate), client_(client), stub_(stub), response_(response) {
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
        Finish(writer_->Finish());
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
        Finish(writer_->Finish());  // the object-store ended the call (e.g. a limit)
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
    if (!s.ok()) {
      Finish(Denied(gate_.Sanitize(s, "PutObject")));
      return;
    }
    upstream_ = client_.NewContext({.timeout = absl::Hours(6),
                                    .caller = caller->actor,
                                    .request_id = rpc::RequestIdOf(*ctx_)});
    writer_ = stub_.PutObject(upstream_.get(), response_);
    if (!writer_->Write(request_)) {
      Finish(writer_->Finish());
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
  GetRelay(grpc::CallbackServerContext* ctx, Gatekeeper& gate, const rpc::Client& client,
           ov1::ObjectStore::Stub& stub, const ov1::GetObjectRequest& request)
      : gate_(gate) {
    const bool admitted =
        gate_.runtime().executor().TrySubmit([this, ctx, &client, &stub, request] {
          auto caller = gate_.Authenticate(*ctx);
          absl::StatusOr<Need> need = ObjectNeed(request.ref(), Action::kRead);
          absl::Status s = caller.ok() ? (need.ok() ? gate_.Check(*caller, *need) : need.status())
                                       : caller.status();
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
      Finish(reader_->Finish());
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

SecretForwardService::SecretForwardService(const rpc::Client& secrets, Gatekeeper& gate)
    : client_(secrets), stub_(sv1::SecretStore::NewStub(secrets.channel())), gate_(gate) {}

grpc::ServerUnaryReactor* SecretForwardService::PutSecret(grpc::CallbackServerContext* ctx,
                                                          const sv1::PutSecretRequest* req,
                                                          sv1::PutSecretResponse* resp) {
  return Forward(
      gate_, ctx, SecretNeed(req->ref(), Action::kWrite),
      [this, req, resp](grpc::ClientContext* c) { return stub_->PutSecret(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* SecretForwardService::GetSecret(grpc::CallbackServerContext* ctx,
                                                          const sv1::GetSecretRequest* req,
                                                          sv1::GetSecretResponse* resp) {
  // Reading a value is a write-level permission: read-only tokens see metadata only.
  return Forward(
      gate_, ctx, SecretNeed(req->ref(), req->include_value() ? Action::kWrite : Action::kRead),
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
      gate_, ctx, SecretNeed(owner, Action::kRead),
      [this, req, resp](grpc::ClientContext* c) { return stub_->ListSecrets(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* SecretForwardService::DeleteSecret(grpc::CallbackServerContext* ctx,
                                                             const sv1::DeleteSecretRequest* req,
                                                             sv1::DeleteSecretResponse* resp) {
  return Forward(
      gate_, ctx, SecretNeed(req->ref(), Action::kDelete),
      [this, req, resp](grpc::ClientContext* c) { return stub_->DeleteSecret(c, *req, resp); },
      client_);
}

ObjectForwardService::ObjectForwardService(const rpc::Client& objects, Gatekeeper& gate)
    : client_(objects), stub_(ov1::ObjectStore::NewStub(objects.channel())), gate_(gate) {}

grpc::ServerReadReactor<ov1::PutObjectRequest>* ObjectForwardService::PutObject(
    grpc::CallbackServerContext* ctx, ov1::PutObjectResponse* resp) {
  return new PutRelay(ctx, gate_, client_, *stub_, resp);
}

grpc::ServerWriteReactor<ov1::GetObjectResponse>* ObjectForwardService::GetObject(
    grpc::CallbackServerContext* ctx, const ov1::GetObjectRequest* req) {
  return new GetRelay(ctx, gate_, client_, *stub_, *req);
}

grpc::ServerUnaryReactor* ObjectForwardService::StatObject(grpc::CallbackServerContext* ctx,
                                                           const ov1::StatObjectRequest* req,
                                                           ov1::ObjectInfo* resp) {
  return Forward(
      gate_, ctx, ObjectNeed(req->ref(), Action::kRead),
      [this, req, resp](grpc::ClientContext* c) { return stub_->StatObject(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* ObjectForwardService::ListObjects(grpc::CallbackServerContext* ctx,
                                                            const ov1::ListObjectsRequest* req,
                                                            ov1::ListObjectsResponse* resp) {
  return Forward(
      gate_, ctx, ObjectNeed(req->parent(), Action::kRead),
      [this, req, resp](grpc::ClientContext* c) { return stub_->ListObjects(c, *req, resp); },
      client_);
}

grpc::ServerUnaryReactor* ObjectForwardService::DeleteObject(grpc::CallbackServerContext* ctx,
                                                             const ov1::DeleteObjectRequest* req,
                                                             ov1::DeleteObjectResponse* resp) {
  return Forward(
      gate_, ctx, ObjectNeed(req->ref(), Action::kDelete),
      [this, req, resp](grpc::ClientContext* c) { return stub_->DeleteObject(c, *req, resp); },
      client_);
}

}  // namespace gofer::api_gateway
