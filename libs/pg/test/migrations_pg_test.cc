// ApplyMigrations against a real Postgres: recording, idempotence, target schema, checksum
// and order checks, atomicity, rolling upgrades, and replicas migrating at the same time.
#include "gofer/pg/migrations.h"

#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/field>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/row>

#include <algorithm>
#include <array>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gofer/common/errors.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"

namespace gofer::pg {
namespace {

using gofer::testing::PgTestSchema;

MigrationSet TwoTables() {
  return {.schema = "things",
          .migrations = {
              {1, "create widgets", "CREATE TABLE widgets (id int PRIMARY KEY);"},
              {2, "create gadgets", "CREATE TABLE gadgets (id int PRIMARY KEY);"},
          }};
}

// A pool with the server's default search_path, so only ApplyMigrations picks the schema.
std::unique_ptr<Pool> PlainPool(const PgTestSchema& schema) {
  auto pool = Pool::Create({.dsn = schema.dsn(), .size = 2});
  REQUIRE(pool.ok());
  return *std::move(pool);
}

// (version, checksum) rows of schema_migrations; empty when the table does not exist.
std::vector<std::pair<int, std::string>> Recorded(const PgTestSchema& schema) {
  pqxx::connection conn(schema.dsn());
  pqxx::nontransaction tx(conn);
  const std::string table = absl::StrCat(tx.quote_name(schema.name()), ".schema_migrations");
  if (tx.exec_params1("SELECT to_regclass($1) IS NULL", table)[0].as<bool>()) {
    return {};
  }
  std::vector<std::pair<int, std::string>> rows;
  for (const auto& row :
       tx.exec(absl::StrCat("SELECT version, checksum FROM ", table, " ORDER BY version"))) {
    rows.emplace_back(row[0].as<int>(), row[1].as<std::string>());
  }
  return rows;
}

// Whether `schema.table` exists.
bool TableExists(const std::string& dsn, const std::string& schema, const std::string& table) {
  pqxx::connection conn(dsn);
  pqxx::nontransaction tx(conn);
  return tx
      .exec_params1("SELECT to_regclass($1) IS NOT NULL",
                    absl::StrCat(tx.quote_name(schema), ".", tx.quote_name(table)))[0]
      .as<bool>();
}

}  // namespace

TEST_CASE("MigrationChecksum is the lowercase hex SHA-256 of the SQL") {
  CHECK(MigrationChecksum("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(MigrationChecksum("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("ApplyMigrations applies a set in order and records each version with its checksum") {
  PgTestSchema schema("mig_apply");
  auto pool = PlainPool(schema);
  const MigrationSet set = TwoTables();
  auto result = ApplyMigrations(*pool, set, schema.name());
  GOFER_REQUIRE_OK(result);
  CHECK(result->applied == std::vector<int>{1, 2});
  CHECK(result->current_version == 2);
  CHECK(Recorded(schema) ==
        std::vector<std::pair<int, std::string>>{{1, MigrationChecksum(set.migrations[0].sql)},
                                                 {2, MigrationChecksum(set.migrations[1].sql)}});
}

TEST_CASE("Applying the same set again applies nothing") {
  PgTestSchema schema("mig_again");
  auto pool = PlainPool(schema);
  GOFER_REQUIRE_OK(ApplyMigrations(*pool, TwoTables(), schema.name()));
  auto again = ApplyMigrations(*pool, TwoTables(), schema.name());
  GOFER_REQUIRE_OK(again);
  CHECK(again->applied.empty());
  CHECK(again->current_version == 2);
  CHECK(Recorded(schema).size() == 2);
}

TEST_CASE("Migrations create their unqualified tables in the target schema") {
  PgTestSchema schema("mig_target");
  PgTestSchema other("mig_other");
  // The pool's own search_path points elsewhere; the target schema must still win.
  auto pool = other.MakePool(2);
  GOFER_REQUIRE_OK(ApplyMigrations(*pool, TwoTables(), schema.name()));
  CHECK(TableExists(schema.dsn(), schema.name(), "widgets"));
  CHECK(TableExists(schema.dsn(), schema.name(), "gadgets"));
  CHECK_FALSE(TableExists(schema.dsn(), other.name(), "widgets"));
  CHECK_FALSE(TableExists(schema.dsn(), "public", "widgets"));
}

TEST_CASE("ApplyMigrations creates a target schema that does not exist yet") {
  PgTestSchema holder("mig_create");
  const std::string fresh = holder.name() + "_new";
  auto pool = PlainPool(holder);
  auto result = ApplyMigrations(*pool, TwoTables(), fresh);
  const bool created = TableExists(holder.dsn(), fresh, "widgets");
  {
    // PgTestSchema only drops its own name.
    pqxx::connection conn(holder.dsn());
    pqxx::nontransaction tx(conn);
    tx.exec(absl::StrCat("DROP SCHEMA IF EXISTS ", tx.quote_name(fresh), " CASCADE"));
  }
  GOFER_REQUIRE_OK(result);
  CHECK(created);
}

TEST_CASE("A changed migration that was already applied fails with FAILED_PRECONDITION") {
  PgTestSchema schema("mig_changed");
  auto pool = PlainPool(schema);
  GOFER_REQUIRE_OK(ApplyMigrations(*pool, TwoTables(), schema.name()));
  MigrationSet changed = TwoTables();
  changed.migrations[1].sql = "CREATE TABLE gadgets (id bigint PRIMARY KEY);";
  changed.migrations.push_back({3, "create doohickeys", "CREATE TABLE doohickeys (id int);"});
  auto result = ApplyMigrations(*pool, changed, schema.name());
  GOFER_REQUIRE_CODE(result, absl::StatusCode::kFailedPrecondition);
  CHECK(GetErrorDetails(result.status()).reason ==
        ErrorReasonName(ErrorReason::kFailedPrecondition));
  // Nothing after the mismatch was applied.
  CHECK(Recorded(schema).size() == 2);
  CHECK_FALSE(TableExists(schema.dsn(), schema.name(), "doohickeys"));
}

TEST_CASE("Versions that are not strictly increasing fail with INVALID_ARGUMENT") {
  PgTestSchema schema("mig_order");
  auto pool = PlainPool(schema);
  MigrationSet descending = TwoTables();
  std::swap(descending.migrations[0].version, descending.migrations[1].version);
  GOFER_REQUIRE_CODE(ApplyMigrations(*pool, descending, schema.name()),
                     absl::StatusCode::kInvalidArgument);
  MigrationSet duplicate = TwoTables();
  duplicate.migrations[1].version = 1;
  GOFER_REQUIRE_CODE(ApplyMigrations(*pool, duplicate, schema.name()),
                     absl::StatusCode::kInvalidArgument);
  CHECK(Recorded(schema).empty());
  CHECK_FALSE(TableExists(schema.dsn(), schema.name(), "widgets"));
}

TEST_CASE("A failing migration applies nothing, not even the earlier ones of the call") {
  PgTestSchema schema("mig_failing");
  auto pool = PlainPool(schema);
  MigrationSet set = TwoTables();
  set.migrations.push_back({3, "broken", "CREATE TABLEE nope (id int);"});
  auto result = ApplyMigrations(*pool, set, schema.name());
  REQUIRE_FALSE(result.ok());
  CHECK(Recorded(schema).empty());
  CHECK_FALSE(TableExists(schema.dsn(), schema.name(), "widgets"));
  CHECK_FALSE(TableExists(schema.dsn(), schema.name(), "gadgets"));
}

TEST_CASE("Newer versions applied by another binary are accepted") {
  PgTestSchema schema("mig_newer");
  auto pool = PlainPool(schema);
  MigrationSet newer = TwoTables();
  newer.migrations.push_back({3, "create doohickeys", "CREATE TABLE doohickeys (id int);"});
  GOFER_REQUIRE_OK(ApplyMigrations(*pool, newer, schema.name()));
  auto older = ApplyMigrations(*pool, TwoTables(), schema.name());
  GOFER_REQUIRE_OK(older);
  CHECK(older->applied.empty());
  CHECK(older->current_version == 3);
}

TEST_CASE("Replicas migrating the same schema at once apply each migration exactly once") {
  PgTestSchema schema("mig_race");
  const MigrationSet set{
      .schema = "race",
      .migrations = {{1, "not idempotent", "CREATE TABLE t (x int); INSERT INTO t VALUES (1);"}}};
  constexpr int kReplicas = 6;
  std::array<std::unique_ptr<Pool>, kReplicas> pools;
  for (auto& pool : pools) {
    pool = PlainPool(schema);
  }
  std::latch start(kReplicas);
  std::array<absl::StatusOr<MigrationResult>, kReplicas> results;
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = ApplyMigrations(*pools[i], set, schema.name());
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  int applied_by = 0;
  for (const auto& r : results) {
    GOFER_REQUIRE_OK(r);
    CHECK(r->current_version == 1);
    applied_by += r->applied.empty() ? 0 : 1;
  }
  CHECK(applied_by == 1);
  pqxx::connection conn(schema.dsn());
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec1(absl::StrCat("SELECT count(*) FROM ", tx.quote_name(schema.name()), ".t"))[0]
            .as<int>() == 1);
}

}  // namespace gofer::pg
