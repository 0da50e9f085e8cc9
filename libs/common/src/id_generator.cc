#include "gofer/common/id_generator.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace gofer {

std::string SecureRandomBytes(size_t size) {
  std::string out(size, '\0');
  if (size > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) != 1) {
    std::fputs("gofer: OpenSSL RAND_bytes failed; refusing to continue\n", stderr);
    std::abort();
  }
  return out;
}

std::string UuidV7Generator::NewId() {
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  const std::string random = SecureRandomBytes(10);
  uint64_t rand_hi =
      (static_cast<uint8_t>(random[0]) << 8 | static_cast<uint8_t>(random[1])) & 0xFFF;
  uint64_t rand_lo = 0;
  for (int i = 2; i < 10; ++i) {
    rand_lo = (rand_lo << 8) | static_cast<uint8_t>(random[i]);
  }
  rand_lo &= (uint64_t{1} << 62) - 1;
  uint64_t ms = now_ms < 0 ? 0 : static_cast<uint64_t>(now_ms);
  {
    absl::MutexLock lock(&mu_);
    if (ms <= last_ms_) {
      // Same (or an earlier) millisecond: keep the order by counting up from the last id.
      ms = last_ms_;
      rand_hi = last_rand_hi_;
      rand_lo = last_rand_lo_ + 1;
      if (rand_lo >> 62) {
        rand_lo = 0;
        if (++rand_hi > 0xFFF) {
          rand_hi = 0;
          ++ms;
        }
      }
    }
    last_ms_ = ms;
    last_rand_hi_ = rand_hi;
    last_rand_lo_ = rand_lo;
  }
  const uint64_t hi = (ms & 0xFFFFFFFFFFFF) << 16 | 0x7000 | rand_hi;
  const uint64_t lo = uint64_t{0x8000000000000000} | rand_lo;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                         lo >> 48, lo & 0xFFFFFFFFFFFF);
}

std::string SequentialIdGenerator::NewId() {
  return absl::StrFormat("%s-%06d", prefix_, next_.fetch_add(1));
}

}  // namespace gofer
