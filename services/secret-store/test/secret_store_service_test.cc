// SecretStore through real gRPC in-process (loopback, port 0) over the in-memory storage: the
// internal credential, proto ⇄ domain conversion, pagination while others write, and errors
// with their details crossing the wire.
#include "secret_store_service.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "gofer/common/clock.h"
#include "gofer/common/errors.h"
#include "gofer/common/id_generator.h"
#include "gofer/rpc/channel.h"
#include "gofer/rpc/server.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/status.h"
#include "in_memory_secret_storage.h"

namespace gofer::secret_store {
namespace {

namespace pb = gofer::secrets::v1;

constexpr char kCredential[] = "secret-store-test-credential";

pb::SecretRef PipelineSecret(const std::string& key) {
  pb::SecretRef ref;
  ref.set_scope(pb::SECRET_SCOPE_PIPELINE);
  ref.set_namespace_id("prod");
  ref.set_pipeline_id("build");
  ref.set_key(key);
  return ref;
}

pb::SecretRef GlobalSecret(const std::string& key) {
  pb::SecretRef ref;
  ref.set_scope(pb::SECRET_SCOPE_GLOBAL);
  ref.set_key(key);
  return ref;
}

// A SecretStore server on 127.0.0.1:0 over an in-memory storage, and a client of it.
struct ServiceTest {
  InMemorySecretStorage storage;
  MasterKey key = MasterKey::FromBytes(SecureRandomBytes(MasterKey::kSize));
  Keyring keyring{key, {}};
  SecretManager manager{storage, keyring, SystemClock::Get()};
  rpc::Runtime runtime{{.internal_credential = kCredential}};
  SecretStoreService service{runtime, manager};
  std::unique_ptr<rpc::Server> server;
  std::unique_ptr<rpc::Client> client;
  std::unique_ptr<pb::SecretStore::Stub> stub;

  ServiceTest() {
    auto started = rpc::Server::Start(
        {.service_name = "secret-store-test", .health_services = {kHealthService}}, {&service});
    GOFER_REQUIRE_OK(started);
    server = *std::move(started);
    client = std::make_unique<rpc::Client>(
        rpc::ClientOptions{.target = server->address(), .internal_credential = kCredential});
    stub = pb::SecretStore::NewStub(client->channel());
  }
  ~ServiceTest() {
    server->Shutdown();
    runtime.Shutdown();
  }

  // Calls `method` of the stub as "token:tester"; the gRPC status becomes an absl::Status with
  // its details.
  template <typename Response, typename Request>
  absl::StatusOr<Response> Call(grpc::Status (pb::SecretStore::Stub::*method)(grpc::ClientContext*,
                                                                              const Request&,
                                                                              Response*),
                                const Request& request) {
    auto context = client->NewContext({.caller = "token:tester"});
    Response response;
    const grpc::Status status = (stub.get()->*method)(context.get(), request, &response);
    if (!status.ok()) {
      return rpc::FromGrpcStatus(status);
    }
    return response;
  }

  absl::StatusOr<pb::PutSecretResponse> Put(const pb::SecretRef& ref, const std::string& value,
                                            std::vector<std::string> patterns = {}) {
    pb::PutSecretRequest request;
    *request.mutable_ref() = ref;
    request.set_value(value);
    for (const std::string& pattern : patterns) {
      request.add_namespace_patterns(pattern);
    }
    return Call(&pb::SecretStore::Stub::PutSecret, request);
  }

  absl::StatusOr<pb::GetSecretResponse> Get(const pb::SecretRef& ref, bool include_value) {
    pb::GetSecretRequest request;
    *request.mutable_ref() = ref;
    request.set_include_value(include_value);
    return Call(&pb::SecretStore::Stub::GetSecret, request);
  }

  absl::StatusOr<pb::ListSecretsResponse> ListPipeline(int page_size, const std::string& token) {
    pb::ListSecretsRequest request;
    request.set_scope(pb::SECRET_SCOPE_PIPELINE);
    request.set_namespace_id("prod");
    request.set_pipeline_id("build");
    request.set_page_size(page_size);
    request.set_page_token(token);
    return Call(&pb::SecretStore::Stub::ListSecrets, request);
  }
};

std::string Key(const char* prefix, int i) {
  return prefix + std::string(i < 10 ? "0" : "") + std::to_string(i);
}

}  // namespace

TEST_CASE("A call without the internal credential is UNAUTHENTICATED") {
  ServiceTest t;
  for (const std::string credential : {"", "wrong-credential"}) {
    rpc::Client anonymous({.target = t.server->address(), .internal_credential = credential});
    auto stub = pb::SecretStore::NewStub(anonymous.channel());
    auto context = anonymous.NewContext();
    pb::GetSecretRequest request;
    *request.mutable_ref() = PipelineSecret("db");
    pb::GetSecretResponse response;
    const grpc::Status status = stub->GetSecret(context.get(), request, &response);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  CHECK(t.storage.events().empty());
}

TEST_CASE("A secret put over gRPC reads back with its value only when asked") {
  ServiceTest t;
  const std::string value("binary\0value\xff", 13);
  auto put = t.Put(PipelineSecret("db"), value);
  GOFER_REQUIRE_OK(put);
  CHECK(put->created());
  CHECK(put->metadata().ref().key() == "db");
  CHECK(put->metadata().key_id() == t.key.id());
  CHECK(put->metadata().created().seconds() > 0);

  auto without = t.Get(PipelineSecret("db"), false);
  GOFER_REQUIRE_OK(without);
  CHECK(without->value().empty());
  CHECK(without->metadata().ref().scope() == pb::SECRET_SCOPE_PIPELINE);
  auto with = t.Get(PipelineSecret("db"), true);
  GOFER_REQUIRE_OK(with);
  CHECK(with->value() == value);
  REQUIRE(t.storage.events().size() == 1);
  CHECK(t.storage.events()[0].actor == "token:tester");
}

TEST_CASE("Listing pages through every secret exactly once while others are inserted") {
  ServiceTest t;
  std::set<std::string> original;
  for (int i = 0; i < 40; i += 2) {
    GOFER_REQUIRE_OK(t.Put(PipelineSecret(Key("k", i)), "v"));
    original.insert(Key("k", i));
  }
  std::vector<std::string> seen;
  std::string token;
  std::atomic<int> failed_puts{0};
  std::jthread writer;  // joined on every way out of the test case
  do {
    auto page = t.ListPipeline(3, token);
    GOFER_REQUIRE_OK(page);
    for (const pb::SecretMetadata& m : page->secrets()) {
      seen.push_back(m.ref().key());
    }
    token = page->next_page_token();
    if (!writer.joinable()) {  // after the first page, insert before and after the cursor
      writer = std::jthread([&t, &failed_puts] {
        for (int i = 1; i < 40; i += 2) {  // no Catch2 assertions off the main thread
          failed_puts += t.Put(PipelineSecret(Key("k", i)), "v").ok() ? 0 : 1;
          failed_puts += t.Put(PipelineSecret(Key("a", i)), "v").ok() ? 0 : 1;
        }
      });
    }
  } while (!token.empty());
  writer.join();
  CHECK(failed_puts == 0);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // no repeats
  for (const std::string& key : original) {
    CHECK(std::count(seen.begin(), seen.end(), key) == 1);
  }
}

TEST_CASE("A deleted secret is NOT_FOUND with its details across the wire") {
  ServiceTest t;
  GOFER_REQUIRE_OK(t.Put(PipelineSecret("db"), "v"));
  pb::DeleteSecretRequest request;
  *request.mutable_ref() = PipelineSecret("db");
  GOFER_REQUIRE_OK(t.Call(&pb::SecretStore::Stub::DeleteSecret, request));
  const auto got = t.Get(PipelineSecret("db"), true);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kNotFound);
  const ErrorDetails details = GetErrorDetails(got.status());
  CHECK(details.reason == "RESOURCE_NOT_FOUND");
  CHECK(details.metadata.at("namespace_id") == "prod");
  CHECK(details.metadata.at("pipeline_id") == "build");
  GOFER_REQUIRE_CODE(t.Call(&pb::SecretStore::Stub::DeleteSecret, request),
                     absl::StatusCode::kNotFound);
}

TEST_CASE("An invalid put returns every field violation across the wire") {
  ServiceTest t;
  pb::SecretRef ref = GlobalSecret("bad//key");
  ref.set_namespace_id("prod");
  const auto put = t.Put(ref, "", {"UPPER"});
  GOFER_REQUIRE_CODE(put, absl::StatusCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(put.status())) {
    fields.insert(v.field);
  }
  CHECK(fields ==
        std::set<std::string>{"ref.namespace_id", "ref.key", "value", "namespace_patterns[0]"});
  CHECK(GetErrorDetails(put.status()).reason == "INVALID_FIELD");
}

TEST_CASE("A second put without force is ALREADY_EXISTS across the wire") {
  ServiceTest t;
  GOFER_REQUIRE_OK(t.Put(GlobalSecret("token"), "v", {"*"}));
  const auto again = t.Put(GlobalSecret("token"), "v", {"*"});
  GOFER_REQUIRE_CODE(again, absl::StatusCode::kAlreadyExists);
  CHECK(GetErrorDetails(again.status()).reason == "RESOURCE_EXISTS");
}

TEST_CASE("Resolve over gRPC returns values and names denied keys in its ErrorInfo") {
  ServiceTest t;
  GOFER_REQUIRE_OK(t.Put(PipelineSecret("db"), "db-value"));
  GOFER_REQUIRE_OK(t.Put(GlobalSecret("registry"), "registry-value", {"prod"}));
  GOFER_REQUIRE_OK(t.Put(GlobalSecret("deploy"), "deploy-value", {"ops-*"}));
  pb::ResolveSecretsRequest request;
  request.set_namespace_id("prod");
  request.set_pipeline_id("build");
  auto add = [&](pb::SecretScope scope, const std::string& key) {
    pb::SecretName* name = request.add_secrets();
    name->set_scope(scope);
    name->set_key(key);
  };
  add(pb::SECRET_SCOPE_PIPELINE, "db");
  add(pb::SECRET_SCOPE_GLOBAL, "registry");
  auto resolved = t.Call(&pb::SecretStore::Stub::ResolveSecrets, request);
  GOFER_REQUIRE_OK(resolved);
  REQUIRE(resolved->secrets_size() == 2);
  CHECK(resolved->secrets(0).value() == "db-value");
  CHECK(resolved->secrets(1).scope() == pb::SECRET_SCOPE_GLOBAL);
  CHECK(resolved->secrets(1).value() == "registry-value");

  add(pb::SECRET_SCOPE_GLOBAL, "deploy");
  const auto denied = t.Call(&pb::SecretStore::Stub::ResolveSecrets, request);
  GOFER_REQUIRE_CODE(denied, absl::StatusCode::kPermissionDenied);
  CHECK(GetErrorDetails(denied.status()).metadata.at("keys") == "global:deploy");
  CHECK(std::string(denied.status().message()).find("deploy-value") == std::string::npos);
}

TEST_CASE("RotateMasterKey over gRPC reports the primary key and what it re-wrapped") {
  ServiceTest t;
  GOFER_REQUIRE_OK(t.Put(PipelineSecret("db"), "v"));
  auto rotated = t.Call(&pb::SecretStore::Stub::RotateMasterKey, pb::RotateMasterKeyRequest());
  GOFER_REQUIRE_OK(rotated);
  CHECK(rotated->rewrapped_count() == 0);
  CHECK(rotated->primary_key_id() == t.key.id());
}

}  // namespace gofer::secret_store
