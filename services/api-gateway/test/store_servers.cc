#include "store_servers.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <utility>

#include "gofer/common/clock.h"
#include "gofer/common/id_generator.h"
#include "gofer/pg/migrations.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"
#include "gofer/v1/stores.grpc.pb.h"

namespace gofer {
// Embedded by secret_store_lib (declared in the secret-store's config.h, whose name the
// gateway's own config.h shadows here).
const pg::MigrationSet& SecretStoreMigrations();
}  // namespace gofer

namespace gofer::api_gateway::testing {
namespace {

namespace ov1 = objects::v1;
namespace sv1 = secrets::v1;

constexpr char kSecretStoreCredential[] = "gateway-test-secret-store";

object_store::Limits ObjectLimits() {
  object_store::Limits limits = object_store::testing::SmallLimits();
  limits.max_pipeline_object_bytes = 8 << 20;
  return limits;
}

}  // namespace

SecretStoreServer::SecretStoreServer()
    : pool_(schema_.MakePool(4)),
      storage_(std::make_unique<secret_store::PgSecretStorage>(*pool_, events_schema_.name())),
      keyring_(
          secret_store::MasterKey::FromBytes(SecureRandomBytes(secret_store::MasterKey::kSize)),
          {}),
      manager_(
          std::make_unique<secret_store::SecretManager>(*storage_, keyring_, SystemClock::Get())),
      runtime_(rpc::RuntimeOptions{.internal_credential = kSecretStoreCredential}),
      service_(runtime_, *manager_) {
  GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool_, gofer::EventsMigrations(), events_schema_.name()));
  GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool_, gofer::SecretStoreMigrations(), schema_.name()));
  auto server = rpc::Server::Start(
      {.service_name = "secret-store-test", .listen_address = "127.0.0.1:0"}, {&service_});
  GOFER_REQUIRE_OK(server);
  server_ = *std::move(server);
  client_ = std::make_unique<rpc::Client>(rpc::ClientOptions{
      .target = server_->address(), .internal_credential = kSecretStoreCredential});
}

SecretStoreServer::~SecretStoreServer() {
  server_->Shutdown();
  runtime_.Shutdown();
}

std::vector<events::Event> SecretStoreServer::Events(size_t n) {
  const events::Outbox outbox(events_schema_.name());
  std::vector<events::Event> out;
  absl::Status last;
  const bool read = gofer::testing::Eventually([&] {
    auto page = outbox.Read(*pool_, {}, {}, 1000);
    last = page.status();
    if (!page.ok()) {
      return false;
    }
    out = page->events;
    return out.size() >= n;
  });
  INFO("read " << out.size() << " secret-store events, expected " << n << "; last " << last);
  REQUIRE(read);
  return out;
}

GatewayWithStores::GatewayWithStores() : objects_(ObjectLimits()) {
  gateway_ = std::make_unique<GatewayServer>(
      GatewayOptions{.object_store = &objects_.client(), .secret_store = &secrets_.client()});
}

ov1::ObjectRef PipelineObject(const std::string& namespace_id, const std::string& pipeline_id,
                              const std::string& key) {
  ov1::ObjectRef ref;
  ref.set_scope(ov1::OBJECT_SCOPE_PIPELINE);
  ref.set_namespace_id(namespace_id);
  ref.set_pipeline_id(pipeline_id);
  ref.set_key(key);
  return ref;
}

sv1::SecretRef PipelineSecret(const std::string& namespace_id, const std::string& pipeline_id,
                              const std::string& key) {
  sv1::SecretRef ref;
  ref.set_scope(sv1::SECRET_SCOPE_PIPELINE);
  ref.set_namespace_id(namespace_id);
  ref.set_pipeline_id(pipeline_id);
  ref.set_key(key);
  return ref;
}

sv1::SecretRef GlobalSecret(const std::string& key) {
  sv1::SecretRef ref;
  ref.set_scope(sv1::SECRET_SCOPE_GLOBAL);
  ref.set_key(key);
  return ref;
}

absl::StatusOr<ov1::PutObjectResponse> PutObject(const GatewayServer& gw, const std::string& secret,
                                                 const ov1::ObjectRef& ref,
                                                 const std::string& content, bool force) {
  v1::ObjectService::Stub stub(gw.channel());
  auto context = gw.Context(secret);
  ov1::PutObjectResponse response;
  auto writer = stub.PutObject(context.get(), &response);
  ov1::PutObjectRequest request;
  *request.mutable_header()->mutable_ref() = ref;
  request.mutable_header()->set_force(force);
  bool open = writer->Write(request);
  constexpr size_t kChunk = 1 << 20;
  for (size_t at = 0; open && at < content.size(); at += kChunk) {
    request.set_chunk(content.substr(at, kChunk));
    open = writer->Write(request);
  }
  if (open) {
    writer->WritesDone();
  }
  const grpc::Status status = writer->Finish();
  if (!status.ok()) {
    return rpc::FromGrpcStatus(status);
  }
  return response;
}

absl::StatusOr<Download> GetObject(const GatewayServer& gw, const std::string& secret,
                                   const ov1::ObjectRef& ref) {
  v1::ObjectService::Stub stub(gw.channel());
  auto context = gw.Context(secret);
  ov1::GetObjectRequest request;
  *request.mutable_ref() = ref;
  auto reader = stub.GetObject(context.get(), request);
  Download download;
  ov1::GetObjectResponse response;
  while (reader->Read(&response)) {
    if (download.messages++ == 0) {
      download.info = response.object();
    }
    download.content += response.chunk();
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return rpc::FromGrpcStatus(status);
  }
  return download;
}

}  // namespace gofer::api_gateway::testing
