#include "gofer/pipeline/resources.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "gofer/testing/status.h"

namespace {

struct Case {
  std::string text;
  int64_t expected;
};

}  // namespace

TEST_CASE("ParseCpuMillis reads cores and millicores") {
  const std::vector<Case> cases = {
      {"2", 2000},   {"0.5", 500},
      {"500m", 500}, {"1.25", 1250},
      {".5", 500},   {"0.001", 1},
      {"1m", 1},     {"0", 0},
      {"3.", 3000},  {"9223372036854775m", 9223372036854775},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const auto parsed = gofer::pipeline::ParseCpuMillis(c.text);
    GOFER_REQUIRE_OK(parsed);
    CHECK(*parsed == c.expected);
  }
}

TEST_CASE("ParseCpuMillis rejects anything else") {
  for (const std::string text : {"", "m", "-1", "+1", "1e3", "0.0005", "1.5m", " 1", "1 ", "1c",
                                 ".", "1..2", "99999999999999999999", "9223372036854776"}) {
    INFO(text);
    GOFER_REQUIRE_CODE(gofer::pipeline::ParseCpuMillis(text), absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("ParseMemoryBytes reads bytes with decimal and binary suffixes") {
  const std::vector<Case> cases = {
      {"1048576", 1048576},
      {"500M", 500'000'000},
      {"512Mi", 512LL << 20},
      {"1Gi", 1LL << 30},
      {"1.5Gi", 1610612736},
      {"2k", 2000},
      {"1Ki", 1024},
      {"3T", 3'000'000'000'000},
      {"1Ti", 1LL << 40},
      {"2Pi", 2LL << 50},
      {"7Ei", 7LL << 60},
      {"9E", 9'000'000'000'000'000'000},
      {"0", 0},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const auto parsed = gofer::pipeline::ParseMemoryBytes(c.text);
    GOFER_REQUIRE_OK(parsed);
    CHECK(*parsed == c.expected);
  }
}

TEST_CASE("ParseMemoryBytes rejects anything else") {
  for (const std::string text : {"", "Gi", "1Gb", "1K", "1m", "-1", "1e6", "0.1Ki", "1.5", "8Ei",
                                 "10E", " 1Gi", "1 Gi", "1gi"}) {
    INFO(text);
    GOFER_REQUIRE_CODE(gofer::pipeline::ParseMemoryBytes(text), absl::StatusCode::kInvalidArgument);
  }
}
