// Resolver over the secret-store (ResolveSecrets) and the object-store (GetObject).
#pragma once

#include <memory>

#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/channel.h"
#include "gofer/secrets/v1/secret_store.grpc.pb.h"
#include "task_environment.h"

namespace gofer::run_queue {

class GrpcResolver final : public Resolver {
 public:
  // The clients must outlive the resolver. `caller` identifies the run-queue on internal calls.
  GrpcResolver(rpc::Client& secrets, rpc::Client& objects, std::string caller);

  absl::StatusOr<std::vector<std::string>> ResolveSecrets(
      const RunRecord& run, const std::vector<pipeline::Interpolation>& secrets) override;
  absl::StatusOr<std::string> ReadObject(const RunRecord& run,
                                         const pipeline::Interpolation& object,
                                         size_t max_bytes) override;

 private:
  absl::StatusOr<std::string> Read(const objects::v1::ObjectRef& ref, size_t max_bytes);

  rpc::Client& secrets_client_;
  rpc::Client& objects_client_;
  const std::string caller_;
  std::unique_ptr<secrets::v1::SecretStore::Stub> secrets_;
  std::unique_ptr<objects::v1::ObjectStore::Stub> objects_;
};

}  // namespace gofer::run_queue
