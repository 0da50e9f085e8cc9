// Task and run timeouts end to end (F-RUN-4) on the real stack (Stack). The stop of a timed-out
// container uses the default grace, shortened here so `sleep` (which ignores SIGTERM as PID 1)
// is killed quickly.
#include <catch2/catch.hpp>

#include "gofer/rpc/proto_time.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using Catch::Matchers::Contains;
using gofer::v1::STATUS_REASON_KIND_TIMEOUT;

StackOptions ShortGrace() { return {.run_queue = {{"CANCEL_DEFAULT_GRACE", "1s"}}}; }

TEST_CASE("A task past its timeout is stopped and fails with reason timeout, without a retry") {
  Stack stack(ShortGrace());
  const auto run = stack.StartRun(R"(
id: slow-task
tasks:
  - id: sleeper
    image: busybox
    timeout: 1s
    retries: {attempts: 3, on: any}
    script: echo started; sleep 30
  - id: after
    image: busybox
    depends_on: {sleeper: success}
    script: echo never
)");
  const auto done = stack.WaitForRun("slow-task", run.run_id(), absl::Seconds(20));
  CHECK(done.status() == gofer::v1::RUN_STATUS_FAILED);
  CHECK(done.status_reason().kind() == STATUS_REASON_KIND_TIMEOUT);
  auto tasks = stack.Tasks("slow-task", run.run_id());
  const auto& sleeper = tasks["sleeper"];
  INFO(sleeper.DebugString());
  CHECK(sleeper.status() == gofer::v1::TASK_EXECUTION_STATUS_FAILED);
  CHECK(sleeper.reason().kind() == STATUS_REASON_KIND_TIMEOUT);
  CHECK_THAT(sleeper.reason().description(), Contains("task exceeded its timeout of 1s"));
  // Timeouts are never retried, even with `on: any`.
  CHECK(sleeper.attempt() == 1);
  REQUIRE(sleeper.attempts_size() == 1);
  CHECK(sleeper.attempts(0).reason().kind() == STATUS_REASON_KIND_TIMEOUT);
  // It was stopped long before `sleep 30` ended.
  const absl::Duration ran =
      rpc::FromTimestamp(sleeper.phases().exited()) - rpc::FromTimestamp(sleeper.phases().leased());
  CHECK(ran < absl::Seconds(15));
  CHECK(tasks["after"].status() == gofer::v1::TASK_EXECUTION_STATUS_SKIPPED);
  // Its output up to the stop was kept.
  auto logs = stack.Logs("slow-task", run.run_id(), "sleeper");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].text() == "started");
}

TEST_CASE("A run past its run_timeout is cancelled with reason timeout") {
  Stack stack(ShortGrace());
  const auto run = stack.StartRun(R"(
id: slow-run
run_timeout: 2s
tasks:
  - id: quick
    image: busybox
    script: echo quick
  - id: sleeper
    image: busybox
    script: sleep 30
  - id: after
    image: busybox
    depends_on: {sleeper: success}
    script: echo never
)");
  const auto done = stack.WaitForRun("slow-run", run.run_id(), absl::Seconds(20));
  INFO(done.DebugString());
  CHECK(done.status() == gofer::v1::RUN_STATUS_CANCELLED);
  CHECK(done.status_reason().kind() == STATUS_REASON_KIND_TIMEOUT);
  CHECK_THAT(done.status_reason().description(), Contains("run exceeded its timeout of 2s"));
  CHECK(rpc::FromTimestamp(done.ended()) - rpc::FromTimestamp(done.started()) < absl::Seconds(15));
  auto tasks = stack.Tasks("slow-run", run.run_id());
  CHECK(tasks["quick"].status() == gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL);
  // The active task was stopped and failed; the one that never started was cancelled.
  INFO(tasks["sleeper"].DebugString());
  CHECK(tasks["sleeper"].status() == gofer::v1::TASK_EXECUTION_STATUS_FAILED);
  CHECK(tasks["sleeper"].reason().kind() == STATUS_REASON_KIND_TIMEOUT);
  CHECK(tasks["sleeper"].attempts_size() == 1);
  INFO(tasks["after"].DebugString());
  CHECK(tasks["after"].status() == gofer::v1::TASK_EXECUTION_STATUS_CANCELLED);
  CHECK(tasks["after"].reason().kind() == STATUS_REASON_KIND_TIMEOUT);
  CHECK(tasks["after"].attempts_size() == 0);
}

}  // namespace
}  // namespace gofer::run_queue::testing
