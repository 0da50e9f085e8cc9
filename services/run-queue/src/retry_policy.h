// Retries of task attempts (F-RUN-6): given how an attempt ended, its number and the task's
// policy, whether to run another attempt (after a backoff delay) or what the task's final status
// and reason are. Infrastructure failures are retried by default; user failures (non-zero exit,
// OOM) only with `on: any`; timeouts, cancellations and failed preconditions never.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "run_plan.h"
#include "states.h"

namespace gofer::run_queue {

// How an attempt ended, as the orchestrator learnt it from the scheduler or decided it.
enum class AttemptEnd {
  kExited,              // the container exited by itself: exit_code and oom_killed say how
  kInfrastructure,      // lost to the infrastructure: `cause` says how
  kTimeout,             // stopped because a task, run or global timeout was reached
  kCancelled,           // stopped, or never started, because of a cancellation
  kFailedPrecondition,  // could not start: a secret or object to resolve was missing
};

// Which part of the infrastructure failed an attempt.
enum class InfrastructureCause {
  kSchedulerUnreachable,  // the scheduler did not answer (after its own transient retries)
  kImagePullFailed,       // the image could not be pulled
  kNodeLost,              // the node or container vanished under the attempt
  kLeaseLost,             // the run's lease lapsed and the attempt's outcome cannot be known
};

// A finished attempt.
struct AttemptResult {
  AttemptEnd end = AttemptEnd::kExited;
  // The container's exit code, when it exited (kExited; also kept for others when known).
  std::optional<int> exit_code;
  // The kernel killed the container for exceeding its memory limit (kExited).
  bool oom_killed = false;
  // With kInfrastructure.
  InfrastructureCause cause = InfrastructureCause::kSchedulerUnreachable;
  // What the scheduler or orchestrator said ("pull access denied for x", the timeout's reason
  // description), shown in the status reason; never holds secrets.
  std::string detail;
};

// Backoff between attempts: initial × multiplier^(attempt−1), capped at `max`, then reduced by up
// to `jitter` of itself at random, so attempts of many tasks failing together spread out.
struct BackoffOptions {
  absl::Duration initial = absl::Seconds(1);
  double multiplier = 2.0;
  absl::Duration max = absl::Minutes(1);
  // In [0, 1]: the delay is uniformly distributed in [base × (1 − jitter), base].
  double jitter = 0.5;
};

// A source of uniformly distributed numbers, injected so tests control the jitter.
class RandomSource {
 public:
  virtual ~RandomSource() = default;

  // A number in [0, 1). Thread-safety is the implementation's.
  virtual double NextUnit() = 0;
};

// A RandomSource over a seeded std::mt19937_64. Thread-safe.
class SeededRandomSource final : public RandomSource {
 public:
  explicit SeededRandomSource(uint64_t seed) : engine_(seed) {}

  double NextUnit() override;

 private:
  absl::Mutex mu_;
  std::mt19937_64 engine_ ABSL_GUARDED_BY(mu_);
};

// What to do after an attempt.
struct RetryDecision {
  // The finished attempt's number, status and reason, as its attempt record keeps them. When no
  // retry follows, they are the task's final status and reason too.
  int attempt = 1;
  TaskStatus status = TaskStatus::kNone;
  StatusReason reason;
  // Whether another attempt runs: the task goes back to waiting with attempt `next_attempt`
  // (attempt + 1) and is dispatched no earlier than `delay` from now.
  bool retry = false;
  int next_attempt = 0;
  absl::Duration delay = absl::ZeroDuration();
};

// Decides after attempt number `attempt` (1-based; smaller values count as 1) of a task with
// `policy`:
//   - kExited with code 0 and not OOM-killed: successful, no reason;
//   - kExited otherwise: failed with kOomKilled (oom_killed) or kAbnormalExit (non-zero or
//     missing code) — a user failure, retried while attempt < policy.UserFailureAttempts();
//   - kInfrastructure: failed with kSchedulerError (scheduler unreachable) or kInfrastructure
//     (image pull, node lost, lease lost), retried while attempt < policy.InfrastructureAttempts();
//   - kTimeout: failed/kTimeout; kCancelled: cancelled/kCancelled; kFailedPrecondition:
//     failed/kFailedPrecondition — never retried.
// Descriptions of retryable failures end with "(attempt N of M)". The delay is
// BackoffDelay(attempt, ...). Never fails. Thread-safe if `random` is.
RetryDecision DecideRetry(const AttemptResult& result, int attempt, const RetryPolicy& policy,
                          const BackoffOptions& backoff, RandomSource& random);

// The delay before the attempt after `attempt` (see BackoffOptions): attempt 1 → about
// `initial`, doubling by default, never more than `max`. Draws one number from `random`.
absl::Duration BackoffDelay(int attempt, const BackoffOptions& backoff, RandomSource& random);

}  // namespace gofer::run_queue
