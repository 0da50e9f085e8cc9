// The run-queue end to end on real components: the scheduler (local backend: real processes),
// object-store, secret-store and run-queue binaries against real Postgres and Redis (Stack).
#include <catch2/catch.hpp>

#include "gofer/rpc/proto_time.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using gofer::v1::RUN_STATUS_FAILED;
using gofer::v1::RUN_STATUS_SUCCESSFUL;
using gofer::v1::TASK_EXECUTION_STATUS_FAILED;
using gofer::v1::TASK_EXECUTION_STATUS_SKIPPED;
using gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL;

TEST_CASE("A fan-out/fan-in DAG runs every task once, in dependency order, with its logs") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: fan
tasks:
  - id: src
    image: busybox
    script: echo "from src"
  - id: left
    image: busybox
    depends_on: {src: success}
    script: echo "from left"; echo "to stderr" >&2
  - id: right
    image: busybox
    depends_on: {src: success}
    script: echo "from right"
  - id: join
    image: busybox
    depends_on: {left: success, right: success}
    script: echo "run $GOFER_RUN task $GOFER_TASK attempt $GOFER_TASK_ATTEMPT"
)");
  CHECK(run.run_id() == 1);
  CHECK(run.state() == gofer::v1::RUN_STATE_PENDING);
  const auto done = stack.WaitForRun("fan", run.run_id());
  CHECK(done.status() == RUN_STATUS_SUCCESSFUL);
  auto tasks = stack.Tasks("fan", run.run_id());
  REQUIRE(tasks.size() == 4);
  for (const auto& [id, t] : tasks) {
    INFO(id);
    CHECK(t.status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
    CHECK(t.attempt() == 1);
    CHECK(t.attempts_size() == 1);
    CHECK(t.phases().has_started());
    CHECK(t.phases().has_exited());
    CHECK_FALSE(t.container().empty());  // the scheduler's name of the attempt's container
  }
  // join started only after both left and right exited.
  const auto started_join = rpc::FromTimestamp(tasks["join"].phases().leased());
  CHECK(started_join >= rpc::FromTimestamp(tasks["left"].phases().exited()));
  CHECK(started_join >= rpc::FromTimestamp(tasks["right"].phases().exited()));

  INFO(stack.ReplicaOutput(0));
  auto logs = stack.Logs("fan", run.run_id(), "left");
  REQUIRE(logs.size() == 2);
  CHECK(logs[0].line() == 0);
  std::map<std::string, gofer::v1::LogStream> streams;
  for (const auto& l : logs) streams[l.text()] = l.stream();
  CHECK(streams["from left"] == gofer::v1::LOG_STREAM_STDOUT);
  CHECK(streams["to stderr"] == gofer::v1::LOG_STREAM_STDERR);
  auto d_logs = stack.Logs("fan", run.run_id(), "join");
  REQUIRE(d_logs.size() == 1);
  CHECK(d_logs[0].text() == "run 1 task join attempt 1");
}

TEST_CASE("A failing task fails the run and skips its success children, with reasons") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: failing
tasks:
  - id: build
    image: busybox
    script: exit 3
  - id: publish
    image: busybox
    depends_on: {build: success}
    script: echo never
  - id: report
    image: busybox
    depends_on: {build: failure}
    script: echo reporting
)");
  const auto done = stack.WaitForRun("failing", run.run_id());
  CHECK(done.status() == RUN_STATUS_FAILED);
  CHECK(done.status_reason().kind() == gofer::v1::STATUS_REASON_KIND_ABNORMAL_EXIT);
  auto tasks = stack.Tasks("failing", run.run_id());
  CHECK(tasks["build"].status() == TASK_EXECUTION_STATUS_FAILED);
  CHECK(tasks["build"].exit_code() == 3);
  CHECK(tasks["publish"].status() == TASK_EXECUTION_STATUS_SKIPPED);
  CHECK(tasks["publish"].reason().kind() == gofer::v1::STATUS_REASON_KIND_DEPENDENCY_NOT_MET);
  CHECK(tasks["report"].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
}

}  // namespace
}  // namespace gofer::run_queue::testing
