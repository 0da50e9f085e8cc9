// Pool against a real Postgres: reuse, session settings, exhaustion, recovery after a
// connection is killed, and option validation.
#include "gofer/pg/pool.h"

#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gofer/pg/transaction.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"

namespace gofer::pg {
namespace {

using gofer::testing::PgTestSchema;

// One value from `sql`, run on a connection of its own (outside any pool).
std::string QueryOutsidePool(const std::string& dsn, const std::string& sql) {
  pqxx::connection conn(dsn);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<std::string>();
}

int BackendPid(Connection& conn) {
  pqxx::nontransaction tx(conn.get());
  return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
}

}  // namespace

TEST_CASE("Sequential acquires reuse one pooled connection") {
  PgTestSchema schema("pool_reuse");
  auto pool = schema.MakePool(4);
  int first_pid = 0;
  {
    auto conn = pool->Acquire();
    GOFER_REQUIRE_OK(conn);
    first_pid = BackendPid(*conn);
  }
  for (int i = 0; i < 3; ++i) {
    auto conn = pool->Acquire();
    GOFER_REQUIRE_OK(conn);
    CHECK(BackendPid(*conn) == first_pid);
  }
  CHECK(pool->open_connections() == 1);
}

TEST_CASE("Pooled connections use the configured search_path") {
  PgTestSchema schema("pool_path");
  auto pool = schema.MakePool(2);
  GOFER_REQUIRE_OK(Transact(*pool, [](pqxx::work& tx) {
    tx.exec("CREATE TABLE landed (id int)");
    return absl::OkStatus();
  }));
  const std::string where = QueryOutsidePool(
      schema.dsn(),
      absl::StrCat("SELECT coalesce(to_regclass('", schema.name(), ".landed')::text, 'missing')"));
  CHECK(where != "missing");
  CHECK(QueryOutsidePool(schema.dsn(),
                         "SELECT coalesce(to_regclass('public.landed')::text, "
                         "'missing')") == "missing");
}

TEST_CASE("Pooled connections carry the statement timeout and application name") {
  PgTestSchema schema("pool_settings");
  auto pool = Pool::Create({.dsn = schema.dsn(),
                            .size = 1,
                            .statement_timeout = absl::Milliseconds(1500),
                            .application_name = "gofer-pool-test"});
  GOFER_REQUIRE_OK(pool);
  auto conn = (*pool)->Acquire();
  GOFER_REQUIRE_OK(conn);
  pqxx::nontransaction tx(conn->get());
  CHECK(tx.exec1("SHOW statement_timeout")[0].as<std::string>() == "1500ms");
  CHECK(tx.exec1("SHOW application_name")[0].as<std::string>() == "gofer-pool-test");
}

TEST_CASE("A statement running past statement_timeout fails with DEADLINE_EXCEEDED") {
  PgTestSchema schema("pool_timeout");
  auto pool =
      Pool::Create({.dsn = schema.dsn(), .size = 1, .statement_timeout = absl::Milliseconds(50)});
  GOFER_REQUIRE_OK(pool);
  const absl::Status s = Transact(**pool, [](pqxx::work& tx) {
    tx.exec("SELECT pg_sleep(30)");
    return absl::OkStatus();
  });
  GOFER_REQUIRE_CODE(s, absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("A pool whose connections are all busy answers RESOURCE_EXHAUSTED at the deadline") {
  PgTestSchema schema("pool_full");
  auto pool = schema.MakePool(1);
  {
    auto held = pool->Acquire();
    GOFER_REQUIRE_OK(held);
    auto second = pool->Acquire(absl::Now() + absl::Milliseconds(50));
    GOFER_REQUIRE_CODE(second, absl::StatusCode::kResourceExhausted);
    CHECK(pool->open_connections() == 1);
  }
  auto after_release = pool->Acquire(absl::Now() + absl::Seconds(10));
  GOFER_REQUIRE_OK(after_release);
}

TEST_CASE("A waiting Acquire is handed the connection another thread releases") {
  PgTestSchema schema("pool_handoff");
  auto pool = schema.MakePool(1);
  auto held = std::make_unique<absl::StatusOr<Connection>>(pool->Acquire());
  GOFER_REQUIRE_OK(*held);
  const int held_pid = BackendPid(**held);
  absl::Status waiter_status;
  int waiter_pid = 0;
  std::thread waiter([&] {
    auto conn = pool->Acquire(absl::Now() + absl::Seconds(20));
    waiter_status = conn.status();
    if (conn.ok()) {
      waiter_pid = BackendPid(*conn);
    }
  });
  held.reset();  // Returns the only connection, whether the waiter is already waiting or not.
  waiter.join();
  GOFER_REQUIRE_OK(waiter_status);
  CHECK(waiter_pid == held_pid);
  CHECK(pool->open_connections() == 1);
}

TEST_CASE("A pooled connection killed by the server is replaced and the pool recovers") {
  PgTestSchema schema("pool_killed");
  auto pool = schema.MakePool(1);
  GOFER_REQUIRE_OK(Transact(*pool, [](pqxx::work& tx) {
    tx.exec("CREATE TABLE marker (v int)");
    tx.exec("INSERT INTO marker VALUES (7)");
    return absl::OkStatus();
  }));
  int old_pid = 0;
  {
    auto conn = pool->Acquire();
    GOFER_REQUIRE_OK(conn);
    old_pid = BackendPid(*conn);
  }
  {
    pqxx::connection killer(schema.dsn());
    pqxx::nontransaction tx(killer);
    // The timeout form waits until the backend has exited.
    REQUIRE(tx.exec_params1("SELECT pg_terminate_backend($1, 10000)", old_pid)[0].as<bool>());
  }

  // The unqualified table name also proves the replacement got the pool's search_path.
  auto value = TransactValue<int>(*pool, [](pqxx::work& tx) -> absl::StatusOr<int> {
    return tx.exec1("SELECT v FROM marker")[0].as<int>();
  });
  GOFER_REQUIRE_OK(value);
  CHECK(*value == 7);

  auto conn = pool->Acquire();
  GOFER_REQUIRE_OK(conn);
  CHECK(BackendPid(*conn) != old_pid);
  CHECK(pool->open_connections() == 1);
}

TEST_CASE("Acquire from an unreachable server fails with UNAVAILABLE and frees the slot") {
  auto pool = Pool::Create(
      {.dsn = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=5", .size = 1});
  GOFER_REQUIRE_OK(pool);
  GOFER_REQUIRE_CODE((*pool)->Acquire(), absl::StatusCode::kUnavailable);
  CHECK((*pool)->open_connections() == 0);
  // The failed attempt must not leak its slot: a second attempt fails the same way rather
  // than with RESOURCE_EXHAUSTED.
  GOFER_REQUIRE_CODE((*pool)->Acquire(absl::Now() + absl::Seconds(10)),
                     absl::StatusCode::kUnavailable);
}

TEST_CASE("A throwing on_connect hook discards the new connection and fails Acquire") {
  PgTestSchema schema("pool_hook");
  int calls = 0;
  auto pool = Pool::Create({.dsn = schema.dsn(), .size = 1, .on_connect = [&](pqxx::connection&) {
                              ++calls;
                              throw std::runtime_error("hook failed");
                            }});
  GOFER_REQUIRE_OK(pool);
  auto conn = (*pool)->Acquire();
  REQUIRE_FALSE(conn.ok());
  CHECK(calls == 1);
  CHECK((*pool)->open_connections() == 0);
}

TEST_CASE("Pool::Create rejects an empty dsn and a size below one") {
  GOFER_REQUIRE_CODE(Pool::Create({.dsn = ""}), absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(Pool::Create({.dsn = "postgresql://127.0.0.1/x", .size = 0}),
                     absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(Pool::Create({.dsn = "postgresql://127.0.0.1/x", .size = -3}),
                     absl::StatusCode::kInvalidArgument);
}

}  // namespace gofer::pg
