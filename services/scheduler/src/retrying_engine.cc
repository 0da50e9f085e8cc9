#include "retrying_engine.h"

#include <fmt/format.h>

#include <optional>

#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"

namespace gofer::scheduler {

absl::Duration BackoffBefore(const RetryPolicy& policy, int retry) {
  absl::Duration backoff = policy.initial_backoff;
  for (int i = 1; i < retry && backoff < policy.max_backoff; ++i) {
    backoff *= 2;
  }
  return std::min(backoff, policy.max_backoff);
}

absl::Status RetryTransient(const RetryPolicy& policy, const Clock& clock,
                            const std::function<void(absl::Duration)>& sleep, std::string_view what,
                            const std::function<absl::Status()>& attempt) {
  const absl::Time start = clock.Now();
  for (int n = 1;; ++n) {
    absl::Status status = attempt();
    if (status.code() != absl::StatusCode::kUnavailable) {
      return status;
    }
    const absl::Duration pause = BackoffBefore(policy, n);
    if (n >= policy.max_attempts || clock.Now() + pause - start > policy.max_elapsed) {
      return WithErrorInfo(
          absl::UnavailableError(fmt::format("{}: the container engine is unavailable after {} "
                                             "attempt{}: {}",
                                             what, n, n == 1 ? "" : "s", status.message())),
          ErrorReason::kDependencyUnavailable, {{"operation", std::string(what)}});
    }
    sleep(pause);
  }
}

RetryingEngine::RetryingEngine(ContainerEngine& inner, RetryPolicy policy, const Clock& clock,
                               Sleeper sleep)
    : inner_(inner), policy_(policy), clock_(clock), sleep_(std::move(sleep)) {}

absl::Status RetryingEngine::Retry(std::string_view what,
                                   const std::function<absl::Status()>& call) {
  return RetryTransient(policy_, clock_, sleep_, what, call);
}

template <typename T>
absl::StatusOr<T> RetryingEngine::Retry(std::string_view what,
                                        const std::function<absl::StatusOr<T>()>& call) {
  std::optional<T> value;
  absl::Status status = RetryTransient(policy_, clock_, sleep_, what, [&]() -> absl::Status {
    absl::StatusOr<T> result = call();
    if (!result.ok()) {
      return result.status();
    }
    value = *std::move(result);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return status;
  }
  return *std::move(value);
}

absl::Status RetryingEngine::Ping() {
  return Retry("ping", [&] { return inner_.Ping(); });
}

absl::StatusOr<StartedContainer> RetryingEngine::Start(const ContainerSpec& spec) {
  return Retry<StartedContainer>("start", [&] { return inner_.Start(spec); });
}

absl::Status RetryingEngine::Stop(std::string_view id, absl::Duration grace) {
  return Retry("stop", [&] { return inner_.Stop(id, grace); });
}

absl::StatusOr<ContainerStatus> RetryingEngine::Inspect(std::string_view id) {
  return Retry<ContainerStatus>("inspect", [&] { return inner_.Inspect(id); });
}

absl::StatusOr<std::vector<ContainerStatus>> RetryingEngine::List(const Labels& labels) {
  return Retry<std::vector<ContainerStatus>>("list", [&] { return inner_.List(labels); });
}

absl::Status RetryingEngine::Remove(std::string_view id, bool force) {
  return Retry("remove", [&] { return inner_.Remove(id, force); });
}

absl::StatusOr<std::unique_ptr<LogReader>> RetryingEngine::OpenLogs(std::string_view id,
                                                                    const LogOptions& options) {
  return Retry<std::unique_ptr<LogReader>>("logs", [&] { return inner_.OpenLogs(id, options); });
}

}  // namespace gofer::scheduler
