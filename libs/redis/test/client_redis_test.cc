// Connection and Pool against a real Redis, each test in a database of its own.
#include "gofer/redis/client.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"

namespace gofer::redis {
namespace {

using gofer::testing::RedisTestDb;

}  // namespace

TEST_CASE("SET then GET returns the value, byte for byte") {
  RedisTestDb db;
  auto pool = db.MakePool();
  const std::string binary("a\0b\r\n\xff", 6);
  auto set = pool->Command({"SET", "k", binary});
  GOFER_REQUIRE_OK(set);
  CHECK(set->is_ok());
  auto get = pool->Command({"GET", "k"});
  GOFER_REQUIRE_OK(get);
  CHECK(get->type == Reply::Type::kString);
  CHECK(get->str == binary);
  CHECK(get->str.size() == 6);
}

TEST_CASE("Binary-safe arguments also work in key names") {
  RedisTestDb db;
  auto pool = db.MakePool();
  const std::string key("key\0with nul", 12);
  GOFER_REQUIRE_OK(pool->Command({"SET", key, "v"}));
  auto other = pool->Command({"GET", "key"});
  GOFER_REQUIRE_OK(other);
  CHECK(other->is_nil());
  auto get = pool->Command({"GET", key});
  GOFER_REQUIRE_OK(get);
  CHECK(get->str == "v");
}

TEST_CASE("GET of a missing key returns nil") {
  RedisTestDb db;
  auto pool = db.MakePool();
  auto get = pool->Command({"GET", "missing"});
  GOFER_REQUIRE_OK(get);
  CHECK(get->is_nil());
}

TEST_CASE("INCR returns an integer reply") {
  RedisTestDb db;
  auto pool = db.MakePool();
  GOFER_REQUIRE_OK(pool->Command({"INCR", "n"}));
  auto n = pool->Command({"INCRBY", "n", "41"});
  GOFER_REQUIRE_OK(n);
  CHECK(n->type == Reply::Type::kInteger);
  CHECK(n->integer == 42);
}

TEST_CASE("LRANGE returns an array of the list's elements in order") {
  RedisTestDb db;
  auto pool = db.MakePool();
  GOFER_REQUIRE_OK(pool->Command({"RPUSH", "l", "a", "b", "c"}));
  auto range = pool->Command({"LRANGE", "l", "0", "-1"});
  GOFER_REQUIRE_OK(range);
  REQUIRE(range->type == Reply::Type::kArray);
  REQUIRE(range->elements.size() == 3);
  CHECK(range->elements[0].str == "a");
  CHECK(range->elements[1].str == "b");
  CHECK(range->elements[2].str == "c");
}

TEST_CASE("A WRONGTYPE error reply becomes FAILED_PRECONDITION and the connection stays usable") {
  RedisTestDb db;
  auto pool = db.MakePool(1);
  GOFER_REQUIRE_OK(pool->Command({"SET", "s", "x"}));
  GOFER_REQUIRE_CODE(pool->Command({"LPUSH", "s", "y"}), absl::StatusCode::kFailedPrecondition);
  auto get = pool->Command({"GET", "s"});
  GOFER_REQUIRE_OK(get);
  CHECK(get->str == "x");
  CHECK(pool->connects() == 1);
}

TEST_CASE("Pipeline returns replies in order and keeps an error element as a status") {
  RedisTestDb db;
  auto pool = db.MakePool();
  auto replies = pool->Pipeline(
      {{"SET", "s", "x"}, {"INCR", "s"}, {"INCR", "n"}, {"GET", "s"}, {"GET", "missing"}});
  GOFER_REQUIRE_OK(replies);
  REQUIRE(replies->size() == 5);
  GOFER_REQUIRE_OK((*replies)[0]);
  CHECK((*replies)[0]->is_ok());
  GOFER_REQUIRE_CODE((*replies)[1], absl::StatusCode::kInternal);  // ERR not an integer
  GOFER_REQUIRE_OK((*replies)[2]);
  CHECK((*replies)[2]->integer == 1);
  GOFER_REQUIRE_OK((*replies)[3]);
  CHECK((*replies)[3]->str == "x");
  GOFER_REQUIRE_OK((*replies)[4]);
  CHECK((*replies)[4]->is_nil());
}

TEST_CASE("SET NX PX grants a lease once and refuses it while held") {
  RedisTestDb db;
  auto pool = db.MakePool();
  auto first = pool->Command({"SET", "lease", "worker-1", "NX", "PX", "60000"});
  GOFER_REQUIRE_OK(first);
  CHECK(first->is_ok());
  auto second = pool->Command({"SET", "lease", "worker-2", "NX", "PX", "60000"});
  GOFER_REQUIRE_OK(second);
  CHECK(second->is_nil());
  auto holder = pool->Command({"GET", "lease"});
  GOFER_REQUIRE_OK(holder);
  CHECK(holder->str == "worker-1");
  auto ttl = pool->Command({"PTTL", "lease"});
  GOFER_REQUIRE_OK(ttl);
  CHECK(ttl->integer > 0);
}

TEST_CASE("A pooled connection killed by the server is replaced without failing a command") {
  RedisTestDb db;
  auto pool = db.MakePool(1);
  auto id = pool->Command({"CLIENT", "ID"});
  GOFER_REQUIRE_OK(id);
  REQUIRE(pool->connects() == 1);

  auto admin = Connection::Open(db.options());
  GOFER_REQUIRE_OK(admin);
  auto killed = (*admin)->Command({"CLIENT", "KILL", "ID", absl::StrCat(id->integer)});
  GOFER_REQUIRE_OK(killed);
  REQUIRE(killed->integer == 1);

  auto next = pool->Command({"CLIENT", "ID"});
  GOFER_REQUIRE_OK(next);
  CHECK(next->integer != id->integer);
  CHECK(pool->connects() == 2);
  // The replacement selected the test database too.
  GOFER_REQUIRE_OK((*admin)->Command({"SET", "visible", "1"}));
  auto visible = pool->Command({"GET", "visible"});
  GOFER_REQUIRE_OK(visible);
  CHECK(visible->str == "1");
}

TEST_CASE("A connection killed during use breaks with UNAVAILABLE and the pool reconnects") {
  RedisTestDb db;
  auto conn = Connection::Open(db.options());
  GOFER_REQUIRE_OK(conn);
  auto id = (*conn)->Command({"CLIENT", "ID"});
  GOFER_REQUIRE_OK(id);
  auto admin = Connection::Open(db.options());
  GOFER_REQUIRE_OK(admin);
  GOFER_REQUIRE_OK((*admin)->Command({"CLIENT", "KILL", "ID", absl::StrCat(id->integer)}));
  CHECK((*conn)->PeerClosed());
  GOFER_REQUIRE_CODE((*conn)->Command({"PING"}), absl::StatusCode::kUnavailable);
  CHECK((*conn)->broken());
  GOFER_REQUIRE_CODE((*conn)->Command({"PING"}), absl::StatusCode::kUnavailable);
}

TEST_CASE("An unreachable Redis gives UNAVAILABLE") {
  Options options;
  options.host = "127.0.0.1";
  options.port = 1;
  GOFER_REQUIRE_CODE(Connection::Open(options), absl::StatusCode::kUnavailable);
  auto pool = Pool::Create(options);
  GOFER_REQUIRE_OK(pool);
  GOFER_REQUIRE_CODE((*pool)->Command({"PING"}), absl::StatusCode::kUnavailable);
  // The failed connect released its slot: the next command fails the same way, not with
  // RESOURCE_EXHAUSTED.
  GOFER_REQUIRE_CODE((*pool)->Command({"PING"}), absl::StatusCode::kUnavailable);
}

TEST_CASE("Pool::Create rejects a size below one and a missing address") {
  Options zero;
  zero.pool_size = 0;
  GOFER_REQUIRE_CODE(Pool::Create(zero), absl::StatusCode::kInvalidArgument);
  Options no_host;
  no_host.host = "";
  GOFER_REQUIRE_CODE(Pool::Create(no_host), absl::StatusCode::kInvalidArgument);
}

TEST_CASE("A pool of one connection serves many threads without losing a command") {
  RedisTestDb db;
  auto pool = db.MakePool(1);
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        if (!pool->Command({"INCR", "counter"}).ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(failures.load() == 0);
  auto total = pool->Command({"GET", "counter"});
  GOFER_REQUIRE_OK(total);
  CHECK(total->str == absl::StrCat(kThreads * kIncrements));
  CHECK(pool->connects() == 1);
}

TEST_CASE("Each RedisTestDb is a database of its own") {
  RedisTestDb first;
  RedisTestDb second;
  REQUIRE(first.db() != second.db());
  auto a = first.MakePool();
  auto b = second.MakePool();
  GOFER_REQUIRE_OK(a->Command({"SET", "shared-name", "first"}));
  auto seen = b->Command({"GET", "shared-name"});
  GOFER_REQUIRE_OK(seen);
  CHECK(seen->is_nil());
  auto own = a->Command({"GET", "shared-name"});
  GOFER_REQUIRE_OK(own);
  CHECK(own->str == "first");
}

}  // namespace gofer::redis
