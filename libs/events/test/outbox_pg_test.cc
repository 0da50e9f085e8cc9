// The transactional outbox against a real Postgres: events exist iff their transaction
// committed, readers follow (tx, id) order without skipping late commits, and cursors, filters,
// pruning and NOTIFY behave as the header says. Each test case has a fresh schema.
#include "gofer/events/outbox.h"

#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/transaction>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gofer/pg/listener.h"
#include "gofer/pg/migrations.h"
#include "gofer/pg/transaction.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"

namespace gofer::events {
namespace {

using gofer::testing::Eventually;
using gofer::testing::PgTestSchema;

// An outbox in a fresh, migrated schema.
struct OutboxTest {
  PgTestSchema schema{"outbox"};
  std::unique_ptr<pg::Pool> pool = schema.MakePool();
  Outbox outbox{schema.name()};

  OutboxTest() { GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool, EventsMigrations(), schema.name())); }

  // Appends `event` in a transaction of its own and commits it.
  int64_t Commit(const Event& event) {
    int64_t id = 0;
    GOFER_REQUIRE_OK(pg::Transact(*pool, [&](pqxx::work& tx) {
      id = outbox.Append(tx, event);
      return absl::OkStatus();
    }));
    return id;
  }

  Page Read(Cursor after = {}, const Filter& filter = {}, int limit = 1000) {
    auto page = outbox.Read(*pool, after, filter, limit);
    GOFER_REQUIRE_OK(page);
    return *std::move(page);
  }

  // Waits until reading from `after` returns `n` events (commits become readable once every
  // older transaction on the server has ended), then returns them.
  std::vector<Event> ReadWhenStable(size_t n, Cursor after = {}, const Filter& filter = {}) {
    Page page;
    REQUIRE(Eventually([&] {
      page = Read(after, filter);
      return page.events.size() >= n;
    }));
    return page.events;
  }
};

std::vector<int64_t> Ids(const std::vector<Event>& events) {
  std::vector<int64_t> ids;
  for (const Event& e : events) {
    ids.push_back(e.id);
  }
  return ids;
}

Event Kind(const std::string& kind) { return {.kind = kind, .actor = "system"}; }

}  // namespace

TEST_CASE("A committed event is read back with every field") {
  OutboxTest t;
  const int64_t id = t.Commit({.kind = "task.completed",
                               .namespace_id = "prod",
                               .pipeline_id = "build",
                               .run_id = 42,
                               .task_id = "compile",
                               .actor = "run-queue:r1@epoch-3",
                               .details = R"({"image": "alpine:3"})"});
  const std::vector<Event> events = t.ReadWhenStable(1);
  REQUIRE(events.size() == 1);
  const Event& e = events[0];
  CHECK(e.id == id);
  CHECK(e.kind == "task.completed");
  CHECK(e.namespace_id == "prod");
  CHECK(e.pipeline_id == "build");
  CHECK(e.run_id == 42);
  CHECK(e.task_id == "compile");
  CHECK(e.actor == "run-queue:r1@epoch-3");
  CHECK(e.details == R"({"image": "alpine:3"})");
  CHECK(e.emitted_at > absl::UnixEpoch());
  CHECK(absl::AbsDuration(e.emitted_at - absl::Now()) < absl::Hours(1));  // units are right
}

TEST_CASE("An event with empty details is stored with an empty JSON object") {
  OutboxTest t;
  t.Commit({.kind = "run.started", .details = ""});
  const std::vector<Event> events = t.ReadWhenStable(1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].details == "{}");
}

TEST_CASE("An event appended in a rolled-back transaction is never delivered") {
  OutboxTest t;
  const absl::Status rolled_back = pg::Transact(*t.pool, [&](pqxx::work& tx) {
    t.outbox.Append(tx, Kind("run.started"));
    return absl::CancelledError("changed my mind");
  });
  CHECK(rolled_back.code() == absl::StatusCode::kCancelled);
  const int64_t later = t.Commit(Kind("run.finished"));
  // Once the later event is readable, everything before it is decided.
  const std::vector<Event> events = t.ReadWhenStable(1);
  CHECK(Ids(events) == std::vector<int64_t>{later});
}

TEST_CASE(
    "An event committed after an open older transaction waits for it, then both arrive "
    "in transaction order") {
  OutboxTest t;
  const int64_t first = t.Commit(Kind("run.queued"));
  REQUIRE(t.ReadWhenStable(1).size() == 1);
  const Cursor seen = t.Read().next;  // a reader that has consumed `first`

  pqxx::connection conn(t.schema.dsn());
  pqxx::work older(conn);
  const int64_t a = t.outbox.Append(older, Kind("run.started"));
  const int64_t b = t.Commit(Kind("run.finished"));

  // B committed, but the still-open transaction holding A is older: B must wait.
  const Page held = t.Read(seen);
  CHECK(held.events.empty());
  CHECK(held.next == seen);
  const Page fresh = t.Read(Cursor{});
  CHECK(Ids(fresh.events) == std::vector<int64_t>{first});

  older.commit();
  CHECK(Ids(t.ReadWhenStable(2, seen)) == std::vector<int64_t>{a, b});
  // A reader that had read nothing sees everything, in order.
  CHECK(Ids(t.ReadWhenStable(3, Cursor{})) == std::vector<int64_t>{first, a, b});
}

TEST_CASE("Events committed after a transaction that rolls back are released by the rollback") {
  OutboxTest t;
  pqxx::connection conn(t.schema.dsn());
  pqxx::work older(conn);
  t.outbox.Append(older, Kind("run.started"));
  const int64_t b = t.Commit(Kind("run.finished"));
  CHECK(t.Read().events.empty());

  older.abort();
  CHECK(Ids(t.ReadWhenStable(1)) == std::vector<int64_t>{b});
}

TEST_CASE("Paging with the returned cursor yields every event exactly once in order") {
  OutboxTest t;
  std::vector<int64_t> appended;
  for (int i = 0; i < 25; ++i) {
    appended.push_back(t.Commit(Kind("run.started")));
  }
  REQUIRE(t.ReadWhenStable(25).size() == 25);

  std::vector<int64_t> paged;
  std::vector<size_t> sizes;
  Cursor cursor;
  for (int i = 0; i < 10; ++i) {
    const Page page = t.Read(cursor, {}, 10);
    if (page.events.empty()) {
      CHECK(page.next == cursor);
      break;
    }
    sizes.push_back(page.events.size());
    for (const Event& e : page.events) {
      paged.push_back(e.id);
    }
    cursor = page.next;
  }
  CHECK(paged == appended);
  CHECK(sizes == std::vector<size_t>{10, 10, 5});
}

namespace {

// Seeds events across namespaces, pipelines, runs and kinds; returns their ids by name.
struct Seeded {
  int64_t registered, build1_started, build1_finished, deploy2_started, dev3_started, runner_joined,
      build1_task;
};

Seeded Seed(OutboxTest& t) {
  auto event = [](std::string kind, std::string ns, std::string pipeline = "", int64_t run = 0) {
    return Event{.kind = std::move(kind),
                 .namespace_id = std::move(ns),
                 .pipeline_id = std::move(pipeline),
                 .run_id = run};
  };
  Seeded s;
  s.registered = t.Commit(event("pipeline.registered", "prod", "build"));
  s.build1_started = t.Commit(event("run.started", "prod", "build", 1));
  s.build1_finished = t.Commit(event("run.finished", "prod", "build", 1));
  s.deploy2_started = t.Commit(event("run.started", "prod", "deploy", 2));
  s.dev3_started = t.Commit(event("run.started", "dev", "build", 3));
  s.runner_joined = t.Commit(event("runner.joined", "dev"));
  s.build1_task = t.Commit(event("task.completed", "prod", "build", 1));
  REQUIRE(t.ReadWhenStable(7).size() == 7);
  return s;
}

}  // namespace

TEST_CASE("Filtering by namespace returns only that namespace's events") {
  OutboxTest t;
  const Seeded s = Seed(t);
  CHECK(Ids(t.Read({}, {.namespace_id = "dev"}).events) ==
        std::vector<int64_t>{s.dev3_started, s.runner_joined});
}

TEST_CASE("Filtering by pipeline returns only that pipeline's events") {
  OutboxTest t;
  const Seeded s = Seed(t);
  CHECK(Ids(t.Read({}, {.namespace_id = "prod", .pipeline_id = "build"}).events) ==
        std::vector<int64_t>{s.registered, s.build1_started, s.build1_finished, s.build1_task});
}

TEST_CASE("Filtering by run returns only that run's events") {
  OutboxTest t;
  const Seeded s = Seed(t);
  CHECK(Ids(t.Read({}, {.run_id = 1}).events) ==
        std::vector<int64_t>{s.build1_started, s.build1_finished, s.build1_task});
}

TEST_CASE("Filtering by an exact kind returns only events of that kind") {
  OutboxTest t;
  const Seeded s = Seed(t);
  CHECK(Ids(t.Read({}, {.kind = "run.started"}).events) ==
        std::vector<int64_t>{s.build1_started, s.deploy2_started, s.dev3_started});
  // Without the trailing dot a kind is not a prefix.
  CHECK(t.Read({}, {.kind = "run"}).events.empty());
}

TEST_CASE("Filtering by a kind prefix ending in a dot returns every kind under it") {
  OutboxTest t;
  const Seeded s = Seed(t);
  CHECK(Ids(t.Read({}, {.kind = "run."}).events) ==
        std::vector<int64_t>{s.build1_started, s.build1_finished, s.deploy2_started,
                             s.dev3_started});  // not "runner.joined"
  CHECK(Ids(t.Read({}, {.namespace_id = "prod", .kind = "run."}).events) ==
        std::vector<int64_t>{s.build1_started, s.build1_finished, s.deploy2_started});
}

TEST_CASE("Reading from Head returns only events appended afterwards") {
  OutboxTest t;
  auto empty_head = t.outbox.Head(*t.pool);
  GOFER_REQUIRE_OK(empty_head);
  CHECK(*empty_head == Cursor{});

  t.Commit(Kind("run.started"));
  const int64_t old = t.Commit(Kind("run.finished"));
  auto old_cursor = t.outbox.CursorOf(*t.pool, old);
  GOFER_REQUIRE_OK(old_cursor);
  Cursor head;
  REQUIRE(Eventually([&] {
    auto h = t.outbox.Head(*t.pool);
    head = h.ok() ? *h : Cursor{};
    return head == *old_cursor;
  }));

  const int64_t fresh = t.Commit(Kind("task.completed"));
  CHECK(Ids(t.ReadWhenStable(1, head)) == std::vector<int64_t>{fresh});
}

TEST_CASE("CursorOf an event resumes reading right after it") {
  OutboxTest t;
  t.Commit(Kind("a.one"));
  const int64_t second = t.Commit(Kind("a.two"));
  const int64_t third = t.Commit(Kind("a.three"));
  REQUIRE(t.ReadWhenStable(3).size() == 3);
  auto cursor = t.outbox.CursorOf(*t.pool, second);
  GOFER_REQUIRE_OK(cursor);
  CHECK(cursor->id == second);
  CHECK(Ids(t.Read(*cursor).events) == std::vector<int64_t>{third});
}

TEST_CASE("CursorOf an unknown event fails NOT_FOUND") {
  OutboxTest t;
  const auto cursor = t.outbox.CursorOf(*t.pool, 987654);
  INFO(cursor.status());
  CHECK(cursor.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("PruneBefore deletes exactly the events emitted before the cutoff") {
  OutboxTest t;
  const int64_t old = t.Commit(Kind("run.started"));
  const int64_t recent = t.Commit(Kind("run.finished"));
  {
    pqxx::connection conn(t.schema.dsn());
    pqxx::work tx(conn);
    tx.exec_params(absl::StrCat("UPDATE ", tx.quote_name(t.schema.name()), ".events ",
                                "SET emitted_at = now() - interval '2 hours' WHERE id = $1"),
                   old);
    tx.commit();
  }
  auto pruned = t.outbox.PruneBefore(*t.pool, absl::Now() - absl::Hours(1));
  GOFER_REQUIRE_OK(pruned);
  CHECK(*pruned == 1);
  CHECK(Ids(t.ReadWhenStable(1)) == std::vector<int64_t>{recent});

  t.Commit(Kind("task.completed"));
  auto rest = t.outbox.PruneBefore(*t.pool, absl::Now() + absl::Seconds(1));
  GOFER_REQUIRE_OK(rest);
  CHECK(*rest == 2);
  CHECK(t.Read().events.empty());
}

TEST_CASE("Appending invalid details JSON fails the transaction with INVALID_ARGUMENT") {
  OutboxTest t;
  const absl::Status status = pg::Transact(*t.pool, [&](pqxx::work& tx) {
    t.outbox.Append(tx, {.kind = "run.started", .details = "{not json"});
    return absl::OkStatus();
  });
  INFO(status);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  const int64_t later = t.Commit(Kind("run.finished"));
  CHECK(Ids(t.ReadWhenStable(1)) == std::vector<int64_t>{later});
}

TEST_CASE("A committed Append wakes a listener on the events channel") {
  OutboxTest t;
  auto listener = pg::Listener::Create(t.schema.dsn(), Outbox::kChannel);
  GOFER_REQUIRE_OK(listener);
  t.Commit(Kind("run.started"));
  // The channel is shared with every other test on the server, so only the wake-up is checked.
  auto woke = (*listener)->Wait(absl::Seconds(20));
  GOFER_REQUIRE_OK(woke);
  CHECK(*woke);
}

}  // namespace gofer::events

namespace gofer::events {
namespace {

TEST_CASE("AppendAll stores every event in order, with every field, in one transaction") {
  OutboxTest t;
  GOFER_REQUIRE_OK(pg::Transact(*t.pool, [&](pqxx::work& tx) {
    t.outbox.AppendAll(tx, {});  // nothing to do
    t.outbox.AppendAll(tx, {{.kind = "task.waiting",
                             .namespace_id = "prod",
                             .pipeline_id = "build",
                             .run_id = 7,
                             .task_id = "compile",
                             .actor = "run-queue:r1@epoch-2",
                             .details = R"({"n": 1})"},
                            {.kind = "task.starting",
                             .run_id = 7,
                             .task_id = "compile",
                             .actor = "run-queue:r1@epoch-2",
                             .details = ""},
                            Kind("run.completed")});
    return absl::OkStatus();
  }));
  const std::vector<Event> events = t.ReadWhenStable(3);
  REQUIRE(events.size() == 3);
  CHECK(events[0].kind == "task.waiting");
  CHECK(events[0].namespace_id == "prod");
  CHECK(events[0].pipeline_id == "build");
  CHECK(events[0].run_id == 7);
  CHECK(events[0].task_id == "compile");
  CHECK(events[0].actor == "run-queue:r1@epoch-2");
  CHECK(events[0].details == R"({"n": 1})");
  CHECK(events[1].kind == "task.starting");
  CHECK(events[1].details == "{}");
  CHECK(events[2].kind == "run.completed");
  CHECK(events[0].id < events[1].id);
  CHECK(events[1].id < events[2].id);
}

TEST_CASE("AppendAll in a rolled-back transaction stores nothing") {
  OutboxTest t;
  (void)pg::Transact(*t.pool,
                     [&](pqxx::work& tx) {
                       t.outbox.AppendAll(tx, {Kind("run.started"), Kind("run.completed")});
                       return absl::AbortedError("roll back");
                     },
                     {.max_attempts = 1});
  t.Commit(Kind("after"));
  const std::vector<Event> events = t.ReadWhenStable(1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == "after");
}

}  // namespace
}  // namespace gofer::events
