// Cancellation end to end (F-RUN-5) on the real stack (Stack): of a run (with a grace period:
// SIGTERM first), of one task (the rest of the DAG follows its conditions), and of every run of
// a pipeline.
#include <catch2/catch.hpp>

#include <algorithm>

#include "gofer/rpc/proto_time.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using Catch::Matchers::Contains;
using gofer::v1::RUN_STATUS_CANCELLED;
using gofer::v1::STATUS_REASON_KIND_CANCELLED;
using gofer::v1::TASK_EXECUTION_STATUS_CANCELLED;
using gofer::v1::TASK_EXECUTION_STATUS_SKIPPED;
using gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL;

// Says "ready" once its TERM handler is installed, then runs until it gets SIGTERM.
constexpr char kTrapScript[] =
    R"(trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 0.1; done)";

std::string TrapTask(const std::string& id) {
  return "  - id: " + id + "\n    image: busybox\n    script: \"" + std::string(kTrapScript) +
         "\"\n";
}

bool HasLine(const std::vector<gofer::v1::TaskLogLine>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const gofer::v1::TaskLogLine& l) { return l.text() == text; });
}

TEST_CASE("Cancelling a run sends SIGTERM to running tasks and cancels the pending ones") {
  Stack stack;
  const auto run = stack.StartRun("id: cancel-run\ntasks:\n" + TrapTask("worker") + R"(
  - id: next
    image: busybox
    depends_on: {worker: any}
    script: echo never
)");
  stack.WaitForLogLine("cancel-run", run.run_id(), "worker", "ready");

  gofer::v1::CancelRunRequest cancel;
  cancel.set_namespace_id(kNamespace);
  cancel.set_pipeline_id("cancel-run");
  cancel.set_run_id(run.run_id());
  cancel.set_reason("stop it");
  cancel.mutable_grace_period()->set_seconds(20);
  gofer::v1::Run response;
  auto context = stack.Context();
  grpc::Status status = stack.queue().CancelRun(context.get(), cancel, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  const absl::Time cancelled_at = absl::Now();

  const auto done = stack.WaitForRun("cancel-run", run.run_id());
  INFO(done.DebugString());
  CHECK(done.status() == RUN_STATUS_CANCELLED);
  CHECK(done.status_reason().kind() == STATUS_REASON_KIND_CANCELLED);
  CHECK_THAT(done.status_reason().description(), Contains("cancelled by"));
  CHECK_THAT(done.status_reason().description(), Contains("stop it"));
  // SIGTERM ended it, long before the 20 s grace would have led to SIGKILL.
  CHECK(rpc::FromTimestamp(done.ended()) - cancelled_at < absl::Seconds(10));

  auto tasks = stack.Tasks("cancel-run", run.run_id());
  INFO(tasks["worker"].DebugString());
  CHECK(tasks["worker"].status() == TASK_EXECUTION_STATUS_CANCELLED);
  CHECK(tasks["worker"].reason().kind() == STATUS_REASON_KIND_CANCELLED);
  REQUIRE(tasks["worker"].attempts_size() == 1);
  CHECK(tasks["worker"].attempts(0).status() == TASK_EXECUTION_STATUS_CANCELLED);
  CHECK(HasLine(stack.Logs("cancel-run", run.run_id(), "worker"), "got TERM"));
  // The pending task was cancelled at once, even though `any` would have let it run.
  INFO(tasks["next"].DebugString());
  CHECK(tasks["next"].status() == TASK_EXECUTION_STATUS_CANCELLED);
  CHECK(tasks["next"].reason().kind() == STATUS_REASON_KIND_CANCELLED);
  CHECK_THAT(tasks["next"].reason().description(), Contains("stop it"));
  CHECK(tasks["next"].attempts_size() == 0);

  // A finished run cannot be cancelled again.
  auto again = stack.Context();
  CHECK(stack.queue().CancelRun(again.get(), cancel, &response).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("Cancelling one task lets its any-children run and ends the run cancelled") {
  Stack stack;
  const auto run = stack.StartRun("id: cancel-task\ntasks:\n" + TrapTask("worker") + R"(
  - id: other
    image: busybox
    script: echo other
  - id: always
    image: busybox
    depends_on: {worker: any}
    script: echo always
  - id: needs
    image: busybox
    depends_on: {worker: success}
    script: echo never
)");
  stack.WaitForLogLine("cancel-task", run.run_id(), "worker", "ready");

  gofer::v1::CancelTaskExecutionRequest cancel;
  cancel.set_namespace_id(kNamespace);
  cancel.set_pipeline_id("cancel-task");
  cancel.set_run_id(run.run_id());
  cancel.set_task_id("worker");
  gofer::v1::TaskExecution response;
  auto context = stack.Context();
  grpc::Status status = stack.queue().CancelTaskExecution(context.get(), cancel, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(response.task_id() == "worker");

  const auto done = stack.WaitForRun("cancel-task", run.run_id());
  INFO(done.DebugString());
  CHECK(done.status() == RUN_STATUS_CANCELLED);
  CHECK(done.status_reason().kind() == STATUS_REASON_KIND_CANCELLED);
  CHECK_THAT(done.status_reason().description(), Contains("'worker'"));
  auto tasks = stack.Tasks("cancel-task", run.run_id());
  INFO(tasks["worker"].DebugString());
  CHECK(tasks["worker"].status() == TASK_EXECUTION_STATUS_CANCELLED);
  CHECK(tasks["worker"].reason().kind() == STATUS_REASON_KIND_CANCELLED);
  CHECK(HasLine(stack.Logs("cancel-task", run.run_id(), "worker"), "got TERM"));
  CHECK(tasks["other"].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  // The `any` child of the cancelled task ran, after it.
  INFO(tasks["always"].DebugString());
  CHECK(tasks["always"].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  CHECK(rpc::FromTimestamp(tasks["always"].phases().leased()) >=
        rpc::FromTimestamp(tasks["worker"].phases().exited()));
  CHECK(tasks["needs"].status() == TASK_EXECUTION_STATUS_SKIPPED);
  CHECK(tasks["needs"].reason().description() ==
        "parent 'worker' was cancelled; condition 'success' requires it to succeed");

  // Complete tasks cannot be cancelled; unknown ones are not found.
  auto again = stack.Context();
  CHECK(stack.queue().CancelTaskExecution(again.get(), cancel, &response).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  cancel.set_task_id("missing");
  auto missing = stack.Context();
  CHECK(stack.queue().CancelTaskExecution(missing.get(), cancel, &response).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("CancelAllRuns cancels the running and the pending runs of a pipeline") {
  Stack stack;
  const std::string yaml = "id: cancel-all\nparallelism: 1\ntasks:\n" + TrapTask("worker");
  const auto first = stack.StartRun(yaml);
  const auto second = stack.StartRun(yaml);
  stack.WaitForLogLine("cancel-all", first.run_id(), "worker", "ready");
  CHECK(stack.GetRun("cancel-all", second.run_id()).state() == gofer::v1::RUN_STATE_PENDING);

  gofer::v1::CancelAllRunsRequest cancel;
  cancel.set_namespace_id(kNamespace);
  cancel.set_pipeline_id("cancel-all");
  cancel.set_reason("all of them");
  gofer::v1::CancelAllRunsResponse response;
  auto context = stack.Context();
  grpc::Status status = stack.queue().CancelAllRuns(context.get(), cancel, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(response.run_ids_size() == 2);
  CHECK(response.run_ids(0) == first.run_id());
  CHECK(response.run_ids(1) == second.run_id());

  for (int64_t id : {first.run_id(), second.run_id()}) {
    const auto done = stack.WaitForRun("cancel-all", id);
    INFO(done.DebugString());
    CHECK(done.status() == RUN_STATUS_CANCELLED);
    CHECK_THAT(done.status_reason().description(), Contains("all of them"));
  }
  CHECK(HasLine(stack.Logs("cancel-all", first.run_id(), "worker"), "got TERM"));
  // The pending run was cancelled before admission: it never started, nor did its task.
  const auto second_done = stack.GetRun("cancel-all", second.run_id());
  CHECK_FALSE(second_done.has_started());
  auto tasks = stack.Tasks("cancel-all", second.run_id());
  CHECK(tasks["worker"].status() == TASK_EXECUTION_STATUS_CANCELLED);
  CHECK(tasks["worker"].attempts_size() == 0);

  // Nothing is left to cancel.
  gofer::v1::CancelAllRunsResponse none;
  auto again = stack.Context();
  REQUIRE(stack.queue().CancelAllRuns(again.get(), cancel, &none).ok());
  CHECK(none.run_ids_size() == 0);
}

}  // namespace
}  // namespace gofer::run_queue::testing
