// The real-server fixtures: a fresh Postgres schema and a Redis database per test case.
#include "gofer/testing/fixtures.h"

#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <string>

#include "gofer/pg/transaction.h"
#include "gofer/testing/status.h"

namespace gofer::testing {
namespace {

bool SchemaExists(const std::string& name) {
  pqxx::connection conn(PgDsn());
  pqxx::nontransaction tx(conn);
  return tx.exec_params1("SELECT count(*) FROM pg_namespace WHERE nspname = $1", name)[0]
             .as<int>() == 1;
}

}  // namespace

TEST_CASE("PgTestSchema creates a schema that lives exactly as long as the fixture") {
  std::string name;
  {
    PgTestSchema schema("life");
    name = schema.name();
    CHECK(SchemaExists(name));
    // Dropped with CASCADE: the tables in it do not keep it alive.
    auto pool = schema.MakePool(1);
    GOFER_REQUIRE_OK(pg::Transact(*pool, [](pqxx::work& tx) {
      tx.exec("CREATE TABLE inside (id int)");
      return absl::OkStatus();
    }));
  }
  CHECK_FALSE(SchemaExists(name));
}

TEST_CASE("Two PgTestSchema fixtures get different names carrying their suffix") {
  PgTestSchema a("same");
  PgTestSchema b("same");
  CHECK(a.name() != b.name());
  CHECK(a.name().find("same") != std::string::npos);
  CHECK(a.dsn() == PgDsn());
}

TEST_CASE("PgTestSchema::MakePool gives connections whose search_path is the schema") {
  PgTestSchema schema("path");
  auto pool = schema.MakePool(1);
  auto current =
      pg::TransactValue<std::string>(*pool, [](pqxx::work& tx) -> absl::StatusOr<std::string> {
        return tx.exec1("SELECT current_schema()")[0].as<std::string>();
      });
  GOFER_REQUIRE_OK(current);
  CHECK(*current == schema.name());
}

TEST_CASE("RedisTestDb hands out a non-default database") {
  RedisTestDb db;
  CHECK(db.db() >= 1);
  auto pool = db.MakePool(1);
  GOFER_REQUIRE_OK(pool->Command({"SET", "k", "v"}));
  // Database 0 is shared (it holds the allocator's counter); nothing leaks into it.
  redis::Options zero = db.options();
  zero.db = 0;
  auto conn = redis::Connection::Open(zero);
  GOFER_REQUIRE_OK(conn);
  auto seen = (*conn)->Command({"GET", "k"});
  GOFER_REQUIRE_OK(seen);
  CHECK(seen->is_nil());
}

TEST_CASE("RedisTestDb flushes its database when taken") {
  // Databases are handed out round-robin from a counter in database 0, so the next one is
  // predictable (1 + counter % 1023, see fixtures.cc); leave a key in it, as a crashed test would,
  // then take it. Another test process may take that database first, so try a few times.
  RedisTestDb anchor;
  redis::Options zero = anchor.options();
  zero.db = 0;
  auto admin = redis::Connection::Open(zero);
  GOFER_REQUIRE_OK(admin);
  bool taken = false;
  for (int attempt = 0; attempt < 5 && !taken; ++attempt) {
    auto counter = (*admin)->Command({"GET", "gofer:test:next-db"});
    GOFER_REQUIRE_OK(counter);
    const int next = 1 + static_cast<int>((std::stoll(counter->str) + 1) % 1023);
    redis::Options predicted = zero;
    predicted.db = next;
    auto dirty = redis::Connection::Open(predicted);
    GOFER_REQUIRE_OK(dirty);
    GOFER_REQUIRE_OK((*dirty)->Command({"SET", "leftover", "1"}));

    RedisTestDb db;
    if (db.db() != next) {
      (void)(*dirty)->Command({"DEL", "leftover"});  // Not ours after all.
      continue;
    }
    taken = true;
    auto size = (*dirty)->Command({"DBSIZE"});
    GOFER_REQUIRE_OK(size);
    CHECK(size->integer == 0);
  }
  REQUIRE(taken);
}

}  // namespace gofer::testing
