#include "gofer/common/clock.h"

namespace gofer {

Clock& SystemClock::Get() {
  static SystemClock* const kClock = new SystemClock();
  return *kClock;
}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  if (d > absl::ZeroDuration()) {
    now_ += d;
  }
}

void FakeClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

}  // namespace gofer
