// BoundedExecutor: runs every accepted task, bounds the tasks waiting for a worker, and drains
// its queue on Shutdown.
#include "gofer/rpc/executor.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "gofer/testing/eventually.h"

namespace gofer::rpc {
namespace {

using gofer::testing::Eventually;

// Occupies a worker until released.
struct Blocker {
  absl::Notification started;
  absl::Notification release;

  std::function<void()> Task() {
    return [this] {
      started.Notify();
      release.WaitForNotification();
    };
  }
};

}  // namespace

TEST_CASE("The executor runs every submitted task") {
  BoundedExecutor executor(4, 1000);
  constexpr int kTasks = 200;
  std::atomic<int> ran{0};
  absl::BlockingCounter done(kTasks);
  for (int i = 0; i < kTasks; ++i) {
    REQUIRE(executor.TrySubmit([&] {
      ran.fetch_add(1);
      done.DecrementCount();
    }));
  }
  done.Wait();
  CHECK(ran.load() == kTasks);
}

TEST_CASE("With every worker busy, one task fits a queue of one and the next is rejected") {
  BoundedExecutor executor(1, 1);
  Blocker blocker;
  REQUIRE(executor.TrySubmit(blocker.Task()));
  blocker.started.WaitForNotification();

  std::atomic<int> ran{0};
  absl::BlockingCounter done(1);
  CHECK(executor.TrySubmit([&] {
    ran.fetch_add(1);
    done.DecrementCount();
  }));
  CHECK_FALSE(executor.TrySubmit([&] { ran.fetch_add(100); }));
  CHECK(executor.queued() == 1);
  CHECK(executor.running() == 1);

  blocker.release.Notify();
  done.Wait();
  executor.Shutdown();
  CHECK(ran.load() == 1);  // the rejected task never ran
}

TEST_CASE("With queue_limit 0 an idle worker still takes a task") {
  BoundedExecutor executor(1, 0);
  // Let the worker finish one task first, so it is certainly waiting for the next one.
  REQUIRE(Eventually([&] {
    absl::Notification done;
    if (!executor.TrySubmit([&] { done.Notify(); })) {
      return false;
    }
    done.WaitForNotification();
    return true;
  }));
  REQUIRE(Eventually([&] { return executor.running() == 0; }));

  Blocker blocker;
  CHECK(executor.TrySubmit(blocker.Task()));
  blocker.started.WaitForNotification();
  // Now the only worker is busy and nothing may wait.
  CHECK_FALSE(executor.TrySubmit([] {}));
  blocker.release.Notify();
}

TEST_CASE("A new executor with queue_limit 0 accepts a task before its workers have started") {
  // The header promises rejection only when every worker is busy; a worker that has not yet
  // reached its loop is not busy. Repeated because thread start-up races the first submission.
  for (int i = 0; i < 50; ++i) {
    BoundedExecutor executor(1, 0);
    absl::Notification ran;
    const bool accepted = executor.TrySubmit([&] { ran.Notify(); });
    INFO("attempt " << i);
    REQUIRE(accepted);
    ran.WaitForNotification();
  }
}

TEST_CASE("Shutdown runs the tasks already queued, then rejects new ones") {
  BoundedExecutor executor(1, 10);
  Blocker blocker;
  REQUIRE(executor.TrySubmit(blocker.Task()));
  blocker.started.WaitForNotification();
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) {
    REQUIRE(executor.TrySubmit([&] { ran.fetch_add(1); }));
  }
  REQUIRE(executor.queued() == 3);

  std::thread shutdown([&] { executor.Shutdown(); });
  // Once Shutdown has begun, submissions are refused (accepted ones before that still run).
  std::atomic<int> late{0};
  REQUIRE(Eventually([&] { return !executor.TrySubmit([&] { late.fetch_add(1); }); }));
  blocker.release.Notify();
  shutdown.join();

  CHECK(ran.load() == 3);
  CHECK(executor.queued() == 0);
  CHECK(executor.running() == 0);
  CHECK_FALSE(executor.TrySubmit([&] { ran.fetch_add(1); }));
  executor.Shutdown();  // idempotent
  CHECK(ran.load() == 3);
}

TEST_CASE("queued() and running() report waiting and running tasks") {
  BoundedExecutor executor(2, 10);
  CHECK(executor.queued() == 0);
  CHECK(executor.running() == 0);

  Blocker first;
  Blocker second;
  REQUIRE(executor.TrySubmit(first.Task()));
  REQUIRE(executor.TrySubmit(second.Task()));
  first.started.WaitForNotification();
  second.started.WaitForNotification();
  std::atomic<int> ran{0};
  REQUIRE(executor.TrySubmit([&] { ran.fetch_add(1); }));
  CHECK(executor.running() == 2);
  CHECK(executor.queued() == 1);

  first.release.Notify();
  second.release.Notify();
  REQUIRE(Eventually([&] { return executor.running() == 0 && executor.queued() == 0; }));
  CHECK(ran.load() == 1);
}

}  // namespace gofer::rpc
