#include "gofer/app/periodic.h"

#include <pthread.h>

namespace gofer::app {

Periodic::Periodic(std::string name, absl::Duration interval, std::function<void()> fn) {
  thread_ = std::thread([this, name = std::move(name), interval, fn = std::move(fn)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    while (!stop_.WaitForNotificationWithTimeout(interval)) {
      fn();
    }
  });
}

Periodic::~Periodic() { Stop(); }

void Periodic::Stop() {
  if (!stop_.HasBeenNotified()) {
    stop_.Notify();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace gofer::app
