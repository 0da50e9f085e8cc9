// Identifier generation seam: request ids, error ids, upload ids, replica ids.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "gofer/common/clock.h"

namespace gofer {

// Makes unique identifiers. Implementations are thread-safe.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;

  // Returns a new identifier, unique for the lifetime of the system.
  virtual std::string NewId() = 0;
};

// RFC 9562 UUIDv7 strings ("0190f3d2-8c1e-7a4b-9f3e-1c2d3e4f5a6b"): 48 bits of Unix
// milliseconds then 74 random bits from OpenSSL's CSPRNG, so ids sort by creation time and
// cannot be guessed. Ids made by one generator within the same millisecond are made strictly
// increasing by bumping the random part.
class UuidV7Generator final : public IdGenerator {
 public:
  // `clock` must outlive the generator.
  explicit UuidV7Generator(const Clock& clock = SystemClock::Get()) : clock_(clock) {}

  std::string NewId() override;

 private:
  const Clock& clock_;
  absl::Mutex mu_;
  uint64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_rand_hi_ ABSL_GUARDED_BY(mu_) = 0;  // 12 bits (rand_a)
  uint64_t last_rand_lo_ ABSL_GUARDED_BY(mu_) = 0;  // 62 bits (rand_b)
};

// Predictable ids for tests: "<prefix>-000001", "<prefix>-000002", ...
class SequentialIdGenerator final : public IdGenerator {
 public:
  explicit SequentialIdGenerator(std::string prefix = "id") : prefix_(std::move(prefix)) {}

  std::string NewId() override;

 private:
  const std::string prefix_;
  std::atomic<uint64_t> next_{1};
};

// Fills `size` bytes from OpenSSL's CSPRNG; aborts the process if the CSPRNG fails (it
// cannot on a working system, and continuing with weak randomness would be worse).
std::string SecureRandomBytes(size_t size);

}  // namespace gofer
