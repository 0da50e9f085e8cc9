// The words, durations, reasons and tables that the run and task commands print.
#include "run_view.h"

#include <catch2/catch.hpp>

#include <sstream>

#include "gofer/rpc/proto_time.h"

namespace gofer::cli {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

gofer::v1::TaskExecution FailedTask() {
  gofer::v1::TaskExecution t;
  t.set_task_id("build");
  t.set_attempt(1);
  t.set_state(gofer::v1::TASK_EXECUTION_STATE_COMPLETE);
  t.set_status(gofer::v1::TASK_EXECUTION_STATUS_FAILED);
  t.set_exit_code(3);
  t.mutable_reason()->set_kind(gofer::v1::STATUS_REASON_KIND_ABNORMAL_EXIT);
  t.mutable_reason()->set_description("the container exited with code 3");
  rpc::ToTimestamp(kT0, t.mutable_phases()->mutable_started());
  rpc::ToTimestamp(kT0 + absl::Milliseconds(4200), t.mutable_phases()->mutable_exited());
  return t;
}

TEST_CASE("Durations read as milliseconds, seconds, minutes or hours") {
  CHECK(HumanDuration(absl::Milliseconds(850)) == "850ms");
  CHECK(HumanDuration(absl::Milliseconds(4210)) == "4.2s");
  CHECK(HumanDuration(absl::Seconds(184)) == "3m04s");
  CHECK(HumanDuration(absl::Minutes(62)) == "1h02m");
  CHECK(HumanDuration(-absl::Seconds(1)) == "0s");
}

TEST_CASE("A task that ran within its clock's resolution took less than a millisecond") {
  gofer::v1::TaskExecution t;
  rpc::ToTimestamp(kT0, t.mutable_phases()->mutable_started());
  rpc::ToTimestamp(kT0, t.mutable_phases()->mutable_exited());
  CHECK(TaskDuration(t, kT0) == "<1ms");
  rpc::ToTimestamp(kT0 + absl::Microseconds(400), t.mutable_phases()->mutable_exited());
  CHECK(TaskDuration(t, kT0) == "<1ms");
  rpc::ToTimestamp(kT0 + absl::Milliseconds(3), t.mutable_phases()->mutable_exited());
  CHECK(TaskDuration(t, kT0) == "3ms");
  CHECK(TaskDuration(gofer::v1::TaskExecution(), kT0) == "-");  // never started
}

TEST_CASE("A task reads as its state while unfinished and as its status once complete") {
  gofer::v1::TaskExecution t;
  t.set_state(gofer::v1::TASK_EXECUTION_STATE_RUNNING);
  CHECK(TaskWord(t) == "running");
  CHECK(TaskWord(FailedTask()) == "failed");
  gofer::v1::Run run;
  run.set_state(gofer::v1::RUN_STATE_PENDING);
  CHECK(RunWord(run) == "pending");
  run.set_state(gofer::v1::RUN_STATE_COMPLETE);
  run.set_status(gofer::v1::RUN_STATUS_CANCELLED);
  CHECK(RunWord(run) == "cancelled");
}

TEST_CASE("A reason reads as its kind in words and its description") {
  CHECK(ReasonText(FailedTask().reason()) == "abnormal exit: the container exited with code 3");
  CHECK(ReasonText(gofer::v1::StatusReason()).empty());
  gofer::v1::StatusReason cancelled;
  cancelled.set_kind(gofer::v1::STATUS_REASON_KIND_CANCELLED);
  cancelled.set_description("cancelled by token:alice");
  CHECK(ReasonText(cancelled) == "cancelled by token:alice");
}

TEST_CASE("The task table shows a failing task's exit code, duration and reason") {
  std::ostringstream out;
  PrintTaskTable(out, {FailedTask()}, /*colour=*/false, kT0 + absl::Minutes(1));
  const std::string text = out.str();
  INFO(text);
  CHECK(text.find("TASK") == 0);
  CHECK(text.find("build  failed  3") != std::string::npos);
  CHECK(text.find("4.2s") != std::string::npos);
  CHECK(text.find("abnormal exit: the container exited with code 3") != std::string::npos);
}

TEST_CASE("Only a successful run is a successful outcome") {
  gofer::v1::Run run;
  run.set_run_id(7);
  run.set_pipeline_id("build");
  run.set_state(gofer::v1::RUN_STATE_COMPLETE);
  run.set_status(gofer::v1::RUN_STATUS_SUCCESSFUL);
  CHECK(RunOutcome(run).ok());
  run.set_status(gofer::v1::RUN_STATUS_FAILED);
  run.mutable_status_reason()->set_description("task 'x' failed");
  const absl::Status failed = RunOutcome(run);
  CHECK(failed.code() == absl::StatusCode::kAborted);
  CHECK(failed.message() == "run 7 of 'build' failed: task 'x' failed");
}

}  // namespace
}  // namespace gofer::cli
