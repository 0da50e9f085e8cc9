#include "retry_policy.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "run_queue_fakes.h"

namespace gofer::run_queue {
namespace {

using testing::FixedRandomSource;

AttemptResult Exited(int code, bool oom = false) {
  AttemptResult r;
  r.exit_code = code;
  r.oom_killed = oom;
  return r;
}

AttemptResult Infra(InfrastructureCause cause, std::string detail = "") {
  AttemptResult r;
  r.end = AttemptEnd::kInfrastructure;
  r.cause = cause;
  r.detail = std::move(detail);
  return r;
}

AttemptResult Ended(AttemptEnd end, std::string detail = "") {
  AttemptResult r;
  r.end = end;
  r.detail = std::move(detail);
  return r;
}

const RetryPolicy kDefault;                  // 3 attempts, on infrastructure
const RetryPolicy kOnAny{4, RetryOn::kAny};  // 4 attempts, any failure
const RetryPolicy kNoRetries{1, RetryOn::kInfrastructure};

TEST_CASE("Retry decisions follow the policy table") {
  struct Row {
    std::string what;
    AttemptResult result;
    int attempt;
    RetryPolicy policy;
    bool retry;
    TaskStatus status;
    ReasonKind kind;
  };
  const auto node_lost = Infra(InfrastructureCause::kNodeLost);
  const auto unreachable = Infra(InfrastructureCause::kSchedulerUnreachable);
  const std::vector<Row> table = {
      {"success", Exited(0), 1, kDefault, false, TaskStatus::kSuccessful, ReasonKind::kNone},
      {"success on any", Exited(0), 1, kOnAny, false, TaskStatus::kSuccessful, ReasonKind::kNone},
      {"infra, attempt 1 of 3", node_lost, 1, kDefault, true, TaskStatus::kFailed,
       ReasonKind::kInfrastructure},
      {"infra, attempt 2 of 3", node_lost, 2, kDefault, true, TaskStatus::kFailed,
       ReasonKind::kInfrastructure},
      {"infra, attempt 3 of 3", node_lost, 3, kDefault, false, TaskStatus::kFailed,
       ReasonKind::kInfrastructure},
      {"scheduler unreachable", unreachable, 1, kDefault, true, TaskStatus::kFailed,
       ReasonKind::kSchedulerError},
      {"scheduler unreachable, last", unreachable, 3, kDefault, false, TaskStatus::kFailed,
       ReasonKind::kSchedulerError},
      {"infra, retries off", node_lost, 1, kNoRetries, false, TaskStatus::kFailed,
       ReasonKind::kInfrastructure},
      {"infra on any, attempt 3 of 4", node_lost, 3, kOnAny, true, TaskStatus::kFailed,
       ReasonKind::kInfrastructure},
      {"exit 1 by default", Exited(1), 1, kDefault, false, TaskStatus::kFailed,
       ReasonKind::kAbnormalExit},
      {"exit 1 on any", Exited(1), 1, kOnAny, true, TaskStatus::kFailed, ReasonKind::kAbnormalExit},
      {"exit 1 on any, last", Exited(1), 4, kOnAny, false, TaskStatus::kFailed,
       ReasonKind::kAbnormalExit},
      {"OOM by default", Exited(137, true), 1, kDefault, false, TaskStatus::kFailed,
       ReasonKind::kOomKilled},
      {"OOM on any", Exited(137, true), 2, kOnAny, true, TaskStatus::kFailed,
       ReasonKind::kOomKilled},
      {"timeout on any", Ended(AttemptEnd::kTimeout), 1, kOnAny, false, TaskStatus::kFailed,
       ReasonKind::kTimeout},
      {"cancelled on any", Ended(AttemptEnd::kCancelled), 1, kOnAny, false, TaskStatus::kCancelled,
       ReasonKind::kCancelled},
      {"failed precondition on any", Ended(AttemptEnd::kFailedPrecondition), 1, kOnAny, false,
       TaskStatus::kFailed, ReasonKind::kFailedPrecondition},
  };
  FixedRandomSource random(0.0);
  for (const Row& row : table) {
    INFO(row.what);
    const RetryDecision d = DecideRetry(row.result, row.attempt, row.policy, {}, random);
    CHECK(d.attempt == row.attempt);
    CHECK(d.retry == row.retry);
    CHECK(d.status == row.status);
    CHECK(d.reason.kind == row.kind);
    CHECK(d.next_attempt == (row.retry ? row.attempt + 1 : 0));
  }
}

TEST_CASE("Infrastructure failures are retried by default until the third attempt") {
  FixedRandomSource random(0.0);
  const AttemptResult pull = Infra(InfrastructureCause::kImagePullFailed, "manifest unknown");
  int attempt = 1;
  RetryDecision d = DecideRetry(pull, attempt, kDefault, {}, random);
  while (d.retry) {
    CHECK(d.next_attempt == attempt + 1);
    attempt = d.next_attempt;
    d = DecideRetry(pull, attempt, kDefault, {}, random);
  }
  CHECK(attempt == kDefaultAttempts);
  CHECK(d.status == TaskStatus::kFailed);
  CHECK(d.reason ==
        StatusReason{ReasonKind::kInfrastructure,
                     "the image could not be pulled: manifest unknown (attempt 3 of 3)"});
}

TEST_CASE("User failures are retried only when the task asks for any failure") {
  FixedRandomSource random(0.0);
  const RetryDecision by_default = DecideRetry(Exited(2), 1, kDefault, {}, random);
  CHECK_FALSE(by_default.retry);
  CHECK(by_default.reason == StatusReason{ReasonKind::kAbnormalExit, "exited with code 2"});

  const RetryDecision on_any = DecideRetry(Exited(2), 1, kOnAny, {}, random);
  CHECK(on_any.retry);
  CHECK(on_any.reason.description == "exited with code 2 (attempt 1 of 4)");
}

TEST_CASE("An exit without a code is an abnormal exit") {
  FixedRandomSource random(0.0);
  const RetryDecision d = DecideRetry(AttemptResult{}, 1, kDefault, {}, random);
  CHECK(d.status == TaskStatus::kFailed);
  CHECK(d.reason.kind == ReasonKind::kAbnormalExit);
}

TEST_CASE("Timeouts, cancellations and failed preconditions are never retried") {
  FixedRandomSource random(0.0);
  const RetryPolicy most{kMaxAttempts, RetryOn::kAny};
  for (AttemptEnd end :
       {AttemptEnd::kTimeout, AttemptEnd::kCancelled, AttemptEnd::kFailedPrecondition}) {
    CHECK_FALSE(DecideRetry(Ended(end), 1, most, {}, random).retry);
  }
  CHECK(DecideRetry(Ended(AttemptEnd::kCancelled, "cancelled by alice"), 1, most, {}, random)
            .reason == StatusReason{ReasonKind::kCancelled, "cancelled: cancelled by alice"});
}

TEST_CASE("Backoff grows exponentially up to its cap") {
  FixedRandomSource no_jitter(0.0);
  const BackoffOptions backoff{absl::Seconds(1), 2.0, absl::Seconds(10), 0.5};
  CHECK(BackoffDelay(1, backoff, no_jitter) == absl::Seconds(1));
  CHECK(BackoffDelay(2, backoff, no_jitter) == absl::Seconds(2));
  CHECK(BackoffDelay(3, backoff, no_jitter) == absl::Seconds(4));
  CHECK(BackoffDelay(4, backoff, no_jitter) == absl::Seconds(8));
  CHECK(BackoffDelay(5, backoff, no_jitter) == absl::Seconds(10));
  CHECK(BackoffDelay(10, backoff, no_jitter) == absl::Seconds(10));
}

TEST_CASE("Backoff jitter from the random source shortens the delay by up to its fraction") {
  const BackoffOptions backoff{absl::Seconds(1), 2.0, absl::Seconds(10), 0.5};
  FixedRandomSource half(0.5);
  CHECK(BackoffDelay(3, backoff, half) == absl::Seconds(3));  // 4s × (1 − 0.5 × 0.5)
  FixedRandomSource almost_one(0.999999);
  CHECK(BackoffDelay(5, backoff, almost_one) > absl::Seconds(5) - absl::Milliseconds(1));
  CHECK(BackoffDelay(5, backoff, almost_one) <= absl::Seconds(10));

  FixedRandomSource random(0.5);
  const RetryDecision d =
      DecideRetry(Infra(InfrastructureCause::kLeaseLost), 2, kDefault, backoff, random);
  REQUIRE(d.retry);
  CHECK(d.delay == absl::Milliseconds(1500));  // 2s × 0.75
}

TEST_CASE("A seeded random source draws reproducible numbers from 0 up to but excluding 1") {
  SeededRandomSource a(42);
  SeededRandomSource b(42);
  for (int i = 0; i < 100; ++i) {
    const double x = a.NextUnit();
    CHECK(x >= 0.0);
    CHECK(x < 1.0);
    CHECK(x == b.NextUnit());
  }
}

}  // namespace
}  // namespace gofer::run_queue
