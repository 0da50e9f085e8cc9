// ChooseRunVersion: which live config version a new run executes, with and without a running
// canary.
#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <vector>

#include "gofer/common/errors.h"
#include "gofer/testing/status.h"
#include "run_forwarding.h"

namespace gofer::api_gateway {
namespace {

constexpr CanarySplit kCanary{.stable_version = 3, .canary_version = 4, .weight_percent = 30};

}  // namespace

TEST_CASE("ChooseRunVersion refuses a pipeline with no live version") {
  const auto chosen = ChooseRunVersion({}, std::nullopt, 0.5);
  GOFER_REQUIRE_CODE(chosen, absl::StatusCode::kFailedPrecondition);
  CHECK(GetErrorDetails(chosen.status()).reason == "FAILED_PRECONDITION");
  // A canary that names versions does not make up for nothing being live.
  GOFER_REQUIRE_CODE(ChooseRunVersion({}, kCanary, 0.0), absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("ChooseRunVersion picks the only live version") {
  for (const double unit : {0.0, 0.5, 0.999}) {
    INFO(unit);
    const auto chosen = ChooseRunVersion({7}, std::nullopt, unit);
    GOFER_REQUIRE_OK(chosen);
    CHECK(*chosen == 7);
  }
}

TEST_CASE("ChooseRunVersion picks the newest live version without a canary") {
  const auto chosen = ChooseRunVersion({2, 5, 3}, std::nullopt, 0.0);
  GOFER_REQUIRE_OK(chosen);
  CHECK(*chosen == 5);
}

TEST_CASE("ChooseRunVersion sends a unit below the canary's weight to the canary") {
  const std::vector<int64_t> live{3, 4};
  for (const double unit : {0.0, 0.1, 0.29, 0.2999}) {
    INFO(unit);
    const auto chosen = ChooseRunVersion(live, kCanary, unit);
    GOFER_REQUIRE_OK(chosen);
    CHECK(*chosen == 4);
  }
  for (const double unit : {0.30, 0.3001, 0.5, 0.9999}) {
    INFO(unit);
    const auto chosen = ChooseRunVersion(live, kCanary, unit);
    GOFER_REQUIRE_OK(chosen);
    CHECK(*chosen == 3);
  }
}

TEST_CASE("ChooseRunVersion splits exactly at the weight, where unit times 100 would round") {
  // 0.57 * 100 is 56.99999999999999 in doubles; 0.57 is not below 57%, so it stays stable.
  for (const int weight : {1, 7, 29, 57, 58, 99}) {
    INFO(weight);
    const CanarySplit split{.stable_version = 1, .canary_version = 2, .weight_percent = weight};
    const double edge = weight / 100.0;
    const auto at = ChooseRunVersion({1, 2}, split, edge);
    GOFER_REQUIRE_OK(at);
    CHECK(*at == 1);
    const auto below = ChooseRunVersion({1, 2}, split, std::nextafter(edge, 0.0));
    GOFER_REQUIRE_OK(below);
    CHECK(*below == 2);
  }
}

TEST_CASE("ChooseRunVersion honours the weight's extremes") {
  CanarySplit all = kCanary;
  all.weight_percent = 100;
  CanarySplit none = kCanary;
  none.weight_percent = 0;
  for (const double unit : {0.0, 0.5, 0.9999999}) {
    INFO(unit);
    CHECK(*ChooseRunVersion({3, 4}, all, unit) == 4);
    CHECK(*ChooseRunVersion({3, 4}, none, unit) == 3);
  }
}

TEST_CASE("ChooseRunVersion ignores a canary whose version is no longer live") {
  // Rolled back (or promoted) between reading the deployment and the live versions: the newest
  // live version wins, whatever the unit.
  for (const double unit : {0.0, 0.99}) {
    INFO(unit);
    const auto chosen = ChooseRunVersion({2, 3}, kCanary, unit);
    GOFER_REQUIRE_OK(chosen);
    CHECK(*chosen == 3);
  }
}

}  // namespace gofer::api_gateway
