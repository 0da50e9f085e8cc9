#include "gofer/common/id_generator.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gofer/common/clock.h"

namespace {

constexpr int kMany = 10000;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The 48-bit Unix-millisecond prefix of a UUIDv7 string (its first 12 hex digits).
uint64_t TimestampOf(const std::string& id) {
  uint64_t ms = 0;
  REQUIRE(absl::SimpleHexAtoi(absl::StrCat(id.substr(0, 8), id.substr(9, 4)), &ms));
  return ms;
}

}  // namespace

TEST_CASE("UuidV7Generator makes RFC 9562 version 7 strings") {
  gofer::UuidV7Generator generator;
  for (int i = 0; i < 100; ++i) {
    const std::string id = generator.NewId();
    INFO(id);
    REQUIRE(id.size() == 36);
    for (size_t pos = 0; pos < id.size(); ++pos) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
        CHECK(id[pos] == '-');
      } else {
        CHECK(IsLowerHex(id[pos]));
      }
    }
    CHECK(id[14] == '7');                                          // version nibble
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);  // variant 10xx
  }
}

TEST_CASE("UuidV7Generator ids increase strictly while the clock stands still") {
  gofer::FakeClock clock;
  gofer::UuidV7Generator generator(clock);
  std::string previous = generator.NewId();
  for (int i = 1; i < kMany; ++i) {
    const std::string id = generator.NewId();
    if (!(previous < id)) {
      FAIL("id " << i << " " << id << " does not sort after " << previous);
    }
    previous = id;
  }
}

TEST_CASE("UuidV7Generator ids keep increasing when the clock goes backwards") {
  gofer::FakeClock clock;
  gofer::UuidV7Generator generator(clock);
  const std::string first = generator.NewId();
  clock.Set(clock.Now() - absl::Seconds(30));
  const std::string second = generator.NewId();
  CHECK(first < second);
}

TEST_CASE("UuidV7Generator makes 10000 distinct ids") {
  gofer::FakeClock clock;
  gofer::UuidV7Generator generator(clock);
  std::unordered_set<std::string> seen;
  for (int i = 0; i < kMany; ++i) {
    seen.insert(generator.NewId());
    if (i % 100 == 99) {
      clock.Advance(absl::Milliseconds(1));
    }
  }
  CHECK(seen.size() == kMany);
}

TEST_CASE("UuidV7Generator ids start with the clock's Unix milliseconds") {
  gofer::FakeClock clock(absl::FromUnixMillis(1'767'225'600'123));
  gofer::UuidV7Generator generator(clock);
  const std::string first = generator.NewId();
  CHECK(TimestampOf(first) == 1'767'225'600'123u);
  CHECK(first.substr(0, 13) == "019b76da-a87b");

  clock.Advance(absl::Milliseconds(877));
  const std::string later = generator.NewId();
  CHECK(TimestampOf(later) == 1'767'225'601'000u);
  CHECK(first < later);
}

TEST_CASE("UuidV7Generator ids from two generators differ in their random part") {
  gofer::FakeClock clock;
  gofer::UuidV7Generator a(clock);
  gofer::UuidV7Generator b(clock);
  const std::string id_a = a.NewId();
  const std::string id_b = b.NewId();
  CHECK(id_a.substr(0, 13) == id_b.substr(0, 13));
  CHECK(id_a != id_b);
}

TEST_CASE("SequentialIdGenerator counts up from one with six digits") {
  gofer::SequentialIdGenerator generator("p");
  CHECK(generator.NewId() == "p-000001");
  CHECK(generator.NewId() == "p-000002");
  CHECK(generator.NewId() == "p-000003");
  gofer::SequentialIdGenerator fresh;
  CHECK(fresh.NewId() == "id-000001");
}

TEST_CASE("SecureRandomBytes returns the requested number of bytes") {
  CHECK(gofer::SecureRandomBytes(0).empty());
  CHECK(gofer::SecureRandomBytes(1).size() == 1);
  CHECK(gofer::SecureRandomBytes(32).size() == 32);
  CHECK(gofer::SecureRandomBytes(1000).size() == 1000);
}

TEST_CASE("SecureRandomBytes returns different bytes on each call") {
  const std::string a = gofer::SecureRandomBytes(32);
  const std::string b = gofer::SecureRandomBytes(32);
  CHECK(a != b);
  CHECK(a != std::string(32, '\0'));
}
