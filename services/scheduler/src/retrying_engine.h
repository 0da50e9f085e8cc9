// Retries of transient engine failures. A ContainerEngine decorator: every call that fails
// UNAVAILABLE is tried again after an exponential backoff until it succeeds, fails otherwise,
// or the policy's attempts or time budget run out; then the caller gets UNAVAILABLE (reason
// DEPENDENCY_UNAVAILABLE) naming the attempts and the last error.
//
// Start is retried too: DockerEngine and LocalEngine make a repeated start of the same name
// either finish the earlier, unstarted attempt or fail ALREADY_EXISTS, so no task runs twice.
// Exec is not retried (a command may have run); Watch needs no retry.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "container_engine.h"
#include "gofer/common/clock.h"

namespace gofer::scheduler {

struct RetryPolicy {
  // Attempts in all, the first included (1 disables retries).
  int max_attempts = 5;
  // The pause before the first retry; each next pause doubles, up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // No retry starts once this much time has passed since the first attempt.
  absl::Duration max_elapsed = absl::Seconds(30);
};

// The pause before retry number `retry` (1 for the first): initial_backoff × 2^(retry−1),
// capped at max_backoff.
absl::Duration BackoffBefore(const RetryPolicy& policy, int retry);

// Runs `attempt` under `policy` (see the file comment); `what` names the operation in the
// final error. `sleep` pauses between attempts; `clock` measures the time budget.
absl::Status RetryTransient(const RetryPolicy& policy, const Clock& clock,
                            const std::function<void(absl::Duration)>& sleep, std::string_view what,
                            const std::function<absl::Status()>& attempt);

class RetryingEngine final : public ContainerEngine {
 public:
  using Sleeper = std::function<void(absl::Duration)>;

  // `inner` and `clock` must outlive this engine. Thread-safe when `inner` is.
  RetryingEngine(
      ContainerEngine& inner, RetryPolicy policy, const Clock& clock = SystemClock::Get(),
      Sleeper sleep = [](absl::Duration d) { absl::SleepFor(d); });

  std::string_view kind() const override { return inner_.kind(); }
  absl::Status Ping() override;
  absl::StatusOr<StartedContainer> Start(const ContainerSpec& spec) override;
  absl::Status Stop(std::string_view id, absl::Duration grace) override;
  absl::StatusOr<ContainerStatus> Inspect(std::string_view id) override;
  absl::StatusOr<std::vector<ContainerStatus>> List(const Labels& labels) override;
  absl::Status Remove(std::string_view id, bool force) override;
  absl::StatusOr<std::unique_ptr<LogReader>> OpenLogs(std::string_view id,
                                                      const LogOptions& options) override;
  absl::StatusOr<std::unique_ptr<ExecSession>> Exec(const ExecSpec& spec) override {
    return inner_.Exec(spec);
  }
  std::unique_ptr<Subscription> Watch(std::string_view id,
                                      std::function<void()> on_change) override {
    return inner_.Watch(id, std::move(on_change));
  }

 private:
  template <typename T>
  absl::StatusOr<T> Retry(std::string_view what, const std::function<absl::StatusOr<T>()>& call);
  absl::Status Retry(std::string_view what, const std::function<absl::Status()>& call);

  ContainerEngine& inner_;
  const RetryPolicy policy_;
  const Clock& clock_;
  const Sleeper sleep_;
};

}  // namespace gofer::scheduler
