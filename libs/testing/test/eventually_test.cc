// Eventually: polls until a condition holds, or gives up at the timeout.
#include "gofer/testing/eventually.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"

namespace gofer::testing {

TEST_CASE("Eventually returns true at once when the condition already holds") {
  int calls = 0;
  CHECK(Eventually([&] {
    ++calls;
    return true;
  }));
  CHECK(calls == 1);
}

TEST_CASE("Eventually returns true once another thread makes the condition hold") {
  std::atomic<bool> flag{false};
  std::atomic<int> polls{0};
  absl::Notification polled_once;
  std::thread flipper([&] {
    // Flip only after Eventually has seen the condition false at least once.
    polled_once.WaitForNotification();
    flag.store(true);
  });
  const bool held = Eventually([&] {
    const bool value = flag.load();  // read before letting the flipper go: the first poll is false
    if (polls.fetch_add(1) == 0) {
      polled_once.Notify();
    }
    return value;
  });
  flipper.join();
  CHECK(held);
  CHECK(polls.load() >= 2);
}

TEST_CASE("Eventually returns false after the timeout when the condition never holds") {
  int calls = 0;
  const bool held = Eventually(
      [&] {
        ++calls;
        return false;
      },
      absl::Milliseconds(30), absl::Milliseconds(1));
  CHECK_FALSE(held);
  // It kept polling until the deadline rather than giving up after one look.
  CHECK(calls >= 2);
}

}  // namespace gofer::testing
