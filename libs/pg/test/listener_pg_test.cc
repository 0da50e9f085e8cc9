// Listener against a real Postgres: timeouts, delivery, commit-only delivery and recovery
// after its backend is killed. Every test uses a channel of its own.
#include "gofer/pg/listener.h"

#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <string>

#include "absl/strings/str_cat.h"
#include "gofer/pg/transaction.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"

namespace gofer::pg {
namespace {

using gofer::testing::PgTestSchema;

// Generous safety net for waits that are expected to succeed; they return as soon as the
// notification arrives.
constexpr absl::Duration kArrives = absl::Seconds(20);
// How long a wait that must not be woken is given.
constexpr absl::Duration kQuiet = absl::Milliseconds(200);

std::string UniqueChannel(const PgTestSchema& schema) {
  return absl::StrCat("chan_", schema.name());
}

}  // namespace

TEST_CASE("Listener::Wait returns false when nothing is notified before the timeout") {
  PgTestSchema schema("listen_quiet");
  auto listener = Listener::Create(schema.dsn(), UniqueChannel(schema));
  GOFER_REQUIRE_OK(listener);
  auto woke = (*listener)->Wait(kQuiet);
  GOFER_REQUIRE_OK(woke);
  CHECK_FALSE(*woke);
}

TEST_CASE("Listener::Wait returns true after Notify on its channel") {
  PgTestSchema schema("listen_notify");
  const std::string channel = UniqueChannel(schema);
  auto listener = Listener::Create(schema.dsn(), channel);
  GOFER_REQUIRE_OK(listener);
  GOFER_REQUIRE_OK(Notify(schema.dsn(), channel, "run-1"));
  auto woke = (*listener)->Wait(kArrives);
  GOFER_REQUIRE_OK(woke);
  CHECK(*woke);
  // The notification was consumed: the next wait is quiet again.
  auto again = (*listener)->Wait(kQuiet);
  GOFER_REQUIRE_OK(again);
  CHECK_FALSE(*again);
}

TEST_CASE("Listener::Wait ignores notifications on other channels") {
  PgTestSchema schema("listen_other");
  const std::string channel = UniqueChannel(schema);
  auto listener = Listener::Create(schema.dsn(), channel);
  GOFER_REQUIRE_OK(listener);
  GOFER_REQUIRE_OK(Notify(schema.dsn(), channel + "_elsewhere", ""));
  auto woke = (*listener)->Wait(kQuiet);
  GOFER_REQUIRE_OK(woke);
  CHECK_FALSE(*woke);
}

TEST_CASE("A notification sent in a transaction is delivered on commit and never on rollback") {
  PgTestSchema schema("listen_tx");
  const std::string channel = UniqueChannel(schema);
  auto listener = Listener::Create(schema.dsn(), channel);
  GOFER_REQUIRE_OK(listener);
  auto pool = schema.MakePool(2);

  const absl::Status rolled_back = Transact(*pool, [&](pqxx::work& tx) {
    tx.exec_params("SELECT pg_notify($1, 'never')", channel);
    return absl::CancelledError("changed my mind");
  });
  GOFER_REQUIRE_CODE(rolled_back, absl::StatusCode::kCancelled);
  auto after_rollback = (*listener)->Wait(kQuiet);
  GOFER_REQUIRE_OK(after_rollback);
  CHECK_FALSE(*after_rollback);

  absl::StatusOr<bool> before_commit = false;
  GOFER_REQUIRE_OK(Transact(*pool, [&](pqxx::work& tx) {
    tx.exec_params("SELECT pg_notify($1, 'committed')", channel);
    before_commit = (*listener)->Wait(kQuiet);  // Sent, but not committed yet.
    return absl::OkStatus();
  }));
  GOFER_REQUIRE_OK(before_commit);
  CHECK_FALSE(*before_commit);
  auto after_commit = (*listener)->Wait(kArrives);
  GOFER_REQUIRE_OK(after_commit);
  CHECK(*after_commit);
}

TEST_CASE("Listener reconnects after its backend is terminated and keeps receiving") {
  PgTestSchema schema("listen_killed");
  const std::string channel = UniqueChannel(schema);
  auto listener = Listener::Create(schema.dsn(), channel);
  GOFER_REQUIRE_OK(listener);

  {
    pqxx::connection killer(schema.dsn());
    pqxx::nontransaction tx(killer);
    // The listener's backend last ran `LISTEN "<channel>"`; the timeout form waits for exit.
    const int killed =
        tx.exec_params1(
              "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM "
              "pg_stat_activity "
              "WHERE pid <> pg_backend_pid() AND query ILIKE 'listen%' AND strpos(query, $1) > 0",
              channel)[0]
            .as<int>();
    REQUIRE(killed == 1);
  }

  // The loss shows as a wake-up (the caller must re-poll), possibly after one UNAVAILABLE.
  auto woke = (*listener)->Wait(kArrives);
  if (!woke.ok()) {
    GOFER_REQUIRE_CODE(woke, absl::StatusCode::kUnavailable);
    woke = (*listener)->Wait(kArrives);
  }
  GOFER_REQUIRE_OK(woke);
  CHECK(*woke);

  GOFER_REQUIRE_OK(Notify(schema.dsn(), channel, "after"));
  auto after = (*listener)->Wait(kArrives);
  GOFER_REQUIRE_OK(after);
  CHECK(*after);
}

TEST_CASE("Listener::Create fails with UNAVAILABLE when Postgres cannot be reached") {
  auto listener =
      Listener::Create("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=5", "c");
  GOFER_REQUIRE_CODE(listener, absl::StatusCode::kUnavailable);
}

}  // namespace gofer::pg
