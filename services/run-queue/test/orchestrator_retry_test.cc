// Retries of task attempts end to end (F-RUN-6) on the real stack (Stack): an infrastructure
// failure (the container removed under the task) is retried by default, a user failure only
// with `on: any`, and every attempt is recorded.
#include <catch2/catch.hpp>

#include <signal.h>

#include "gofer/rpc/proto_time.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using gofer::v1::STATUS_REASON_KIND_ABNORMAL_EXIT;
using gofer::v1::STATUS_REASON_KIND_INFRASTRUCTURE;
using gofer::v1::TASK_EXECUTION_STATUS_FAILED;
using gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL;

constexpr char kVanishing[] = R"(
id: infra
tasks:
  - id: victim
    image: busybox
    script: echo "attempt $GOFER_TASK_ATTEMPT"; if [ "$GOFER_TASK_ATTEMPT" = 1 ]; then sleep 30; fi
)";

// Removes (with force) the one container of the run's task `victim`, found through the
// scheduler by its gofer labels.
void RemoveVictimContainer(Stack& stack, int64_t run_id) {
  scheduler::v1::ListContainersRequest list;
  (*list.mutable_labels())["gofer.pipeline"] = "infra";
  (*list.mutable_labels())["gofer.run"] = std::to_string(run_id);
  (*list.mutable_labels())["gofer.task"] = "victim";
  scheduler::v1::ListContainersResponse containers;
  auto list_context = stack.Context();
  grpc::Status status = stack.scheduler().ListContainers(list_context.get(), list, &containers);
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(containers.containers_size() == 1);
  const auto& container = containers.containers(0);
  CHECK(container.labels().at("gofer.attempt") == "1");
  CHECK(container.name() == "gofer-test-infra-" + std::to_string(run_id) + "-victim-1");

  scheduler::v1::RemoveContainerRequest remove;
  remove.set_scheduler_id(container.scheduler_id());
  remove.set_force(true);
  scheduler::v1::RemoveContainerResponse removed;
  auto remove_context = stack.Context();
  status = stack.scheduler().RemoveContainer(remove_context.get(), remove, &removed);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

// Checks that attempt 1 of `victim` failed as an infrastructure failure and attempt 2 succeeded.
void CheckRetriedAfterInfrastructureFailure(Stack& stack, const gofer::v1::Run& done) {
  INFO(done.DebugString());
  CHECK(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  auto victim = stack.Tasks("infra", done.run_id())["victim"];
  INFO(victim.DebugString());
  CHECK(victim.status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  CHECK(victim.attempt() == 2);
  REQUIRE(victim.attempts_size() == 2);
  CHECK(victim.attempts(0).attempt() == 1);
  CHECK(victim.attempts(0).status() == TASK_EXECUTION_STATUS_FAILED);
  CHECK(victim.attempts(0).reason().kind() == STATUS_REASON_KIND_INFRASTRUCTURE);
  CHECK_THAT(victim.attempts(0).reason().description(), Contains("vanished"));
  // Three attempts by default for infrastructure failures.
  CHECK_THAT(victim.attempts(0).reason().description(), EndsWith("(attempt 1 of 3)"));
  CHECK(victim.attempts(1).attempt() == 2);
  CHECK(victim.attempts(1).status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  // Attempt 2 ran with its own number, in a container of its own.
  auto logs = stack.Logs("infra", done.run_id(), "victim");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].text() == "attempt 2");
}

TEST_CASE("A container removed while no replica watches it fails its attempt as infrastructure") {
  // A short lease, so the restarted replica takes the run over quickly.
  Stack stack({.run_queue = {{"LEASE_TTL", "1s"}}});
  const auto run = stack.StartRun(kVanishing);
  stack.WaitForLogLine("infra", run.run_id(), "victim", "attempt 1");
  stack.KillReplica(0, SIGKILL);
  RemoveVictimContainer(stack, run.run_id());
  stack.StartReplica(0);

  // The new holder finds the running attempt's container gone and retries the task.
  const auto done = stack.WaitForRun("infra", run.run_id());
  CheckRetriedAfterInfrastructureFailure(stack, done);
  CHECK(done.lease_epoch() >= 2);
  // The output attempt 1 stored before its container went stays readable.
  auto first = stack.Logs("infra", run.run_id(), "victim", 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].text() == "attempt 1");
}

TEST_CASE("A container removed under a running attempt is an infrastructure failure, retried") {
  Stack stack;
  const auto run = stack.StartRun(kVanishing);
  stack.WaitForTask("infra", run.run_id(), "victim", [](const gofer::v1::TaskExecution& t) {
    return t.state() == gofer::v1::TASK_EXECUTION_STATE_RUNNING;
  });
  RemoveVictimContainer(stack, run.run_id());
  // The attempt ends at once, not after `sleep 30`.
  const auto done = stack.WaitForRun("infra", run.run_id(), absl::Seconds(20));
  auto victim = stack.Tasks("infra", run.run_id())["victim"];
  INFO(victim.DebugString());
  REQUIRE(victim.attempts_size() >= 1);
  CHECK(victim.attempts(0).status() == TASK_EXECUTION_STATUS_FAILED);
  // The scheduler hides a force-removed container before killing it, so the watcher sees it
  // vanish — an infrastructure failure, retried — never the kill's exit code 137.
  CHECK(victim.attempts(0).reason().kind() == STATUS_REASON_KIND_INFRASTRUCTURE);
  CheckRetriedAfterInfrastructureFailure(stack, done);
}

TEST_CASE("With on: any a failing task is retried until an attempt succeeds") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: flaky
tasks:
  - id: flaky
    image: busybox
    retries: {attempts: 3, on: any}
    script: echo "attempt $GOFER_TASK_ATTEMPT"; test "$GOFER_TASK_ATTEMPT" -ge 3
)");
  const auto done = stack.WaitForRun("flaky", run.run_id());
  CHECK(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  auto flaky = stack.Tasks("flaky", run.run_id())["flaky"];
  INFO(flaky.DebugString());
  CHECK(flaky.status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  CHECK(flaky.attempt() == 3);
  CHECK(flaky.exit_code() == 0);
  REQUIRE(flaky.attempts_size() == 3);
  for (int i = 0; i < 2; ++i) {
    INFO("attempt " << i + 1);
    CHECK(flaky.attempts(i).attempt() == i + 1);
    CHECK(flaky.attempts(i).status() == TASK_EXECUTION_STATUS_FAILED);
    CHECK(flaky.attempts(i).exit_code() == 1);
    CHECK(flaky.attempts(i).reason().kind() == STATUS_REASON_KIND_ABNORMAL_EXIT);
    CHECK_THAT(flaky.attempts(i).reason().description(),
               EndsWith("(attempt " + std::to_string(i + 1) + " of 3)"));
    auto logs = stack.Logs("flaky", run.run_id(), "flaky", i + 1);
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].text() == "attempt " + std::to_string(i + 1));
  }
  CHECK(flaky.attempts(2).status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  // Attempts follow each other: each starts after the previous one exited.
  for (int i = 1; i < 3; ++i) {
    CHECK(rpc::FromTimestamp(flaky.attempts(i).phases().leased()) >=
          rpc::FromTimestamp(flaky.attempts(i - 1).phases().exited()));
  }
}

TEST_CASE("Without on: any a failing task is not retried") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: no-retry
tasks:
  - id: fails
    image: busybox
    retries: {attempts: 3}
    script: echo "attempt $GOFER_TASK_ATTEMPT"; exit 7
)");
  const auto done = stack.WaitForRun("no-retry", run.run_id());
  CHECK(done.status() == gofer::v1::RUN_STATUS_FAILED);
  CHECK(done.status_reason().kind() == STATUS_REASON_KIND_ABNORMAL_EXIT);
  CHECK_THAT(done.status_reason().description(), Contains("exited with code 7"));
  auto fails = stack.Tasks("no-retry", run.run_id())["fails"];
  INFO(fails.DebugString());
  CHECK(fails.status() == TASK_EXECUTION_STATUS_FAILED);
  CHECK(fails.exit_code() == 7);
  CHECK(fails.attempt() == 1);
  REQUIRE(fails.attempts_size() == 1);
  CHECK(fails.attempts(0).reason().kind() == STATUS_REASON_KIND_ABNORMAL_EXIT);
}

}  // namespace
}  // namespace gofer::run_queue::testing
