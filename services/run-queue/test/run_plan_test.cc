#include "run_plan.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gofer/testing/status.h"
#include "google/protobuf/duration.pb.h"
#include "run_plan_config.h"
#include "run_queue_fakes.h"

namespace gofer::run_queue {
namespace {

using testing::MustPlan;
using testing::OnAny;
using testing::OnFailure;
using testing::OnSuccess;
using testing::Task;

std::vector<std::string> Ids(const RunPlan& plan) {
  std::vector<std::string> ids;
  for (const PlannedTask& task : plan.tasks()) {
    ids.push_back(task.id);
  }
  return ids;
}

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

gofer::v1::Task* AddTask(gofer::v1::PipelineConfig& config, const std::string& id) {
  gofer::v1::Task* task = config.add_tasks();
  task->set_id(id);
  task->set_image("alpine:3.19");
  return task;
}

TEST_CASE("A plan orders tasks after their parents, the smallest ready id first") {
  const RunPlan plan = MustPlan({Task("deploy", {OnSuccess("test"), OnSuccess("build")}),
                                 Task("test", {OnSuccess("build")}), Task("lint"), Task("build")});
  CHECK(Ids(plan) == std::vector<std::string>{"build", "lint", "test", "deploy"});
  CHECK(plan.IndexOf("test") == 2);
  CHECK(plan.IndexOf("nope") == plan.size());
  CHECK(plan.Find("nope") == nullptr);
  REQUIRE(plan.Find("deploy") != nullptr);
  CHECK(plan.Find("deploy")->parents ==
        std::vector<Dependency>{OnSuccess("build"), OnSuccess("test")});
}

TEST_CASE("A plan knows the parents and children of every task") {
  const RunPlan plan = MustPlan({Task("a"), Task("b", {OnSuccess("a")}), Task("c", {OnAny("a")}),
                                 Task("d", {OnSuccess("b"), OnFailure("c")})});
  CHECK(plan.ChildrenOf(plan.IndexOf("a")) == std::vector<size_t>{1, 2});
  CHECK(plan.ChildrenOf(plan.IndexOf("d")).empty());
  CHECK(plan.ParentsOf(plan.IndexOf("d")) == std::vector<size_t>{1, 2});
  CHECK(plan.run_timeout() == absl::InfiniteDuration());
}

TEST_CASE("A snapshot with a dependency cycle fails with FAILED_PRECONDITION naming the cycle") {
  const auto plan =
      RunPlan::Create({Task("a", {OnSuccess("c")}), Task("b", {OnSuccess("a")}),
                       Task("c", {OnSuccess("b")}), Task("d", {OnSuccess("c")}), Task("e")});
  GOFER_REQUIRE_CODE(plan, absl::StatusCode::kFailedPrecondition);
  CHECK(MessageOf(plan.status()) ==
        "invalid run snapshot: tasks depend on each other in a cycle: a → c → b → a");
}

TEST_CASE("A snapshot with an unknown parent fails naming the task and the parent") {
  const auto plan = RunPlan::Create({Task("a"), Task("b", {OnSuccess("ghost")})});
  GOFER_REQUIRE_CODE(plan, absl::StatusCode::kFailedPrecondition);
  CHECK(MessageOf(plan.status()) ==
        "invalid run snapshot: task 'b' depends on unknown task 'ghost'");
}

TEST_CASE("A snapshot with duplicate ids, a self-dependency or no tasks fails") {
  const auto duplicate = RunPlan::Create({Task("a"), Task("a")});
  GOFER_REQUIRE_CODE(duplicate, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(MessageOf(duplicate.status()), Catch::Contains("task id 'a' is used more than once"));

  const auto self = RunPlan::Create({Task("a", {OnAny("a")})});
  GOFER_REQUIRE_CODE(self, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(MessageOf(self.status()), Catch::Contains("task 'a' depends on itself"));

  const auto twice = RunPlan::Create({Task("a"), Task("b", {OnAny("a"), OnSuccess("a")})});
  GOFER_REQUIRE_CODE(twice, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(MessageOf(twice.status()), Catch::Contains("task 'b' lists parent 'a' twice"));

  const auto empty = RunPlan::Create({});
  GOFER_REQUIRE_CODE(empty, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(MessageOf(empty.status()), Catch::Contains("no tasks"));
}

TEST_CASE("A snapshot reports every problem at once") {
  PlannedTask slow = Task("slow");
  slow.timeout = absl::ZeroDuration();
  PlannedTask greedy = Task("greedy");
  greedy.retry.attempts = kMaxAttempts + 1;
  const auto plan = RunPlan::Create({slow, greedy, Task("b", {OnSuccess("x")})}, absl::Seconds(-1));
  GOFER_REQUIRE_CODE(plan, absl::StatusCode::kFailedPrecondition);
  const std::string message = MessageOf(plan.status());
  CHECK_THAT(message, Catch::Contains("task 'slow' has a timeout that is not positive"));
  CHECK_THAT(message, Catch::Contains("task 'greedy' asks for 11 attempts (1..10)"));
  CHECK_THAT(message, Catch::Contains("task 'b' depends on unknown task 'x'"));
  CHECK_THAT(message, Catch::Contains("the run timeout is not positive"));
}

TEST_CASE("The default retry policy retries infrastructure failures only, up to three attempts") {
  const RetryPolicy policy;
  CHECK(kDefaultAttempts == 3);
  CHECK(kDefaultUserFailureAttempts == 1);
  CHECK(policy.InfrastructureAttempts() == 3);
  CHECK(policy.UserFailureAttempts() == 1);
  CHECK(RetryPolicy{5, RetryOn::kAny}.UserFailureAttempts() == 5);
  CHECK(RetryPolicy{5, RetryOn::kInfrastructure}.UserFailureAttempts() == 1);
}

TEST_CASE("FromConfig maps conditions, timeouts and retry policies") {
  gofer::v1::PipelineConfig config;
  config.set_id("ci");
  config.mutable_run_timeout()->set_seconds(3600);
  AddTask(config, "build");
  gofer::v1::Task* test = AddTask(config, "test");
  (*test->mutable_depends_on())["build"] = gofer::v1::DEPENDENCY_CONDITION_SUCCESS;
  test->mutable_timeout()->set_seconds(600);
  test->mutable_retries()->set_on(gofer::v1::RETRY_ON_ANY);
  gofer::v1::Task* notify = AddTask(config, "notify");
  (*notify->mutable_depends_on())["test"] = gofer::v1::DEPENDENCY_CONDITION_FAILURE;
  (*notify->mutable_depends_on())["build"] = gofer::v1::DEPENDENCY_CONDITION_ANY;
  notify->mutable_retries()->set_attempts(1);

  const absl::StatusOr<RunPlan> plan = FromConfig(config);
  GOFER_REQUIRE_OK(plan);
  CHECK(Ids(*plan) == std::vector<std::string>{"build", "test", "notify"});
  CHECK(plan->run_timeout() == absl::Hours(1));
  const PlannedTask& build = *plan->Find("build");
  CHECK(build.timeout == absl::InfiniteDuration());
  CHECK(build.retry == RetryPolicy{kDefaultAttempts, RetryOn::kInfrastructure});
  CHECK(plan->Find("test")->timeout == absl::Minutes(10));
  CHECK(plan->Find("test")->retry == RetryPolicy{kDefaultAttempts, RetryOn::kAny});
  CHECK(plan->Find("notify")->parents ==
        std::vector<Dependency>{OnAny("build"), OnFailure("test")});
  CHECK(plan->Find("notify")->retry == RetryPolicy{1, RetryOn::kInfrastructure});
}

TEST_CASE("FromConfig rejects an unspecified condition, a cycle and an unknown parent") {
  gofer::v1::PipelineConfig unspecified;
  AddTask(unspecified, "a");
  (*AddTask(unspecified, "b")->mutable_depends_on())["a"] =
      gofer::v1::DEPENDENCY_CONDITION_UNSPECIFIED;
  const auto a = FromConfig(unspecified);
  GOFER_REQUIRE_CODE(a, absl::StatusCode::kFailedPrecondition);
  CHECK(MessageOf(a.status()) ==
        "invalid run snapshot: task 'b' has no valid condition on parent 'a'");

  gofer::v1::PipelineConfig cycle;
  (*AddTask(cycle, "a")->mutable_depends_on())["b"] = gofer::v1::DEPENDENCY_CONDITION_ANY;
  (*AddTask(cycle, "b")->mutable_depends_on())["a"] = gofer::v1::DEPENDENCY_CONDITION_ANY;
  const auto b = FromConfig(cycle);
  GOFER_REQUIRE_CODE(b, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(MessageOf(b.status()), Catch::Contains("cycle: a → b → a"));

  gofer::v1::PipelineConfig unknown;
  (*AddTask(unknown, "a")->mutable_depends_on())["zz"] = gofer::v1::DEPENDENCY_CONDITION_ANY;
  GOFER_REQUIRE_CODE(FromConfig(unknown), absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("A run with an invalid snapshot fails with the snapshot's reason") {
  const auto plan = RunPlan::Create({Task("a", {OnSuccess("b")}), Task("b", {OnSuccess("a")})});
  REQUIRE_FALSE(plan.ok());
  const RunOutcome outcome = InvalidSnapshotOutcome(plan.status());
  CHECK(outcome.status == RunStatus::kFailed);
  CHECK(outcome.reason.kind == ReasonKind::kFailedPrecondition);
  CHECK(outcome.reason.description ==
        "invalid run snapshot: tasks depend on each other in a cycle: a → b → a");
}

}  // namespace
}  // namespace gofer::run_queue
