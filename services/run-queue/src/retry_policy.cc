#include "retry_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace gofer::run_queue {
namespace {

// The status and reason of a finished attempt, and the retry budget that applies to it (0: the
// failure is never retried).
struct Classified {
  TaskStatus status;
  StatusReason reason;
  int attempts_allowed;
};

std::string_view CauseText(InfrastructureCause cause) {
  switch (cause) {
    case InfrastructureCause::kSchedulerUnreachable:
      return "the scheduler was unreachable";
    case InfrastructureCause::kImagePullFailed:
      return "the image could not be pulled";
    case InfrastructureCause::kNodeLost:
      return "the node or container was lost";
    case InfrastructureCause::kLeaseLost:
      return "the run's lease was lost";
  }
  return "the infrastructure failed";
}

std::string WithDetail(std::string_view text, const std::string& detail) {
  return detail.empty() ? std::string(text) : fmt::format("{}: {}", text, detail);
}

Classified ClassifyExit(const AttemptResult& result, const RetryPolicy& policy) {
  const int allowed = policy.UserFailureAttempts();
  if (result.oom_killed) {
    return {TaskStatus::kFailed,
            {ReasonKind::kOomKilled, "the container was killed for exceeding its memory limit"},
            allowed};
  }
  if (!result.exit_code.has_value()) {
    return {TaskStatus::kFailed,
            {ReasonKind::kAbnormalExit, "the container exited without an exit code"},
            allowed};
  }
  if (*result.exit_code == 0) {
    return {TaskStatus::kSuccessful, {}, 0};
  }
  return {TaskStatus::kFailed,
          {ReasonKind::kAbnormalExit, fmt::format("exited with code {}", *result.exit_code)},
          allowed};
}

Classified Classify(const AttemptResult& result, const RetryPolicy& policy) {
  switch (result.end) {
    case AttemptEnd::kExited:
      return ClassifyExit(result, policy);
    case AttemptEnd::kInfrastructure: {
      const ReasonKind kind = result.cause == InfrastructureCause::kSchedulerUnreachable
                                  ? ReasonKind::kSchedulerError
                                  : ReasonKind::kInfrastructure;
      return {TaskStatus::kFailed,
              {kind, WithDetail(CauseText(result.cause), result.detail)},
              policy.InfrastructureAttempts()};
    }
    case AttemptEnd::kTimeout:
      return {
          TaskStatus::kFailed, {ReasonKind::kTimeout, WithDetail("timed out", result.detail)}, 0};
    case AttemptEnd::kCancelled:
      return {TaskStatus::kCancelled,
              {ReasonKind::kCancelled, WithDetail("cancelled", result.detail)},
              0};
    case AttemptEnd::kFailedPrecondition:
      return {TaskStatus::kFailed,
              {ReasonKind::kFailedPrecondition,
               WithDetail("the task could not be started", result.detail)},
              0};
  }
  return {TaskStatus::kFailed, {ReasonKind::kSchedulerError, "unknown attempt end"}, 0};
}

}  // namespace

double SeededRandomSource::NextUnit() {
  absl::MutexLock lock(&mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
}

absl::Duration BackoffDelay(int attempt, const BackoffOptions& backoff, RandomSource& random) {
  absl::Duration base = backoff.initial;
  for (int i = 1; i < std::min(attempt, kMaxAttempts) && base < backoff.max; ++i) {
    base = base * backoff.multiplier;
  }
  base = std::min(base, backoff.max);
  const double jitter = std::clamp(backoff.jitter, 0.0, 1.0);
  const double unit = std::clamp(random.NextUnit(), 0.0, 1.0);
  return std::max(absl::ZeroDuration(), base * (1.0 - jitter * unit));
}

RetryDecision DecideRetry(const AttemptResult& result, int attempt, const RetryPolicy& policy,
                          const BackoffOptions& backoff, RandomSource& random) {
  attempt = std::max(attempt, 1);
  Classified c = Classify(result, policy);
  RetryDecision decision;
  decision.attempt = attempt;
  decision.status = c.status;
  if (c.attempts_allowed > 1) {
    c.reason.description +=
        fmt::format(" (attempt {} of {})", attempt, std::max(attempt, c.attempts_allowed));
  }
  decision.reason = std::move(c.reason);
  if (c.status != TaskStatus::kSuccessful && attempt < c.attempts_allowed) {
    decision.retry = true;
    decision.next_attempt = attempt + 1;
    decision.delay = BackoffDelay(attempt, backoff, random);
  }
  return decision;
}

}  // namespace gofer::run_queue
