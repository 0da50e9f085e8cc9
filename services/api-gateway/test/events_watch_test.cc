// EventService through an in-process gateway on real Postgres: ListEvents pagination while
// events are appended concurrently, WatchEvents from the oldest event, from now and after a
// given event (resuming after a disconnect), events whose transaction commits late, filters,
// and the permissions a watch needs.
#include <catch2/catch.hpp>
#include <pqxx/connection>
#include <pqxx/transaction>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "gateway_server.h"
#include "gofer/pg/transaction.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway {
namespace {

using gofer::testing::Eventually;
using testing::EventWatch;
using testing::GatewayServer;
using testing::IdsOf;
using testing::ViolatedFields;
using EventStub = v1::EventService::Stub;

events::Event TestEvent(const std::string& kind, const std::string& namespace_id = "default") {
  return {.kind = kind, .namespace_id = namespace_id, .actor = "test"};
}

// Appends `n` events of `kind` (each in a transaction of its own); their ids.
std::vector<int64_t> Append(GatewayServer& gw, int n, const std::string& kind) {
  std::vector<int64_t> ids;
  for (int i = 0; i < n; ++i) {
    ids.push_back(gw.AppendEvent(TestEvent(kind)));
  }
  return ids;
}

v1::EventFilter Kind(const std::string& kind, const std::string& namespace_id = "") {
  v1::EventFilter filter;
  filter.set_kind(kind);
  filter.set_namespace_id(namespace_id);
  return filter;
}

v1::WatchEventsRequest Watch(const v1::EventFilter& filter) {
  v1::WatchEventsRequest request;
  *request.mutable_filter() = filter;
  return request;
}

std::vector<int64_t> Concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("ListEvents pages through every event once, in order, while events are appended") {
  GatewayServer gw;
  const std::vector<int64_t> seeded = Append(gw, 20, "test.page");
  // The writer makes no Catch2 assertions (they are not thread-safe); its outcome is checked
  // after it joined.
  std::vector<int64_t> written;
  absl::Status writer_status;
  std::jthread writer([&] {
    for (int i = 0; i < 40 && writer_status.ok(); ++i) {
      int64_t id = 0;
      writer_status = pg::Transact(gw.pool(), [&](pqxx::work& tx) {
        id = gw.outbox().Append(tx, TestEvent("test.page"));
        return absl::OkStatus();
      });
      written.push_back(id);
    }
  });

  // Follows next_page_token; at the end of the stored events (a page without a token) it asks
  // again from the same token, where the events already seen come back first.
  std::vector<int64_t> seen;
  std::string token;
  bool consistent = true;
  const bool done = Eventually([&] {
    v1::ListEventsRequest request;
    *request.mutable_filter() = Kind("test.page");
    request.set_page_size(7);
    request.set_page_token(token);
    auto page = gw.Call(gw.admin_secret(), &EventStub::ListEvents, request);
    GOFER_REQUIRE_OK(page);
    for (const auto& event : page->events()) {
      seen.push_back(event.id());
    }
    // The event log has no last page: the token always continues after what was read.
    consistent &= !page->next_page_token().empty();
    token = page->next_page_token();
    return seen.size() >= 60;
  });
  writer.join();
  GOFER_REQUIRE_OK(writer_status);
  REQUIRE(done);
  CHECK(consistent);
  CHECK(seen == Concat(seeded, written));
}

TEST_CASE("WatchEvents from the oldest event delivers the stored events, then new ones") {
  GatewayServer gw;
  const std::vector<int64_t> stored = Append(gw, 5, "test.old");
  gw.ListedEvents(Kind("test.old"), 5);  // stored and readable before the watch starts
  EventWatch watch(gw, gw.admin_secret(), Watch(Kind("test.old")));
  CHECK(IdsOf(watch.WaitForEvents(5)) == stored);

  const std::vector<int64_t> live = Append(gw, 5, "test.old");
  const std::vector<v1::Event> all = watch.WaitForEvents(10);
  CHECK(IdsOf(all) == Concat(stored, live));
  CHECK(all[0].kind() == "test.old");
  CHECK(all[0].namespace_id() == "default");
  CHECK(all[0].actor() == "test");
  CHECK(all[0].emitted().seconds() > 0);
}

TEST_CASE("WatchEvents resumed after the last received event has no gaps and no duplicates") {
  GatewayServer gw;
  std::vector<int64_t> all = Append(gw, 6, "test.resume");
  EventWatch first(gw, gw.admin_secret(), Watch(Kind("test.resume")));
  const std::vector<v1::Event> before = first.WaitForEvents(3);
  first.Cancel();
  CHECK(first.WaitForEnd().code() == absl::StatusCode::kCancelled);
  const std::vector<v1::Event> received = first.received();  // final: the stream ended
  REQUIRE(received.size() >= before.size());

  all = Concat(all, Append(gw, 4, "test.resume"));
  v1::WatchEventsRequest resume = Watch(Kind("test.resume"));
  resume.set_after_event_id(received.back().id());
  EventWatch second(gw, gw.admin_secret(), resume);
  const std::vector<v1::Event> rest = second.WaitForEvents(all.size() - received.size());

  std::vector<int64_t> joined = IdsOf(received);
  joined = Concat(joined, IdsOf(rest));
  CHECK(joined == all);
}

TEST_CASE("WatchEvents from now delivers only events written after it started") {
  GatewayServer gw;
  Append(gw, 3, "test.now");
  gw.ListedEvents(Kind("test.now"), 3);  // readable, so "now" is after them
  v1::WatchEventsRequest request = Watch(Kind("test.now"));
  request.set_from_now(true);
  EventWatch watch(gw, gw.admin_secret(), request);

  // The watch starts asynchronously: write markers until one arrives. Markers written before
  // the start may be missed, but nothing older, and nothing after the first one received.
  std::vector<int64_t> markers;
  REQUIRE(Eventually([&] {
    markers.push_back(gw.AppendEvent(TestEvent("test.now")));
    return !watch.received().empty();
  }));
  markers.push_back(gw.AppendEvent(TestEvent("test.now")));
  const std::vector<int64_t> received = IdsOf(watch.WaitForEvents(1));
  const auto start = std::find(markers.begin(), markers.end(), received[0]);
  REQUIRE(start != markers.end());
  const std::vector<int64_t> expected(start, markers.end());
  CHECK(IdsOf(watch.WaitForEvents(expected.size())) == expected);
}

TEST_CASE("An event whose transaction commits late is delivered in order, not skipped") {
  GatewayServer gw;
  const int64_t first = gw.AppendEvent(TestEvent("test.late"));
  EventWatch watch(gw, gw.admin_secret(), Watch(Kind("test.late")));
  REQUIRE(IdsOf(watch.WaitForEvents(1)) == std::vector<int64_t>{first});

  pqxx::connection older_conn(gofer::testing::PgDsn());
  pqxx::connection newer_conn(gofer::testing::PgDsn());
  pqxx::work older(older_conn);
  const int64_t late = gw.outbox().Append(older, TestEvent("test.late"));
  pqxx::work newer(newer_conn);
  const int64_t early = gw.outbox().Append(newer, TestEvent("test.late"));
  newer.commit();
  REQUIRE(late < early);

  // `early` committed, but the older transaction is open: nobody may read past it yet.
  v1::ListEventsRequest list;
  *list.mutable_filter() = Kind("test.late");
  auto held = gw.Call(gw.admin_secret(), &EventStub::ListEvents, list);
  GOFER_REQUIRE_OK(held);
  CHECK(IdsOf(std::vector<v1::Event>(held->events().begin(), held->events().end())) ==
        std::vector<int64_t>{first});

  older.commit();
  CHECK(IdsOf(watch.WaitForEvents(3)) == std::vector<int64_t>{first, late, early});
  CHECK(IdsOf(gw.ListedEvents(Kind("test.late"), 3)) == std::vector<int64_t>{first, late, early});
}

TEST_CASE("WatchEvents with a filter delivers only the matching events") {
  GatewayServer gw;
  const int64_t a1 = gw.AppendEvent(TestEvent("test.x", "team-a"));
  const int64_t b1 = gw.AppendEvent(TestEvent("test.x", "team-b"));
  const int64_t a2 = gw.AppendEvent(TestEvent("test.y", "team-a"));
  const int64_t b2 = gw.AppendEvent(TestEvent("test.y", "team-b"));
  const int64_t a3 = gw.AppendEvent(TestEvent("test.x", "team-a"));
  const int64_t b3 = gw.AppendEvent(TestEvent("test.y", "team-b"));
  gw.AppendEvent(TestEvent("other.z", "team-b"));

  // Each filter's last match is written after every event it must skip, so waiting for it
  // proves nothing else came through.
  EventWatch team_a(gw, gw.admin_secret(), Watch(Kind("", "team-a")));
  EventWatch kind_y(gw, gw.admin_secret(), Watch(Kind("test.y")));
  EventWatch team_b_test(gw, gw.admin_secret(), Watch(Kind("test.", "team-b")));
  CHECK(IdsOf(team_a.WaitForEvents(3)) == std::vector<int64_t>{a1, a2, a3});
  CHECK(IdsOf(kind_y.WaitForEvents(3)) == std::vector<int64_t>{a2, b2, b3});
  CHECK(IdsOf(team_b_test.WaitForEvents(3)) == std::vector<int64_t>{b1, b2, b3});
}

TEST_CASE("Reading events needs events read on the namespace asked for") {
  GatewayServer gw;
  gw.CreateNamespace("other");
  gw.AppendEvent(TestEvent("test.perm", "default"));
  const std::string user = gw.CreateToken({"user"}).secret();

  EventWatch other(gw, user, Watch(Kind("", "other")));
  const absl::Status denied = other.WaitForEnd();
  CHECK(denied.code() == absl::StatusCode::kPermissionDenied);
  CHECK(testing::ReasonOf(denied) == "PERMISSION_DENIED");
  EventWatch everywhere(gw, user, Watch(Kind("")));
  CHECK(everywhere.WaitForEnd().code() == absl::StatusCode::kPermissionDenied);
  EventWatch anonymous(gw, "", Watch(Kind("", "default")));
  CHECK(anonymous.WaitForEnd().code() == absl::StatusCode::kUnauthenticated);

  v1::ListEventsRequest list;
  *list.mutable_filter() = Kind("", "other");
  GOFER_REQUIRE_CODE(gw.Call(user, &EventStub::ListEvents, list),
                     absl::StatusCode::kPermissionDenied);

  EventWatch own(gw, user, Watch(Kind("test.perm", "default")));
  CHECK(own.WaitForEvents(1)[0].namespace_id() == "default");
}

TEST_CASE("WatchEvents after an unknown event is NOT_FOUND") {
  GatewayServer gw;
  v1::WatchEventsRequest request;
  request.set_after_event_id(987654);
  EventWatch watch(gw, gw.admin_secret(), request);
  const absl::Status status = watch.WaitForEnd();
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK(status.message() == "event '987654' not found");
}

TEST_CASE("Invalid event filters and page tokens are INVALID_ARGUMENT naming the field") {
  GatewayServer gw;
  v1::EventFilter orphan;
  orphan.set_pipeline_id("build");
  orphan.set_run_id(-1);
  EventWatch watch(gw, gw.admin_secret(), Watch(orphan));
  const absl::Status watched = watch.WaitForEnd();
  CHECK(watched.code() == absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(watched) == std::vector<std::string>{"filter.pipeline_id", "filter.run_id"});

  Append(gw, 3, "test.token");
  gw.ListedEvents(Kind("test.token"), 3);  // readable, so the first page is full
  v1::ListEventsRequest list;
  *list.mutable_filter() = Kind("test.token");
  list.set_page_size(2);
  auto page = gw.Call(gw.admin_secret(), &EventStub::ListEvents, list);
  GOFER_REQUIRE_OK(page);
  REQUIRE_FALSE(page->next_page_token().empty());
  list.set_page_token(page->next_page_token());
  *list.mutable_filter() = Kind("test.other");
  auto reused = gw.Call(gw.admin_secret(), &EventStub::ListEvents, list);
  GOFER_REQUIRE_CODE(reused, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(reused.status()) == std::vector<std::string>{"page_token"});
}

}  // namespace gofer::api_gateway
