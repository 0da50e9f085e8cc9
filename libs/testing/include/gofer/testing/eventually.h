// Waiting for a condition without sleeping for a guessed time.
#pragma once

#include <functional>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gofer::testing {

// Polls `condition` every `interval` until it holds (true) or `timeout` passes (false). The
// timeout is a safety net against hangs, not a timing assertion: choose it generously.
inline bool Eventually(const std::function<bool()>& condition,
                       absl::Duration timeout = absl::Seconds(20),
                       absl::Duration interval = absl::Milliseconds(5)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) {
      return true;
    }
    if (absl::Now() >= deadline) {
      return false;
    }
    absl::SleepFor(interval);
  }
}

}  // namespace gofer::testing
