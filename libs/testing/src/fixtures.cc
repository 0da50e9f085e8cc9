#include "gofer/testing/fixtures.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "absl/strings/str_cat.h"

namespace gofer::testing {
namespace {

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    FAIL(name << " is not set: integration tests need the servers that scripts/test starts "
                 "(run scripts/test, or scripts/test --label integration)");
  }
  return value;
}

constexpr int kRedisDatabases = 1024;

}  // namespace

std::string PgDsn() { return RequiredEnv("GOFER_TEST_PG_DSN"); }

PgTestSchema::PgTestSchema(const std::string& suffix) : dsn_(PgDsn()) {
  static std::atomic<int> counter{0};
  name_ = absl::StrCat("t_", getpid(), "_", counter.fetch_add(1), "_", suffix);
  pqxx::connection conn(dsn_);
  pqxx::nontransaction tx(conn);
  tx.exec(absl::StrCat("CREATE SCHEMA ", tx.quote_name(name_)));
}

PgTestSchema::~PgTestSchema() {
  const char* keep = std::getenv("GOFER_TEST_KEEP");
  if (keep != nullptr && std::string(keep) == "1") {
    return;
  }
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    tx.exec(absl::StrCat("DROP SCHEMA IF EXISTS ", tx.quote_name(name_), " CASCADE"));
  } catch (const std::exception&) {
    // A test that stopped Postgres leaves its schema behind; the server is thrown away anyway.
  }
}

std::unique_ptr<pg::Pool> PgTestSchema::MakePool(int size) const {
  auto pool = pg::Pool::Create({.dsn = dsn_, .size = size, .search_path = name_});
  REQUIRE(pool.ok());
  return *std::move(pool);
}

RedisTestDb::RedisTestDb() {
  REQUIRE(redis::ParseAddress(RequiredEnv("GOFER_TEST_REDIS_ADDR"), &options_).ok());
  auto allocator = redis::Connection::Open(options_);
  REQUIRE(allocator.ok());
  auto n = (*allocator)->Command({"INCR", "gofer:test:next-db"});
  REQUIRE(n.ok());
  options_.db = 1 + static_cast<int>(n->integer % (kRedisDatabases - 1));
  auto conn = redis::Connection::Open(options_);
  REQUIRE(conn.ok());
  REQUIRE((*conn)->Command({"FLUSHDB"}).ok());
}

RedisTestDb::~RedisTestDb() {
  auto conn = redis::Connection::Open(options_);
  if (conn.ok()) {
    (void)(*conn)->Command({"FLUSHDB"});
  }
}

std::unique_ptr<redis::Pool> RedisTestDb::MakePool(int size) const {
  redis::Options options = options_;
  options.pool_size = size;
  auto pool = redis::Pool::Create(options);
  REQUIRE(pool.ok());
  return *std::move(pool);
}

}  // namespace gofer::testing
