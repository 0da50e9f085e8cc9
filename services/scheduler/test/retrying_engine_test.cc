// Retries of transient engine failures, on a scripted engine and a fake clock.
#include <catch2/catch.hpp>

#include <vector>

#include "gofer/common/clock.h"
#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"
#include "gofer/testing/status.h"
#include "retrying_engine.h"

namespace gofer::scheduler {
namespace {

// Fails its first `failures` calls with `failure`, then succeeds.
class FlakyEngine final : public ContainerEngine {
 public:
  FlakyEngine(int failures, absl::Status failure)
      : failures_(failures), failure_(std::move(failure)) {}

  int calls() const { return calls_; }

  std::string_view kind() const override { return "flaky"; }
  absl::Status Ping() override { return Next(); }
  absl::StatusOr<StartedContainer> Start(const ContainerSpec& spec) override {
    GOFER_RETURN_IF_ERROR(Next());
    return StartedContainer{"id-" + spec.name, "node", ""};
  }
  absl::Status Stop(std::string_view, absl::Duration) override { return Next(); }
  absl::StatusOr<ContainerStatus> Inspect(std::string_view id) override {
    GOFER_RETURN_IF_ERROR(Next());
    return ContainerStatus{.id = std::string(id), .state = ContainerState::kRunning};
  }
  absl::StatusOr<std::vector<ContainerStatus>> List(const Labels&) override {
    GOFER_RETURN_IF_ERROR(Next());
    return std::vector<ContainerStatus>{};
  }
  absl::Status Remove(std::string_view, bool) override { return Next(); }
  absl::StatusOr<std::unique_ptr<LogReader>> OpenLogs(std::string_view,
                                                      const LogOptions&) override {
    GOFER_RETURN_IF_ERROR(Next());
    return absl::UnimplementedError("no logs");
  }
  absl::StatusOr<std::unique_ptr<ExecSession>> Exec(const ExecSpec&) override {
    GOFER_RETURN_IF_ERROR(Next());
    return absl::UnimplementedError("no exec");
  }
  std::unique_ptr<Subscription> Watch(std::string_view, std::function<void()>) override {
    return nullptr;
  }

 private:
  absl::Status Next() { return calls_++ < failures_ ? failure_ : absl::OkStatus(); }

  const int failures_;
  const absl::Status failure_;
  int calls_ = 0;
};

// A sleeper that moves a fake clock and records each pause.
struct Sleeps {
  FakeClock clock;
  std::vector<absl::Duration> pauses;
  RetryingEngine::Sleeper sleeper() {
    return [this](absl::Duration d) {
      pauses.push_back(d);
      clock.Advance(d);
    };
  }
};

const RetryPolicy kPolicy{.max_attempts = 5,
                          .initial_backoff = absl::Milliseconds(100),
                          .max_backoff = absl::Milliseconds(300),
                          .max_elapsed = absl::Seconds(30)};

}  // namespace

TEST_CASE("BackoffBefore doubles from the initial pause up to the maximum") {
  CHECK(BackoffBefore(kPolicy, 1) == absl::Milliseconds(100));
  CHECK(BackoffBefore(kPolicy, 2) == absl::Milliseconds(200));
  CHECK(BackoffBefore(kPolicy, 3) == absl::Milliseconds(300));
  CHECK(BackoffBefore(kPolicy, 30) == absl::Milliseconds(300));
}

TEST_CASE("RetryingEngine retries UNAVAILABLE with growing pauses until the call succeeds") {
  FlakyEngine inner(3, absl::UnavailableError("connection refused"));
  Sleeps sleeps;
  RetryingEngine engine(inner, kPolicy, sleeps.clock, sleeps.sleeper());
  auto status = engine.Inspect("c1");
  GOFER_REQUIRE_OK(status);
  CHECK(status->id == "c1");
  CHECK(inner.calls() == 4);
  CHECK(sleeps.pauses == std::vector<absl::Duration>{absl::Milliseconds(100),
                                                     absl::Milliseconds(200),
                                                     absl::Milliseconds(300)});
}

TEST_CASE("RetryingEngine reports UNAVAILABLE naming the attempts once they run out") {
  FlakyEngine inner(100, absl::UnavailableError("connection refused"));
  Sleeps sleeps;
  RetryingEngine engine(inner, kPolicy, sleeps.clock, sleeps.sleeper());
  const absl::Status status = engine.Stop("c1", absl::Seconds(1));
  GOFER_REQUIRE_CODE(status, absl::StatusCode::kUnavailable);
  CHECK(inner.calls() == 5);
  CHECK(sleeps.pauses.size() == 4);
  CHECK(std::string(status.message()).find("after 5 attempts: connection refused") !=
        std::string::npos);
  CHECK(GetErrorDetails(status).reason == "DEPENDENCY_UNAVAILABLE");
}

TEST_CASE("RetryingEngine stops retrying when the time budget would be exceeded") {
  FlakyEngine inner(100, absl::UnavailableError("engine restarting"));
  Sleeps sleeps;
  RetryPolicy policy = kPolicy;
  policy.max_attempts = 100;
  policy.max_elapsed = absl::Milliseconds(650);  // 100 + 200 + 300 fits; another 300 does not
  RetryingEngine engine(inner, policy, sleeps.clock, sleeps.sleeper());
  GOFER_REQUIRE_CODE(engine.List({}), absl::StatusCode::kUnavailable);
  CHECK(inner.calls() == 4);
}

TEST_CASE("RetryingEngine returns definite errors at once") {
  for (absl::Status definite :
       {absl::NotFoundError("no such container"), absl::FailedPreconditionError("cannot pull"),
        absl::AlreadyExistsError("name taken")}) {
    FlakyEngine inner(1, definite);
    Sleeps sleeps;
    RetryingEngine engine(inner, kPolicy, sleeps.clock, sleeps.sleeper());
    GOFER_REQUIRE_CODE(engine.Start({.name = "t"}), definite.code());
    CHECK(inner.calls() == 1);
    CHECK(sleeps.pauses.empty());
  }
}

TEST_CASE("RetryingEngine does not retry Exec, whose command may already have run") {
  FlakyEngine inner(1, absl::UnavailableError("broken pipe"));
  Sleeps sleeps;
  RetryingEngine engine(inner, kPolicy, sleeps.clock, sleeps.sleeper());
  GOFER_REQUIRE_CODE(engine.Exec({.container = "c", .command = {"sh"}}),
                     absl::StatusCode::kUnavailable);
  CHECK(inner.calls() == 1);
}

}  // namespace gofer::scheduler
