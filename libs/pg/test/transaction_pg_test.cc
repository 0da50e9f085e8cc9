// Transact against a real Postgres: commit, rollback, values, error mapping and the retry
// policy (real serialization failures, simulated ones, broken connections).
#include "gofer/pg/transaction.h"

#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <algorithm>
#include <array>
#include <latch>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"

namespace gofer::pg {
namespace {

using gofer::testing::PgTestSchema;

// Creates `ddl` in the schema's search_path through the pool itself.
void Setup(Pool& pool, const std::string& ddl) {
  GOFER_REQUIRE_OK(Transact(pool, [&](pqxx::work& tx) {
    tx.exec(ddl);
    return absl::OkStatus();
  }));
}

// Rows of `table` in the schema, counted on a connection outside the pool.
int CountRows(const PgTestSchema& schema, const std::string& table) {
  pqxx::connection conn(schema.dsn());
  pqxx::nontransaction tx(conn);
  return tx
      .exec1(absl::StrCat("SELECT count(*) FROM ", tx.quote_name(schema.name()), ".",
                          tx.quote_name(table)))[0]
      .as<int>();
}

}  // namespace

TEST_CASE("Transact commits the body's writes when it returns OK") {
  PgTestSchema schema("tx_commit");
  auto pool = schema.MakePool();
  Setup(*pool, "CREATE TABLE items (id int PRIMARY KEY)");
  GOFER_REQUIRE_OK(Transact(*pool, [](pqxx::work& tx) {
    tx.exec("INSERT INTO items VALUES (1), (2)");
    return absl::OkStatus();
  }));
  CHECK(LastTransactAttempts() == 1);
  CHECK(CountRows(schema, "items") == 2);
}

TEST_CASE("Transact rolls back and returns the body's error unchanged") {
  PgTestSchema schema("tx_rollback");
  auto pool = schema.MakePool();
  Setup(*pool, "CREATE TABLE items (id int PRIMARY KEY)");
  const absl::Status body_error = absl::NotFoundError("pipeline 'build' not found");
  int calls = 0;
  const absl::Status s = Transact(*pool, [&](pqxx::work& tx) {
    ++calls;
    tx.exec("INSERT INTO items VALUES (1)");
    return body_error;
  });
  CHECK(s == body_error);
  CHECK(calls == 1);
  CHECK(CountRows(schema, "items") == 0);
}

TEST_CASE("TransactValue returns the value the body produced") {
  PgTestSchema schema("tx_value");
  auto pool = schema.MakePool();
  Setup(*pool, "CREATE TABLE items (id int PRIMARY KEY, name text)");
  auto name = TransactValue<std::string>(*pool, [](pqxx::work& tx) -> absl::StatusOr<std::string> {
    tx.exec("INSERT INTO items VALUES (1, 'lint')");
    return tx.exec1("SELECT name FROM items WHERE id = 1")[0].as<std::string>();
  });
  GOFER_REQUIRE_OK(name);
  CHECK(*name == "lint");
  CHECK(CountRows(schema, "items") == 1);
}

TEST_CASE("TransactValue returns the body's error and rolls back") {
  PgTestSchema schema("tx_value_error");
  auto pool = schema.MakePool();
  Setup(*pool, "CREATE TABLE items (id int PRIMARY KEY)");
  auto value = TransactValue<int>(*pool, [](pqxx::work& tx) -> absl::StatusOr<int> {
    tx.exec("INSERT INTO items VALUES (1)");
    return absl::FailedPreconditionError("not now");
  });
  GOFER_REQUIRE_CODE(value, absl::StatusCode::kFailedPrecondition);
  CHECK(value.status().message() == "not now");
  CHECK(CountRows(schema, "items") == 0);
}

TEST_CASE("A unique violation in the body returns ALREADY_EXISTS and is not retried") {
  PgTestSchema schema("tx_unique");
  auto pool = schema.MakePool();
  Setup(*pool, "CREATE TABLE items (id int PRIMARY KEY)");
  Setup(*pool, "INSERT INTO items VALUES (1)");
  int calls = 0;
  const absl::Status s = Transact(*pool, [&](pqxx::work& tx) {
    ++calls;
    tx.exec("INSERT INTO items VALUES (1)");
    return absl::OkStatus();
  });
  GOFER_REQUIRE_CODE(s, absl::StatusCode::kAlreadyExists);
  CHECK(LastTransactAttempts() == 1);
  CHECK(calls == 1);
  CHECK(CountRows(schema, "items") == 1);
}

TEST_CASE("Serializable transactions that write-skew are retried until both commit") {
  PgTestSchema schema("tx_skew");
  auto pool = schema.MakePool(4);
  Setup(*pool, "CREATE TABLE entries (total int NOT NULL)");

  // Both bodies read the table before either inserts (the latch), so Postgres must abort one
  // of them with a serialization failure; the retry then sees the other's row.
  std::latch both_read(2);
  std::array<absl::Status, 2> results;
  std::array<int, 2> attempts{};
  auto worker = [&](int i) {
    bool first = true;
    results[i] = Transact(*pool,
                          [&](pqxx::work& tx) {
                            const int total = tx.exec1("SELECT count(*) FROM entries")[0].as<int>();
                            if (first) {
                              first = false;
                              both_read.arrive_and_wait();
                            }
                            tx.exec_params("INSERT INTO entries VALUES ($1)", total + 1);
                            return absl::OkStatus();
                          },
                          {.isolation = Isolation::kSerializable, .max_attempts = 10});
    attempts[i] = LastTransactAttempts();
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1);
  a.join();
  b.join();

  GOFER_REQUIRE_OK(results[0]);
  GOFER_REQUIRE_OK(results[1]);
  CHECK(std::max(attempts[0], attempts[1]) > 1);
  CHECK(CountRows(schema, "entries") == 2);
  // Serial order: the retried transaction saw the other's row, so totals are 1 and 2.
  pqxx::connection conn(schema.dsn());
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec1(absl::StrCat("SELECT string_agg(total::text, ',' ORDER BY total) FROM ",
                              tx.quote_name(schema.name()), ".entries"))[0]
            .as<std::string>() == "1,2");
}

TEST_CASE("A body that keeps failing to serialize stops after max_attempts with ABORTED") {
  PgTestSchema schema("tx_max_attempts");
  auto pool = schema.MakePool();
  int calls = 0;
  const absl::Status s =
      Transact(*pool,
               [&](pqxx::work&) -> absl::Status {
                 ++calls;
                 throw pqxx::serialization_failure("ERROR:  could not serialize access");
               },
               {.max_attempts = 3, .base_backoff = absl::Microseconds(100)});
  GOFER_REQUIRE_CODE(s, absl::StatusCode::kAborted);
  CHECK(LastTransactAttempts() == 3);
  CHECK(calls == 3);
}

TEST_CASE("Deadlocks reported by the body are retried like serialization failures") {
  PgTestSchema schema("tx_deadlock");
  auto pool = schema.MakePool();
  int calls = 0;
  const absl::Status s = Transact(*pool, [&](pqxx::work&) -> absl::Status {
    if (++calls == 1) {
      throw pqxx::deadlock_detected("ERROR:  deadlock detected");
    }
    return absl::OkStatus();
  });
  GOFER_REQUIRE_OK(s);
  CHECK(LastTransactAttempts() == 2);
}

TEST_CASE("A read-only transaction rejects writes and writes nothing") {
  PgTestSchema schema("tx_read_only");
  auto pool = schema.MakePool();
  Setup(*pool, "CREATE TABLE items (id int PRIMARY KEY)");
  for (Isolation isolation :
       {Isolation::kReadCommitted, Isolation::kRepeatableRead, Isolation::kSerializable}) {
    const absl::Status s = Transact(*pool,
                                    [](pqxx::work& tx) {
                                      tx.exec("INSERT INTO items VALUES (1)");
                                      return absl::OkStatus();
                                    },
                                    {.isolation = isolation, .read_only = true});
    INFO("isolation " << static_cast<int>(isolation));
    REQUIRE_FALSE(s.ok());
    CHECK(CountRows(schema, "items") == 0);
  }
}

TEST_CASE("The requested isolation level is in force inside the body") {
  PgTestSchema schema("tx_isolation");
  auto pool = schema.MakePool();
  auto level = TransactValue<std::string>(
      *pool,
      [](pqxx::work& tx) -> absl::StatusOr<std::string> {
        return tx.exec1("SHOW transaction_isolation")[0].as<std::string>();
      },
      {.isolation = Isolation::kSerializable});
  GOFER_REQUIRE_OK(level);
  CHECK(*level == "serializable");
}

TEST_CASE("A connection that breaks before commit is retried on a fresh connection") {
  PgTestSchema schema("tx_broken");
  auto pool = schema.MakePool(4);
  Setup(*pool, "CREATE TABLE items (id int PRIMARY KEY)");
  REQUIRE(pool->open_connections() == 1);
  int calls = 0;
  const absl::Status s = Transact(*pool, [&](pqxx::work& tx) {
    if (++calls == 1) {
      tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    }
    tx.exec("INSERT INTO items VALUES (1)");
    return absl::OkStatus();
  });
  GOFER_REQUIRE_OK(s);
  CHECK(LastTransactAttempts() == 2);
  CHECK(calls == 2);
  CHECK(CountRows(schema, "items") == 1);
  // The broken connection was dropped rather than returned to the pool.
  CHECK(pool->open_connections() == 1);
}

}  // namespace gofer::pg
