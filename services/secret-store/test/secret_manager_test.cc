// SecretManager over the in-memory storage: validation, force, reads with and without values,
// pagination, the namespace allow-list in Resolve, wrong keys, tampering and rotation.
#include "secret_manager.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "gofer/common/errors.h"
#include "gofer/common/id_generator.h"
#include "gofer/testing/status.h"
#include "in_memory_secret_storage.h"

namespace gofer::secret_store {
namespace {

MasterKey NewKey() { return MasterKey::FromBytes(SecureRandomBytes(MasterKey::kSize)); }

std::set<std::string> Fields(const absl::Status& status) {
  std::set<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    fields.insert(v.field);
  }
  return fields;
}

// A manager over an in-memory storage, with a primary key and a fake clock.
struct ManagerTest {
  InMemorySecretStorage storage;
  FakeClock clock;
  MasterKey key = NewKey();
  Keyring keyring{key, {}};
  SecretManager manager{storage, keyring, clock, {.max_value_bytes = 1024}};

  PutSecretResult Put(SecretRef ref, std::string value, std::vector<std::string> patterns = {},
                      bool force = false) {
    if (ref.scope == SecretScope::kGlobal && patterns.empty()) {
      patterns = {"*"};
    }
    auto result =
        manager.Put({std::move(ref), std::move(value), std::move(patterns), force}, "token:tester");
    GOFER_REQUIRE_OK(result);
    return *std::move(result);
  }

  std::string Value(const SecretRef& ref) {
    auto got = manager.Get(ref, true);
    GOFER_REQUIRE_OK(got);
    REQUIRE(got->value.has_value());
    return *got->value;
  }
};

const SecretRef kDb = PipelineRef("prod", "build", "db_password");

}  // namespace

TEST_CASE("An invalid put reports every violation at once") {
  ManagerTest t;
  const auto put = t.manager.Put({PipelineRef("Prod", "b", "../x"), "", {"*"}, false}, "t");
  GOFER_REQUIRE_CODE(put, absl::StatusCode::kInvalidArgument);
  CHECK(Fields(put.status()) == std::set<std::string>{"ref.namespace_id", "ref.pipeline_id",
                                                      "ref.key", "value", "namespace_patterns"});
  const auto global = t.manager.Put({SecretRef{SecretScope::kGlobal, "prod", "", "k"},
                                     std::string(1025, 'x'),
                                     {"ok", "B@d"},
                                     false},
                                    "t");
  CHECK(Fields(global.status()) ==
        std::set<std::string>{"ref.namespace_id", "value", "namespace_patterns[1]"});
  const auto no_patterns = t.manager.Put({GlobalRef("k"), "v", {}, false}, "t");
  CHECK(Fields(no_patterns.status()) == std::set<std::string>{"namespace_patterns"});
  const auto unscoped =
      t.manager.Put({SecretRef{SecretScope::kUnspecified, "", "", "k"}, "v"}, "t");
  CHECK(Fields(unscoped.status()) == std::set<std::string>{"ref.scope"});
  CHECK(t.storage.events().empty());
}

TEST_CASE("A violation never quotes the secret's value") {
  ManagerTest t;
  const std::string value = "very-secret-value-" + std::string(1100, 'v');
  const auto put = t.manager.Put({PipelineRef("prod", "build", "k"), value, {}, false}, "t");
  GOFER_REQUIRE_CODE(put, absl::StatusCode::kInvalidArgument);
  CHECK(std::string(put.status().message()).find("very-secret-value") == std::string::npos);
}

TEST_CASE("A put secret reads back with its value only when asked") {
  ManagerTest t;
  const PutSecretResult put = t.Put(kDb, std::string("s3cr3t\0!", 8));
  CHECK(put.created);
  CHECK(put.metadata.ref == kDb);
  CHECK(put.metadata.created == t.clock.Now());
  CHECK(put.metadata.key_id == t.key.id());
  auto without = t.manager.Get(kDb, false);
  GOFER_REQUIRE_OK(without);
  CHECK_FALSE(without->value.has_value());
  CHECK(without->metadata.key_id == t.key.id());
  CHECK(t.Value(kDb) == std::string("s3cr3t\0!", 8));
}

TEST_CASE("A put of an existing secret without force fails and keeps the old value") {
  ManagerTest t;
  t.Put(kDb, "first");
  const auto again = t.manager.Put({kDb, "second", {}, false}, "t");
  GOFER_REQUIRE_CODE(again, absl::StatusCode::kAlreadyExists);
  CHECK(GetErrorDetails(again.status()).reason == "RESOURCE_EXISTS");
  CHECK(t.Value(kDb) == "first");
}

TEST_CASE("A forced put replaces the value and keeps the created time") {
  ManagerTest t;
  const absl::Time created = t.clock.Now();
  t.Put(kDb, "first");
  t.clock.Advance(absl::Minutes(5));
  const PutSecretResult replaced = t.Put(kDb, "second", {}, /*force=*/true);
  CHECK_FALSE(replaced.created);
  CHECK(replaced.metadata.created == created);
  CHECK(replaced.metadata.modified == t.clock.Now());
  CHECK(t.Value(kDb) == "second");
  const std::vector<RecordedEvent> events = t.storage.events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].kind == "secret.put");
  CHECK(events[1].actor == "token:tester");
}

TEST_CASE("Get and Delete of a missing secret are NOT_FOUND naming it and its pipeline") {
  ManagerTest t;
  const auto got = t.manager.Get(kDb, true);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kNotFound);
  CHECK(got.status().message() ==
        "pipeline secret 'db_password' not found in namespace 'prod', pipeline 'build'");
  GOFER_REQUIRE_CODE(t.manager.Delete(kDb, "t"), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(t.manager.Delete(PipelineRef("prod", "build", "/bad"), "t"),
                     absl::StatusCode::kInvalidArgument);
}

TEST_CASE("A deleted secret is gone and its deletion is recorded with the caller") {
  ManagerTest t;
  t.Put(kDb, "v");
  GOFER_REQUIRE_OK(t.manager.Delete(kDb, "token:alice"));
  GOFER_REQUIRE_CODE(t.manager.Get(kDb, false), absl::StatusCode::kNotFound);
  const std::vector<RecordedEvent> events = t.storage.events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].kind == "secret.deleted");
  CHECK(events[1].ref == kDb);
  CHECK(events[1].actor == "token:alice");
}

TEST_CASE("List pages through one pipeline's secrets in key order with tokens bound to it") {
  ManagerTest t;
  for (int i = 0; i < 7; ++i) {
    t.Put(PipelineRef("prod", "build", "k" + std::to_string(i)), "v");
  }
  t.Put(PipelineRef("prod", "other", "k9"), "v");
  t.Put(GlobalRef("g"), "v");
  std::vector<std::string> keys;
  ListSecretsRequest request{SecretScope::kPipeline, "prod", "build", 3, ""};
  int pages = 0;
  do {
    auto page = t.manager.List(request);
    GOFER_REQUIRE_OK(page);
    for (const SecretMetadata& m : page->secrets) {
      keys.push_back(m.ref.key);
    }
    request.page_token = page->next_page_token;
    ++pages;
  } while (!request.page_token.empty());
  CHECK(pages == 3);
  CHECK(keys == std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5", "k6"});

  auto first = t.manager.List({SecretScope::kPipeline, "prod", "build", 3, ""});
  const auto other =
      t.manager.List({SecretScope::kPipeline, "prod", "other", 3, first->next_page_token});
  CHECK(Fields(other.status()) == std::set<std::string>{"page_token"});
  auto global = t.manager.List({SecretScope::kGlobal, "", "", 0, ""});
  GOFER_REQUIRE_OK(global);
  REQUIRE(global->secrets.size() == 1);
  CHECK(global->secrets[0].namespace_patterns == std::vector<std::string>{"*"});
}

TEST_CASE("An invalid list reports every violation at once") {
  ManagerTest t;
  const auto list = t.manager.List({SecretScope::kGlobal, "prod", "x", -1, "garbage"});
  CHECK(Fields(list.status()) == std::set<std::string>{"namespace_id", "pipeline_id", "page_size"});
  const auto pipeline = t.manager.List({SecretScope::kPipeline, "", "", 0, "garbage!"});
  CHECK(Fields(pipeline.status()) ==
        std::set<std::string>{"namespace_id", "pipeline_id", "page_token"});
}

TEST_CASE("Resolve returns a pipeline's own secrets and the global ones its namespace may use") {
  ManagerTest t;
  t.Put(kDb, "db-value");
  t.Put(GlobalRef("deploy/token"), "deploy-value", {"dev", "prod*"});
  auto resolved = t.manager.Resolve(
      {"prod",
       "build",
       {{SecretScope::kGlobal, "deploy/token"}, {SecretScope::kPipeline, "db_password"}}});
  GOFER_REQUIRE_OK(resolved);
  REQUIRE(resolved->size() == 2);
  CHECK((*resolved)[0].scope == SecretScope::kGlobal);
  CHECK((*resolved)[0].key == "deploy/token");
  CHECK((*resolved)[0].value == "deploy-value");
  CHECK((*resolved)[1].value == "db-value");
  // Another pipeline does not see this pipeline's secret.
  const auto other =
      t.manager.Resolve({"prod", "deploy", {{SecretScope::kPipeline, "db_password"}}});
  GOFER_REQUIRE_CODE(other, absl::StatusCode::kNotFound);
}

TEST_CASE("Resolve refuses global secrets whose patterns exclude the namespace, naming each") {
  ManagerTest t;
  t.Put(GlobalRef("prod-only"), "v", {"prod-*"});
  t.Put(GlobalRef("team-a"), "v", {"team-?"});
  t.Put(GlobalRef("everyone"), "v", {"*"});
  t.Put(PipelineRef("staging", "build", "own"), "v");
  const auto denied = t.manager.Resolve({"staging",
                                         "build",
                                         {{SecretScope::kGlobal, "prod-only"},
                                          {SecretScope::kGlobal, "everyone"},
                                          {SecretScope::kPipeline, "own"},
                                          {SecretScope::kGlobal, "team-a"},
                                          {SecretScope::kGlobal, "prod-only"}}});
  GOFER_REQUIRE_CODE(denied, absl::StatusCode::kPermissionDenied);
  const ErrorDetails details = GetErrorDetails(denied.status());
  CHECK(details.reason == "PERMISSION_DENIED");
  CHECK(details.metadata.at("keys") == "global:prod-only,global:team-a");
  CHECK(details.metadata.count("missing_keys") == 0);
  GOFER_REQUIRE_OK(t.manager.Resolve({"team-b", "build", {{SecretScope::kGlobal, "team-a"}}}));
  GOFER_REQUIRE_OK(t.manager.Resolve({"prod-eu", "build", {{SecretScope::kGlobal, "prod-only"}}}));
}

TEST_CASE("Resolve names every missing secret, and missing ones beside denied ones") {
  ManagerTest t;
  t.Put(GlobalRef("prod-only"), "v", {"prod"});
  t.Put(kDb, "v");
  const auto missing = t.manager.Resolve({"prod",
                                          "build",
                                          {{SecretScope::kPipeline, "db_password"},
                                           {SecretScope::kPipeline, "nope"},
                                           {SecretScope::kGlobal, "gone"}}});
  GOFER_REQUIRE_CODE(missing, absl::StatusCode::kNotFound);
  CHECK(GetErrorDetails(missing.status()).metadata.at("keys") == "pipeline:nope,global:gone");
  CHECK(std::string(missing.status().message()).find("pipeline secret 'nope'") !=
        std::string::npos);
  CHECK(std::string(missing.status().message()).find("global secret 'gone'") != std::string::npos);

  const auto both = t.manager.Resolve(
      {"dev", "build", {{SecretScope::kGlobal, "prod-only"}, {SecretScope::kGlobal, "gone"}}});
  GOFER_REQUIRE_CODE(both, absl::StatusCode::kPermissionDenied);
  const ErrorDetails details = GetErrorDetails(both.status());
  CHECK(details.metadata.at("keys") == "global:prod-only");
  CHECK(details.metadata.at("missing_keys") == "global:gone");
}

TEST_CASE("An invalid resolve reports every violation at once") {
  ManagerTest t;
  const auto resolve =
      t.manager.Resolve({"P", "", {{SecretScope::kUnspecified, "ok"}, {SecretScope::kGlobal, ""}}});
  CHECK(Fields(resolve.status()) ==
        std::set<std::string>{"namespace_id", "pipeline_id", "secrets[0].scope", "secrets[1].key"});
}

TEST_CASE("A manager with another master key fails cleanly with FAILED_PRECONDITION") {
  ManagerTest t;
  t.Put(kDb, "v");
  const Keyring other(NewKey(), {});
  SecretManager stranger(t.storage, other, t.clock);
  const auto got = stranger.Get(kDb, true);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(got.status().message()).find(t.key.id()) != std::string::npos);
  GOFER_REQUIRE_OK(stranger.Get(kDb, false));  // metadata needs no key
  GOFER_REQUIRE_CODE(stranger.Resolve({"prod", "build", {{SecretScope::kPipeline, "db_password"}}}),
                     absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("A stored envelope that was tampered with reads as DATA_LOSS") {
  ManagerTest t;
  t.Put(kDb, "v");
  Envelope envelope = t.storage.Get(kDb)->envelope;
  envelope.ciphertext[envelope.ciphertext.size() / 2] ^= 0x40;
  GOFER_REQUIRE_OK(t.storage.OverwriteEnvelope(kDb, envelope));
  const auto got = t.manager.Get(kDb, true);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kDataLoss);
  CHECK(got.status().message() == "secret pipeline/prod/build/db_password failed authentication");
}

TEST_CASE("Rotation re-wraps every old secret, idempotently, so the old key can be removed") {
  ManagerTest t;
  for (int i = 0; i < 5; ++i) {
    t.Put(PipelineRef("prod", "build", "k" + std::to_string(i)), "value-" + std::to_string(i));
  }
  t.Put(GlobalRef("g"), "global-value");
  const MasterKey new_key = NewKey();
  const Keyring rotating(new_key, {t.key});
  SecretManager during(t.storage, rotating, t.clock, {.rotation_batch_size = 2});
  t.Put(PipelineRef("prod", "build", "fresh"), "fresh");  // still under the old key
  auto rotated = during.RotateMasterKey();
  GOFER_REQUIRE_OK(rotated);
  CHECK(rotated->rewrapped == 7);
  CHECK(rotated->primary_key_id == new_key.id());
  CHECK(during.RotateMasterKey()->rewrapped == 0);

  const Keyring only_new(new_key, {});
  SecretManager after(t.storage, only_new, t.clock);
  for (int i = 0; i < 5; ++i) {
    auto got = after.Get(PipelineRef("prod", "build", "k" + std::to_string(i)), true);
    GOFER_REQUIRE_OK(got);
    CHECK(*got->value == "value-" + std::to_string(i));
    CHECK(got->metadata.key_id == new_key.id());
  }
  CHECK(*after.Get(GlobalRef("g"), true)->value == "global-value");
}

TEST_CASE("Rotation re-wraps what it can and names the master keys it lacks") {
  ManagerTest t;
  t.Put(PipelineRef("prod", "build", "known"), "v");
  const MasterKey lost = NewKey();
  const Keyring lost_ring(lost, {});
  SecretManager lost_writer(t.storage, lost_ring, t.clock);
  GOFER_REQUIRE_OK(lost_writer.Put({PipelineRef("prod", "build", "orphan"), "v", {}, false}, "t"));
  const Keyring rotating(NewKey(), {t.key});
  SecretManager during(t.storage, rotating, t.clock);
  const auto rotated = during.RotateMasterKey();
  GOFER_REQUIRE_CODE(rotated, absl::StatusCode::kFailedPrecondition);
  CHECK(GetErrorDetails(rotated.status()).metadata.at("key_ids") == lost.id());
  CHECK(std::string(rotated.status().message()).find("re-wrapped 1 secrets") != std::string::npos);
  GOFER_REQUIRE_OK(during.Get(PipelineRef("prod", "build", "known"), true));
  CHECK(t.storage.Get(PipelineRef("prod", "build", "known"))->envelope.key_id ==
        rotating.primary_key_id());
}

}  // namespace gofer::secret_store
