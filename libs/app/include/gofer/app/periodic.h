// Background housekeeping: runs a function every interval on its own thread.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace gofer::app {

// Calls `fn` every `interval` (the first call one interval after construction) until Stop()
// or destruction, which wait for a call in progress to return. `fn` reports its own errors.
class Periodic {
 public:
  Periodic(std::string name, absl::Duration interval, std::function<void()> fn);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Stops the loop; idempotent.
  void Stop();

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gofer::app
