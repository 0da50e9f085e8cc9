// Retrying a finished run end to end (F-RUN-7) on the real stack (Stack): every task, or only
// the failed ones and their descendants while the other successful tasks are reused.
#include <catch2/catch.hpp>

#include "run_events.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using gofer::v1::TASK_EXECUTION_STATUS_FAILED;
using gofer::v1::TASK_EXECUTION_STATUS_SKIPPED;
using gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL;

// `middle` fails in run 1 only, so a retry of run 1 succeeds.
constexpr char kPipeline[] = R"(
id: retried
tasks:
  - id: upstream
    image: busybox
    script: echo "upstream in run $GOFER_RUN"
  - id: side
    image: busybox
    depends_on: {upstream: success}
    script: echo "side in run $GOFER_RUN"
  - id: middle
    image: busybox
    depends_on: {upstream: success}
    script: echo "middle in run $GOFER_RUN"; test "$GOFER_RUN" -gt 1
  - id: downstream
    image: busybox
    depends_on: {middle: success}
    script: echo "downstream in run $GOFER_RUN"
)";

grpc::Status Retry(Stack& stack, int64_t run_id, bool failed_only, gofer::v1::Run* out) {
  gofer::v1::RetryRunRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id("retried");
  request.set_run_id(run_id);
  request.set_failed_only(failed_only);
  auto context = stack.Context();
  return stack.queue().RetryRun(context.get(), request, out);
}

TEST_CASE("Retrying a failed run runs every task again, or only the failed ones and below") {
  Stack stack;
  const auto first = stack.StartRun(kPipeline);
  const auto failed = stack.WaitForRun("retried", first.run_id());
  REQUIRE(failed.status() == gofer::v1::RUN_STATUS_FAILED);
  {
    auto tasks = stack.Tasks("retried", first.run_id());
    CHECK(tasks["middle"].status() == TASK_EXECUTION_STATUS_FAILED);
    CHECK(tasks["downstream"].status() == TASK_EXECUTION_STATUS_SKIPPED);
  }

  {
    // Failed only: successful tasks outside the failure's descendants are reused.
    gofer::v1::Run retry;
    grpc::Status status = Retry(stack, first.run_id(), /*failed_only=*/true, &retry);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(retry.run_id() == first.run_id() + 1);
    CHECK(retry.retry_of() == first.run_id());
    CHECK(retry.initiator().reason() == "retry of run 1 (failed tasks only)");
    const auto done = stack.WaitForRun("retried", retry.run_id());
    INFO(done.DebugString());
    CHECK(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
    auto tasks = stack.Tasks("retried", retry.run_id());
    const auto events = RunEvents(stack, "retried", retry.run_id());
    for (const char* reused : {"upstream", "side"}) {
      INFO(reused << ": " << tasks[reused].DebugString());
      CHECK(tasks[reused].reused());
      CHECK(tasks[reused].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
      CHECK(tasks[reused].exit_code() == 0);
      // Not run again: never dispatched in this run, so no output of this run either.
      CHECK(CountEvents(events, "task.starting", reused) == 0);
      for (const auto& line : stack.Logs("retried", retry.run_id(), reused)) {
        CHECK(line.text() != std::string(reused) + " in run 2");
      }
    }
    for (const char* again : {"middle", "downstream"}) {
      INFO(again << ": " << tasks[again].DebugString());
      CHECK_FALSE(tasks[again].reused());
      CHECK(tasks[again].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
      CHECK(tasks[again].attempts_size() == 1);
      CHECK(CountEvents(events, "task.starting", again) == 1);
      auto logs = stack.Logs("retried", retry.run_id(), again);
      REQUIRE(logs.size() == 1);
      CHECK(logs[0].text() == std::string(again) + " in run 2");
    }
    // Nothing failed in the retry: retrying its failed tasks is refused.
    gofer::v1::Run none;
    CHECK(Retry(stack, retry.run_id(), true, &none).error_code() ==
          grpc::StatusCode::FAILED_PRECONDITION);
  }

  {
    // All: every task runs again (here after the failed-only retry, as run 3).
    gofer::v1::Run retry;
    grpc::Status status = Retry(stack, first.run_id(), /*failed_only=*/false, &retry);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(retry.retry_of() == first.run_id());
    CHECK(retry.initiator().reason() == "retry of run 1");
    const auto done = stack.WaitForRun("retried", retry.run_id());
    CHECK(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
    auto tasks = stack.Tasks("retried", retry.run_id());
    REQUIRE(tasks.size() == 4);
    for (const auto& [id, task] : tasks) {
      INFO(id << ": " << task.DebugString());
      CHECK_FALSE(task.reused());
      CHECK(task.status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
      CHECK(task.attempts_size() == 1);
      auto logs = stack.Logs("retried", retry.run_id(), id);
      REQUIRE(logs.size() == 1);
      CHECK(logs[0].text() == id + " in run " + std::to_string(retry.run_id()));
    }
  }
}

TEST_CASE("Retrying a run that has not finished is refused") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: retried
tasks:
  - id: sleeper
    image: busybox
    script: sleep 30
)");
  gofer::v1::Run retry;
  grpc::Status status = Retry(stack, run.run_id(), false, &retry);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(), Catch::Matchers::Contains("only a finished run"));
  status = Retry(stack, run.run_id(), true, &retry);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(Retry(stack, run.run_id() + 100, false, &retry).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  // No run was added.
  gofer::v1::GetRunRequest get;
  get.set_namespace_id(kNamespace);
  get.set_pipeline_id("retried");
  get.set_run_id(run.run_id() + 1);
  gofer::v1::Run missing;
  auto context = stack.Context();
  CHECK(stack.queue().GetRun(context.get(), get, &missing).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  gofer::v1::CancelRunRequest cancel;
  cancel.set_namespace_id(kNamespace);
  cancel.set_pipeline_id("retried");
  cancel.set_run_id(run.run_id());
  cancel.mutable_grace_period()->set_seconds(1);
  gofer::v1::Run cancelled;
  auto cancel_context = stack.Context();
  REQUIRE(stack.queue().CancelRun(cancel_context.get(), cancel, &cancelled).ok());
  stack.WaitForRun("retried", run.run_id());
}

}  // namespace
}  // namespace gofer::run_queue::testing
