#include "gofer/pipeline/resources.h"

#include <fmt/format.h>

#include <array>
#include <limits>
#include <optional>
#include <string>

#include "absl/numeric/int128.h"

namespace gofer::pipeline {
namespace {

// A decimal number split at its point: "12.50" → {"12", "50"}.
struct Decimal {
  std::string_view whole;
  std::string_view fraction;
};

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// Splits "12.5" into its digits; nullopt unless it is digits with at most one '.' and a digit
// on at least one side of the point.
std::optional<Decimal> SplitDecimal(std::string_view s) {
  Decimal d{s, {}};
  if (const size_t dot = s.find('.'); dot != std::string_view::npos) {
    d.whole = s.substr(0, dot);
    d.fraction = s.substr(dot + 1);
  }
  if ((d.whole.empty() && d.fraction.empty()) || !AllDigits(d.whole) || !AllDigits(d.fraction)) {
    return std::nullopt;
  }
  return d;
}

// The value of `d` × `multiplier` when it is a whole number that fits int64: "digits" is the
// number without its point, scaled back by 10^|fraction|.
absl::StatusOr<int64_t> Scale(const Decimal& d, uint64_t multiplier, std::string_view what,
                              std::string_view text, std::string_view unit) {
  const absl::uint128 kMax = std::numeric_limits<int64_t>::max();
  if (d.whole.size() + d.fraction.size() > 19 || d.fraction.size() > 18) {
    return absl::InvalidArgumentError(fmt::format("{} \"{}\" is too large", what, text));
  }
  absl::uint128 digits = 0;
  absl::uint128 divisor = 1;
  for (char c : d.whole) {
    digits = digits * 10 + (c - '0');
  }
  for (char c : d.fraction) {
    digits = digits * 10 + (c - '0');
    divisor *= 10;
  }
  const absl::uint128 scaled = digits * multiplier;  // < 10^19 · 2^60: fits 128 bits.
  if (scaled % divisor != 0) {
    return absl::InvalidArgumentError(
        fmt::format("{} \"{}\" is not a whole number of {}", what, text, unit));
  }
  if (scaled / divisor > kMax) {
    return absl::InvalidArgumentError(fmt::format("{} \"{}\" is too large", what, text));
  }
  return static_cast<int64_t>(absl::Uint128Low64(scaled / divisor));
}

struct Suffix {
  std::string_view name;
  uint64_t multiplier;
};

// Binary suffixes first so "Mi" is not read as "M" followed by junk.
constexpr std::array<Suffix, 12> kMemorySuffixes = {{
    {"Ki", uint64_t{1} << 10},
    {"Mi", uint64_t{1} << 20},
    {"Gi", uint64_t{1} << 30},
    {"Ti", uint64_t{1} << 40},
    {"Pi", uint64_t{1} << 50},
    {"Ei", uint64_t{1} << 60},
    {"k", 1'000},
    {"M", 1'000'000},
    {"G", 1'000'000'000},
    {"T", 1'000'000'000'000},
    {"P", 1'000'000'000'000'000},
    {"E", 1'000'000'000'000'000'000},
}};

}  // namespace

absl::StatusOr<int64_t> ParseCpuMillis(std::string_view cpu) {
  const auto invalid = [cpu] {
    return absl::InvalidArgumentError(fmt::format(
        "cpu \"{}\" is not a number of cores (\"0.5\", \"2\") or millicores (\"500m\")", cpu));
  };
  if (!cpu.empty() && cpu.back() == 'm') {
    const std::string_view number = cpu.substr(0, cpu.size() - 1);
    if (number.empty() || !AllDigits(number)) {
      return invalid();
    }
    return Scale(Decimal{number, {}}, 1, "cpu", cpu, "millicores");
  }
  const std::optional<Decimal> d = SplitDecimal(cpu);
  if (!d.has_value()) {
    return invalid();
  }
  if (d->fraction.size() > 3) {
    return absl::InvalidArgumentError(
        fmt::format("cpu \"{}\" is finer than 1 millicore (0.001)", cpu));
  }
  return Scale(*d, 1000, "cpu", cpu, "millicores");
}

absl::StatusOr<int64_t> ParseMemoryBytes(std::string_view memory) {
  std::string_view number = memory;
  uint64_t multiplier = 1;
  for (const Suffix& s : kMemorySuffixes) {
    if (number.size() > s.name.size() && number.ends_with(s.name)) {
      number.remove_suffix(s.name.size());
      multiplier = s.multiplier;
      break;
    }
  }
  const std::optional<Decimal> d = SplitDecimal(number);
  if (!d.has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("memory \"{}\" is not a number of bytes with an optional suffix "
                    "(\"1048576\", \"512Mi\", \"1Gi\", \"500M\")",
                    memory));
  }
  return Scale(*d, multiplier, "memory", memory, "bytes");
}

}  // namespace gofer::pipeline
