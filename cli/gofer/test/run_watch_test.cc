// The live view of `gofer run watch` and the lines it appends when stdout is not a terminal.
#include "run_watch.h"

#include <catch2/catch.hpp>

#include "gofer/rpc/proto_time.h"
#include "output.h"

namespace gofer::cli {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

gofer::v1::TaskExecution Task(const std::string& id, gofer::v1::TaskExecutionState state) {
  gofer::v1::TaskExecution t;
  t.set_task_id(id);
  t.set_state(state);
  t.set_attempt(state == gofer::v1::TASK_EXECUTION_STATE_PENDING ? 0 : 1);
  if (state >= gofer::v1::TASK_EXECUTION_STATE_RUNNING) {
    rpc::ToTimestamp(kT0, t.mutable_phases()->mutable_started());
  }
  return t;
}

gofer::v1::Run RunningRun() {
  gofer::v1::Run run;
  run.set_run_id(3);
  run.set_pipeline_id("app");
  run.set_state(gofer::v1::RUN_STATE_RUNNING);
  rpc::ToTimestamp(kT0, run.mutable_started());
  return run;
}

TEST_CASE("The live view shows every task with the last lines of its log, cut to the width") {
  const std::vector<gofer::v1::TaskExecution> tasks = {
      Task("build", gofer::v1::TASK_EXECUTION_STATE_RUNNING),
      Task("publish", gofer::v1::TASK_EXECUTION_STATE_PENDING)};
  const std::map<std::string, std::vector<std::string>> tails = {
      {"build", {"compiling", std::string(200, 'x')}}};
  const auto lines =
      RenderLiveView(RunningRun(), tasks, tails, 60, /*colour=*/true, kT0 + absl::Seconds(2));
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].find("run 3 of 'app'") == 0);
  CHECK(lines[1].find("build") != std::string::npos);
  CHECK(lines[1].find("2.0s") != std::string::npos);
  CHECK(lines[2].find("│ compiling") != std::string::npos);
  CHECK(lines[4].find("publish") != std::string::npos);
  for (const std::string& line : lines) {
    CHECK(FitWidth(line, 59) == line);
  }
}

TEST_CASE("Without a terminal a line is appended for each task state change only") {
  SeenStates seen;
  std::vector<gofer::v1::TaskExecution> tasks = {
      Task("build", gofer::v1::TASK_EXECUTION_STATE_RUNNING),
      Task("publish", gofer::v1::TASK_EXECUTION_STATE_PENDING)};
  const auto first = StateChangeLines(RunningRun(), tasks, "12:00:00", seen);
  REQUIRE(first.size() == 3);
  CHECK(first[0] == "12:00:00 run 3: running");
  CHECK(first[1] == "12:00:00 build: running");
  CHECK(StateChangeLines(RunningRun(), tasks, "12:00:01", seen).empty());

  tasks[0].set_state(gofer::v1::TASK_EXECUTION_STATE_COMPLETE);
  tasks[0].set_status(gofer::v1::TASK_EXECUTION_STATUS_FAILED);
  tasks[0].set_exit_code(2);
  rpc::ToTimestamp(kT0 + absl::Seconds(1), tasks[0].mutable_phases()->mutable_exited());
  tasks[0].mutable_reason()->set_kind(gofer::v1::STATUS_REASON_KIND_ABNORMAL_EXIT);
  const auto changed = StateChangeLines(RunningRun(), tasks, "12:00:02", seen);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == "12:00:02 build: failed, exit 2 (abnormal exit)");
}

TEST_CASE("FitWidth keeps colour codes, counts only visible characters and resets a cut line") {
  CHECK(FitWidth("abcdef", 3) == "abc");
  CHECK(FitWidth("\x1b[32mabcdef\x1b[0m", 3) == "\x1b[32mabc\x1b[0m");
  CHECK(FitWidth("│ ab", 3) == "│ a");
  CHECK(FitWidth("ab", 5) == "ab");
}

}  // namespace
}  // namespace gofer::cli
