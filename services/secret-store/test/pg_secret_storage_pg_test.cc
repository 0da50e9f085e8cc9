// The SecretStorage conformance suite against Postgres (a fresh schema per test case), and what
// only the Postgres storage does: audit events in the outbox, in the same transaction.
#include <catch2/catch.hpp>

#include <memory>
#include <tuple>

#include "config.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/migrations.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"
#include "pg_secret_storage.h"

namespace gofer::secret_store {
namespace {

// A PgSecretStorage over fresh, migrated secrets and events schemas.
struct PgFixture {
  testing::PgTestSchema schema{"secrets"};
  testing::PgTestSchema events{"events"};
  std::unique_ptr<pg::Pool> pool = schema.MakePool();
  std::unique_ptr<PgSecretStorage> pg;

  PgFixture() {
    GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool, EventsMigrations(), events.name()));
    GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool, SecretStoreMigrations(), schema.name()));
    pg = std::make_unique<PgSecretStorage>(*pool, events.name());
  }
  SecretStorage& storage() { return *pg; }
};

}  // namespace

using StorageFixtures = std::tuple<PgFixture>;

}  // namespace gofer::secret_store

#include "secret_storage_conformance.h"  // NOLINT(build/include_order): uses StorageFixtures

namespace gofer::secret_store {
namespace {

// The events of the fixture's outbox once `n` are readable.
std::vector<events::Event> ReadEvents(PgFixture& f, size_t n) {
  events::Outbox outbox(f.events.name());
  std::vector<events::Event> out;
  REQUIRE(testing::Eventually([&] {
    auto page = outbox.Read(*f.pool, {}, {}, 100);
    REQUIRE(page.ok());
    out = page->events;
    return out.size() >= n;
  }));
  return out;
}

}  // namespace

TEST_CASE("Put and Delete append audit events naming the secret and the caller, not the value") {
  PgFixture f;
  const SecretRecord record = conformance::Record(PipelineRef("prod", "build", "db"), "ciphertext");
  GOFER_REQUIRE_OK(f.storage().Put(record, false, "token:alice"));
  GOFER_REQUIRE_OK(f.storage().Put(record, true, ""));
  GOFER_REQUIRE_OK(f.storage().Delete(record.ref, "token:bob"));
  const std::vector<events::Event> events = ReadEvents(f, 3);
  REQUIRE(events.size() == 3);
  CHECK(events[0].kind == "secret.put");
  CHECK(events[0].namespace_id == "prod");
  CHECK(events[0].pipeline_id == "build");
  CHECK(events[0].actor == "token:alice");
  CHECK(events[0].details.find("\"key\": \"db\"") != std::string::npos);
  CHECK(events[0].details.find("\"created\": true") != std::string::npos);
  CHECK(events[1].actor == "unknown");
  CHECK(events[1].details.find("\"created\": false") != std::string::npos);
  CHECK(events[2].kind == "secret.deleted");
  CHECK(events[2].actor == "token:bob");
  for (const events::Event& e : events) {
    for (const std::string field : {"\"value\"", "\"ciphertext\"", "\"wrapped_key\""}) {
      CHECK(e.details.find(field) == std::string::npos);
    }
  }
}

TEST_CASE("A put that fails appends no event") {
  PgFixture f;
  const SecretRecord record = conformance::Record(GlobalRef("dup"), "x");
  GOFER_REQUIRE_OK(f.storage().Put(record, false, "t"));
  GOFER_REQUIRE_CODE(f.storage().Put(record, false, "t"), absl::StatusCode::kAlreadyExists);
  GOFER_REQUIRE_OK(f.storage().Delete(record.ref, "t"));
  const std::vector<events::Event> events = ReadEvents(f, 2);
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == "secret.put");
  CHECK(events[1].kind == "secret.deleted");
}

}  // namespace gofer::secret_store
