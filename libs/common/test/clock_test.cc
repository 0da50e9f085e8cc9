#include "gofer/common/clock.h"

#include <catch2/catch.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

}  // namespace

TEST_CASE("FakeClock starts at the time it is given") {
  gofer::FakeClock clock(kStart);
  CHECK(clock.Now() == kStart);
  CHECK(clock.Now() == kStart);  // Reading the clock does not move it.
}

TEST_CASE("FakeClock starts at 2026-01-01T00:00:00Z by default") {
  gofer::FakeClock clock;
  CHECK(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock.Now(), absl::UTCTimeZone()) ==
        "2026-01-01T00:00:00Z");
}

TEST_CASE("FakeClock Advance moves the time forward by the duration") {
  gofer::FakeClock clock(kStart);
  clock.Advance(absl::Seconds(5));
  CHECK(clock.Now() == kStart + absl::Seconds(5));
  clock.Advance(absl::Milliseconds(250));
  CHECK(clock.Now() == kStart + absl::Milliseconds(5250));
}

TEST_CASE("FakeClock ignores a negative Advance") {
  gofer::FakeClock clock(kStart);
  clock.Advance(absl::Seconds(10));
  clock.Advance(absl::Seconds(-3));
  CHECK(clock.Now() == kStart + absl::Seconds(10));
}

TEST_CASE("FakeClock Set jumps to the given time, backwards too") {
  gofer::FakeClock clock(kStart);
  const absl::Time later = kStart + absl::Hours(3);
  clock.Set(later);
  CHECK(clock.Now() == later);
  const absl::Time earlier = kStart - absl::Hours(1);
  clock.Set(earlier);
  CHECK(clock.Now() == earlier);
  clock.Advance(absl::Minutes(1));
  CHECK(clock.Now() == earlier + absl::Minutes(1));
}

TEST_CASE("SystemClock::Get tells the real time and is one shared instance") {
  gofer::Clock& clock = gofer::SystemClock::Get();
  CHECK(&clock == &gofer::SystemClock::Get());
  const absl::Time before = absl::Now();
  const absl::Time now = clock.Now();
  const absl::Time after = absl::Now();
  // Bracketed by two reads of the same source, so no tolerance is needed.
  CHECK(before <= now);
  CHECK(now <= after);
}
