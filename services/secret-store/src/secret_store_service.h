// The gRPC adapter of gofer.secrets.v1.SecretStore: converts protos to the domain and back and
// runs each call through rpc::Unary (internal credential, bounded executor). No rules live here.
#pragma once

#include "gofer/rpc/runtime.h"
#include "gofer/secrets/v1/secret_store.grpc.pb.h"
#include "secret_manager.h"

namespace gofer::secret_store {

// Serves SecretStore with `manager`. Thread-safe; `runtime` and `manager` must outlive it.
class SecretStoreService final : public gofer::secrets::v1::SecretStore::CallbackService {
 public:
  SecretStoreService(rpc::Runtime& runtime, SecretManager& manager)
      : runtime_(runtime), manager_(manager) {}

  grpc::ServerUnaryReactor* PutSecret(grpc::CallbackServerContext* context,
                                      const gofer::secrets::v1::PutSecretRequest* request,
                                      gofer::secrets::v1::PutSecretResponse* response) override;
  grpc::ServerUnaryReactor* GetSecret(grpc::CallbackServerContext* context,
                                      const gofer::secrets::v1::GetSecretRequest* request,
                                      gofer::secrets::v1::GetSecretResponse* response) override;
  grpc::ServerUnaryReactor* ListSecrets(grpc::CallbackServerContext* context,
                                        const gofer::secrets::v1::ListSecretsRequest* request,
                                        gofer::secrets::v1::ListSecretsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteSecret(
      grpc::CallbackServerContext* context, const gofer::secrets::v1::DeleteSecretRequest* request,
      gofer::secrets::v1::DeleteSecretResponse* response) override;
  grpc::ServerUnaryReactor* ResolveSecrets(
      grpc::CallbackServerContext* context,
      const gofer::secrets::v1::ResolveSecretsRequest* request,
      gofer::secrets::v1::ResolveSecretsResponse* response) override;
  grpc::ServerUnaryReactor* RotateMasterKey(
      grpc::CallbackServerContext* context,
      const gofer::secrets::v1::RotateMasterKeyRequest* request,
      gofer::secrets::v1::RotateMasterKeyResponse* response) override;

 private:
  rpc::Runtime& runtime_;
  SecretManager& manager_;
};

}  // namespace gofer::secret_store
