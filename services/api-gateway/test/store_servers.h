// The gateway with the stores it forwards to: a real in-process object-store (ObjectStoreServer
// over Postgres and a temporary blob directory) and secret-store (PgSecretStorage), each with
// its internal credential, and a GatewayServer serving ObjectService and SecretService through
// them. Plus helpers for the object streams through the gateway and for the stores' events.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway_server.h"
#include "gofer/events/outbox.h"
#include "gofer/objects/v1/object_store.pb.h"
#include "gofer/pg/pool.h"
#include "gofer/rpc/channel.h"
#include "gofer/rpc/runtime.h"
#include "gofer/rpc/server.h"
#include "gofer/secrets/v1/secret_store.pb.h"
#include "gofer/testing/fixtures.h"
#include "object_store_server.h"
#include "pg_secret_storage.h"
#include "secret_manager.h"
#include "secret_store_service.h"

namespace gofer::api_gateway::testing {

// An in-process gofer.secrets.v1.SecretStore over fresh Postgres schemas (secrets, events).
class SecretStoreServer {
 public:
  SecretStoreServer();
  // Shuts the server down, then the runtime.
  ~SecretStoreServer();

  // A client with the store's internal credential.
  const rpc::Client& client() const { return *client_; }
  // Waits until the store's outbox holds at least `n` events, then returns them all in order.
  std::vector<events::Event> Events(size_t n);

 private:
  gofer::testing::PgTestSchema schema_{"gwsec"};
  gofer::testing::PgTestSchema events_schema_{"gwsecev"};
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<secret_store::PgSecretStorage> storage_;
  secret_store::Keyring keyring_;
  std::unique_ptr<secret_store::SecretManager> manager_;
  rpc::Runtime runtime_;
  secret_store::SecretStoreService service_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<rpc::Client> client_;
};

// Both stores and a gateway forwarding to them. Pipeline objects may be up to 8 MiB.
class GatewayWithStores {
 public:
  GatewayWithStores();

  GatewayServer& gw() { return *gateway_; }
  object_store::testing::ObjectStoreServer& objects() { return objects_; }
  SecretStoreServer& secrets() { return secrets_; }

 private:
  object_store::testing::ObjectStoreServer objects_;
  SecretStoreServer secrets_;
  std::unique_ptr<GatewayServer> gateway_;
};

// A PIPELINE-scope object ref.
objects::v1::ObjectRef PipelineObject(const std::string& namespace_id,
                                      const std::string& pipeline_id, const std::string& key);
// A PIPELINE-scope / GLOBAL secret ref.
secrets::v1::SecretRef PipelineSecret(const std::string& namespace_id,
                                      const std::string& pipeline_id, const std::string& key);
secrets::v1::SecretRef GlobalSecret(const std::string& key);

// ObjectService.PutObject through the gateway as the holder of `secret`: the header, then
// `content` in chunks of at most 1 MiB. The response or the error with its details.
absl::StatusOr<objects::v1::PutObjectResponse> PutObject(const GatewayServer& gw,
                                                         const std::string& secret,
                                                         const objects::v1::ObjectRef& ref,
                                                         const std::string& content,
                                                         bool force = false);

struct Download {
  objects::v1::ObjectInfo info;  // from the first message
  std::string content;
  int messages = 0;
};

// ObjectService.GetObject through the gateway as the holder of `secret`.
absl::StatusOr<Download> GetObject(const GatewayServer& gw, const std::string& secret,
                                   const objects::v1::ObjectRef& ref);

}  // namespace gofer::api_gateway::testing
