// SecretManager over real Postgres: what an attacker or operator can do to the rows (flip a
// byte, swap rows, dump the schema), rotation across keys, and a replica with the wrong key.
#include <catch2/catch.hpp>
#include <pqxx/nontransaction>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "config.h"
#include "gofer/common/clock.h"
#include "gofer/common/errors.h"
#include "gofer/common/id_generator.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/migrations.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/process.h"
#include "gofer/testing/status.h"
#include "pg_secret_storage.h"
#include "secret_manager.h"

namespace gofer::secret_store {
namespace {

MasterKey NewKey() { return MasterKey::FromBytes(SecureRandomBytes(MasterKey::kSize)); }

// A manager over PgSecretStorage in fresh schemas.
struct PgManagerTest {
  testing::PgTestSchema schema{"secrets"};
  testing::PgTestSchema events{"events"};
  std::unique_ptr<pg::Pool> pool = schema.MakePool();
  std::unique_ptr<PgSecretStorage> storage;
  MasterKey key = NewKey();
  Keyring keyring{key, {}};
  FakeClock clock;
  std::unique_ptr<SecretManager> manager;

  PgManagerTest() {
    GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool, EventsMigrations(), events.name()));
    GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool, SecretStoreMigrations(), schema.name()));
    storage = std::make_unique<PgSecretStorage>(*pool, events.name());
    manager = std::make_unique<SecretManager>(*storage, keyring, clock);
  }

  void Put(const SecretRef& ref, const std::string& value) {
    std::vector<std::string> patterns;
    if (ref.scope == SecretScope::kGlobal) {
      patterns = {"*"};
    }
    GOFER_REQUIRE_OK(manager->Put({ref, value, patterns, false}, "token:tester"));
  }

  // Runs one statement against the secrets schema.
  void Exec(const std::string& sql) {
    auto conn = pool->Acquire();
    GOFER_REQUIRE_OK(conn);
    pqxx::nontransaction tx(conn->get());
    tx.exec(sql);
  }
};

// The newest pg_dump installed (it must be at least the server's version).
std::string PgDump() {
  std::vector<std::string> found;
  if (std::filesystem::exists("/usr/lib/postgresql")) {
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      const auto candidate = entry.path() / "bin" / "pg_dump";
      if (std::filesystem::exists(candidate)) {
        found.push_back(candidate.string());
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;  // "9" < "15"
  });
  return found.empty() ? "/usr/bin/pg_dump" : found.back();
}

const SecretRef kDb = PipelineRef("prod", "build", "db_password");

}  // namespace

TEST_CASE("A byte flipped in a stored ciphertext or wrapped key is detected as DATA_LOSS") {
  PgManagerTest t;
  t.Put(kDb, "v1");
  const SecretRef other = PipelineRef("prod", "build", "api_key");
  t.Put(other, "v2");
  t.Exec(
      "UPDATE secrets SET ciphertext = set_byte(ciphertext, 14, get_byte(ciphertext, 14) # 1) "
      "WHERE key = 'db_password'");
  t.Exec(
      "UPDATE secrets SET wrapped_key = set_byte(wrapped_key, 30, get_byte(wrapped_key, 30) # "
      "128) WHERE key = 'api_key'");
  const auto got = t.manager->Get(kDb, true);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kDataLoss);
  CHECK(got.status().message() == "secret pipeline/prod/build/db_password failed authentication");
  GOFER_REQUIRE_CODE(t.manager->Get(other, true), absl::StatusCode::kDataLoss);
  GOFER_REQUIRE_CODE(t.manager->Resolve({"prod", "build", {{SecretScope::kPipeline, "api_key"}}}),
                     absl::StatusCode::kDataLoss);
}

TEST_CASE("A row's encrypted value copied over another secret's row fails authentication") {
  PgManagerTest t;
  t.Put(kDb, "the-database-password");
  t.Put(PipelineRef("prod", "build", "harmless"), "harmless");
  t.Exec(
      "UPDATE secrets SET (ciphertext, wrapped_key) = (SELECT ciphertext, wrapped_key FROM "
      "secrets WHERE key = 'db_password') WHERE key = 'harmless'");
  const auto got = t.manager->Get(PipelineRef("prod", "build", "harmless"), true);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kDataLoss);
}

TEST_CASE("A dump of the secrets and events schemas holds no plaintext value in any encoding") {
  PgManagerTest t;
  const std::string plaintext =
      "gofer-plaintext-canary-" + absl::BytesToHexString(SecureRandomBytes(8));
  t.Put(kDb, plaintext);
  t.Put(GlobalRef("deploy/token"), plaintext);
  auto dump =
      testing::ChildProcess::Start({PgDump(), "--data-only", "--schema=" + t.schema.name(),
                                    "--schema=" + t.events.name(), "--dbname=" + t.schema.dsn()});
  GOFER_REQUIRE_OK(dump);
  // ChildProcess::Wait can return before the reader thread has drained the pipe, so wait for
  // the dump's last line before reading the output.
  auto last = (*dump)->WaitForLine(
      [](const std::string& line) { return line == "-- PostgreSQL database dump complete"; },
      absl::Seconds(60));
  auto exit_code = (*dump)->Wait(absl::Seconds(60));
  const std::string out = (*dump)->output();
  INFO(out);
  GOFER_REQUIRE_OK(last);
  GOFER_REQUIRE_OK(exit_code);
  REQUIRE(*exit_code == 0);
  REQUIRE(out.find("COPY " + t.schema.name() + ".secrets") != std::string::npos);
  REQUIRE(out.find("db_password") != std::string::npos);  // the rows are in the dump
  for (const std::string& form :
       {plaintext, absl::BytesToHexString(plaintext), absl::Base64Escape(plaintext),
        absl::WebSafeBase64Escape(plaintext),
        absl::AsciiStrToUpper(absl::BytesToHexString(plaintext))}) {
    CHECK(out.find(form) == std::string::npos);
  }
}

TEST_CASE("Values written under key A read back after rotating to key B and removing A") {
  PgManagerTest t;
  for (int i = 0; i < 12; ++i) {
    t.Put(PipelineRef("prod", "build", "k" + std::to_string(i)), "value-" + std::to_string(i));
  }
  t.Put(GlobalRef("g"), "global-value");
  const MasterKey b = NewKey();
  const Keyring rotating(b, {t.key});
  SecretManager during(*t.storage, rotating, t.clock, {.rotation_batch_size = 5});
  auto rotated = during.RotateMasterKey();
  GOFER_REQUIRE_OK(rotated);
  CHECK(rotated->rewrapped == 13);
  CHECK(rotated->primary_key_id == b.id());
  CHECK(during.RotateMasterKey()->rewrapped == 0);

  const Keyring only_b(b, {});
  SecretManager after(*t.storage, only_b, t.clock);
  for (int i = 0; i < 12; ++i) {
    auto got = after.Get(PipelineRef("prod", "build", "k" + std::to_string(i)), true);
    GOFER_REQUIRE_OK(got);
    CHECK(*got->value == "value-" + std::to_string(i));
  }
  auto global = after.Resolve({"prod", "build", {{SecretScope::kGlobal, "g"}}});
  GOFER_REQUIRE_OK(global);
  CHECK(global->at(0).value == "global-value");
}

TEST_CASE("A replica with the wrong master key fails cleanly with FAILED_PRECONDITION") {
  PgManagerTest t;
  t.Put(kDb, "v");
  const Keyring wrong(NewKey(), {});
  SecretManager stranger(*t.storage, wrong, t.clock);
  const auto got = stranger.Get(kDb, true);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(got.status().message()).find(t.key.id()) != std::string::npos);
  const auto list = stranger.List({SecretScope::kPipeline, "prod", "build", 0, ""});
  GOFER_REQUIRE_OK(list);
  CHECK(list->secrets.size() == 1);
}

TEST_CASE("A global secret resolves only in namespaces its patterns allow") {
  PgManagerTest t;
  GOFER_REQUIRE_OK(
      t.manager->Put({GlobalRef("registry"), "v", {"prod-*", "ci-runners"}, false}, "t"));
  GOFER_REQUIRE_OK(t.manager->Resolve({"prod-eu", "build", {{SecretScope::kGlobal, "registry"}}}));
  GOFER_REQUIRE_OK(
      t.manager->Resolve({"ci-runners", "build", {{SecretScope::kGlobal, "registry"}}}));
  const auto denied = t.manager->Resolve({"dev", "build", {{SecretScope::kGlobal, "registry"}}});
  GOFER_REQUIRE_CODE(denied, absl::StatusCode::kPermissionDenied);
  CHECK(GetErrorDetails(denied.status()).metadata.at("keys") == "global:registry");
}

}  // namespace gofer::secret_store
