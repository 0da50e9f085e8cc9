// Leases against a real Redis.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"
#include "lease_manager.h"

namespace gofer::run_queue {
namespace {

using testing::Eventually;

TEST_CASE("Only one holder gets a free lease, however many try at once") {
  testing::RedisTestDb db;
  auto pool = db.MakePool(8);
  LeaseManager leases(*pool);
  std::atomic<int> winners{0};
  std::vector<std::thread> replicas;
  for (int i = 0; i < 8; ++i) {
    replicas.emplace_back([&, i] {
      auto got = leases.Acquire("run-1", "replica-" + std::to_string(i), absl::Seconds(10));
      REQUIRE(got.ok());
      winners += *got ? 1 : 0;
    });
  }
  for (auto& t : replicas) {
    t.join();
  }
  CHECK(winners == 1);
}

TEST_CASE("A lease can be renewed and released only by its holder") {
  testing::RedisTestDb db;
  auto pool = db.MakePool();
  LeaseManager leases(*pool);
  REQUIRE(*leases.Acquire("run-1", "a", absl::Seconds(10)));
  CHECK_FALSE(*leases.Renew("run-1", "b", absl::Seconds(10)));
  GOFER_REQUIRE_OK(leases.Release("run-1", "b"));
  CHECK(*leases.Holder("run-1") == "a");
  CHECK(*leases.Renew("run-1", "a", absl::Seconds(10)));
  CHECK(*leases.Acquire("run-1", "a", absl::Seconds(10)));  // re-acquire by the holder renews
  GOFER_REQUIRE_OK(leases.Release("run-1", "a"));
  CHECK(leases.Holder("run-1")->empty());
  CHECK(*leases.Acquire("run-1", "b", absl::Seconds(10)));
}

TEST_CASE("An expired lease is taken over by another replica, and the old holder cannot renew it") {
  testing::RedisTestDb db;
  auto pool = db.MakePool();
  LeaseManager leases(*pool);
  REQUIRE(*leases.Acquire("run-1", "a", absl::Milliseconds(50)));
  REQUIRE(Eventually([&] { return *leases.Acquire("run-1", "b", absl::Seconds(10)); }));
  CHECK_FALSE(*leases.Renew("run-1", "a", absl::Seconds(10)));
  CHECK(*leases.Holder("run-1") == "b");
}

TEST_CASE("The keeper keeps a lease alive past its TTL") {
  testing::RedisTestDb db;
  auto pool = db.MakePool();
  LeaseManager leases(*pool);
  REQUIRE(*leases.Acquire("run-1", "a", absl::Milliseconds(300)));
  LeaseKeeper keeper(leases, "a", absl::Milliseconds(300), [](const std::string&) {});
  keeper.Keep("run-1");
  // A contender keeps trying for three TTLs; the lease never becomes free.
  const absl::Time until = absl::Now() + absl::Milliseconds(900);
  while (absl::Now() < until) {
    REQUIRE_FALSE(*leases.Acquire("run-1", "b", absl::Seconds(10)));
    absl::SleepFor(absl::Milliseconds(20));
  }
  CHECK(*leases.Holder("run-1") == "a");
}

TEST_CASE("The keeper reports a lease lost when Redis forgets it, and stops keeping it") {
  testing::RedisTestDb db;
  auto pool = db.MakePool();
  LeaseManager leases(*pool);
  REQUIRE(*leases.Acquire("run-1", "a", absl::Seconds(3)));
  REQUIRE(*leases.Acquire("run-2", "a", absl::Seconds(3)));
  absl::Mutex mu;
  std::set<std::string> lost;
  LeaseKeeper keeper(leases, "a", absl::Seconds(3), [&](const std::string& key) {
    absl::MutexLock lock(&mu);
    lost.insert(key);
  });
  keeper.Keep("run-1");
  keeper.Keep("run-2");
  GOFER_REQUIRE_OK(pool->Command({"FLUSHDB"}));
  REQUIRE(*leases.Acquire("run-1", "b", absl::Seconds(10)));  // another replica takes one over
  REQUIRE(Eventually([&] {
    absl::MutexLock lock(&mu);
    return lost.size() == 2;
  }));
  CHECK(keeper.size() == 0);
  CHECK(*leases.Holder("run-1") == "b");  // the keeper never steals it back
}

TEST_CASE("Dropping a kept lease releases it at once") {
  testing::RedisTestDb db;
  auto pool = db.MakePool();
  LeaseManager leases(*pool);
  REQUIRE(*leases.Acquire("run-1", "a", absl::Seconds(10)));
  LeaseKeeper keeper(leases, "a", absl::Seconds(10), [](const std::string&) {});
  keeper.Keep("run-1");
  GOFER_REQUIRE_OK(keeper.Drop("run-1"));
  CHECK(keeper.size() == 0);
  CHECK(*leases.Acquire("run-1", "b", absl::Seconds(10)));
}

}  // namespace
}  // namespace gofer::run_queue
