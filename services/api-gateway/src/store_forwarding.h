// gofer.v1.ObjectService and gofer.v1.SecretService: authorise, then forward to the
// object-store and secret-store with the internal credential and the caller's identity.
// Streams are relayed message by message (one in flight each way), so memory stays flat.
#pragma once

#include "gatekeeper.h"
#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/channel.h"
#include "gofer/secrets/v1/secret_store.grpc.pb.h"
#include "gofer/v1/stores.grpc.pb.h"
#include "pipeline_store.h"

namespace gofer::api_gateway {

class SecretForwardService final : public v1::SecretService::CallbackService {
 public:
  SecretForwardService(const rpc::Client& secrets, PipelineStore& pipelines, Gatekeeper& gate);

  grpc::ServerUnaryReactor* PutSecret(grpc::CallbackServerContext* ctx,
                                      const secrets::v1::PutSecretRequest* req,
                                      secrets::v1::PutSecretResponse* resp) override;
  grpc::ServerUnaryReactor* GetSecret(grpc::CallbackServerContext* ctx,
                                      const secrets::v1::GetSecretRequest* req,
                                      secrets::v1::GetSecretResponse* resp) override;
  grpc::ServerUnaryReactor* ListSecrets(grpc::CallbackServerContext* ctx,
                                        const secrets::v1::ListSecretsRequest* req,
                                        secrets::v1::ListSecretsResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteSecret(grpc::CallbackServerContext* ctx,
                                         const secrets::v1::DeleteSecretRequest* req,
                                         secrets::v1::DeleteSecretResponse* resp) override;

 private:
  const rpc::Client& client_;
  std::unique_ptr<secrets::v1::SecretStore::Stub> stub_;
  PipelineStore& pipelines_;
  Gatekeeper& gate_;
};

class ObjectForwardService final : public v1::ObjectService::CallbackService {
 public:
  ObjectForwardService(const rpc::Client& objects, PipelineStore& pipelines, Gatekeeper& gate);

  grpc::ServerReadReactor<objects::v1::PutObjectRequest>* PutObject(
      grpc::CallbackServerContext* ctx, objects::v1::PutObjectResponse* resp) override;
  grpc::ServerWriteReactor<objects::v1::GetObjectResponse>* GetObject(
      grpc::CallbackServerContext* ctx, const objects::v1::GetObjectRequest* req) override;
  grpc::ServerUnaryReactor* StatObject(grpc::CallbackServerContext* ctx,
                                       const objects::v1::StatObjectRequest* req,
                                       objects::v1::ObjectInfo* resp) override;
  grpc::ServerUnaryReactor* ListObjects(grpc::CallbackServerContext* ctx,
                                        const objects::v1::ListObjectsRequest* req,
                                        objects::v1::ListObjectsResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteObject(grpc::CallbackServerContext* ctx,
                                         const objects::v1::DeleteObjectRequest* req,
                                         objects::v1::DeleteObjectResponse* resp) override;

 private:
  const rpc::Client& client_;
  std::unique_ptr<objects::v1::ObjectStore::Stub> stub_;
  PipelineStore& pipelines_;
  Gatekeeper& gate_;
};

// What touching object `ref` needs (INVALID_ARGUMENT for scopes the public API does not offer).
absl::StatusOr<Need> ObjectNeed(const objects::v1::ObjectRef& ref, Action action);

// What touching secret `ref` needs; reading values needs write.
Need SecretNeed(const secrets::v1::SecretRef& ref, Action action);

}  // namespace gofer::api_gateway
