// Task logs end to end (F-LOG-1..3) on the real stack (Stack): capture into chunks, reading from
// a line, following a running task, and deleting a finished task's logs.
#include <catch2/catch.hpp>

#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

gofer::v1::TaskLogsRequest LogsRequest(const std::string& pipeline, int64_t run_id,
                                       const std::string& task) {
  gofer::v1::TaskLogsRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(pipeline);
  request.set_run_id(run_id);
  request.set_task_id(task);
  return request;
}

grpc::Status DeleteLogs(Stack& stack, const std::string& pipeline, int64_t run_id,
                        const std::string& task) {
  gofer::v1::DeleteTaskLogsRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(pipeline);
  request.set_run_id(run_id);
  request.set_task_id(task);
  gofer::v1::DeleteTaskLogsResponse response;
  auto context = stack.Context();
  return stack.queue().DeleteTaskLogs(context.get(), request, &response);
}

TEST_CASE("Thousands of lines arrive in order with consecutive numbers, from any line") {
  // Small chunks, so the lines are spread over many of them.
  Stack stack({.run_queue = {{"LOGS_CHUNK_BYTES", "4096"}}});
  const auto run = stack.StartRun(R"(
id: many-lines
tasks:
  - id: counter
    image: busybox
    script: seq 1 5000; echo "to stderr" >&2
)");
  const auto done = stack.WaitForRun("many-lines", run.run_id());
  REQUIRE(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  auto lines = stack.Logs("many-lines", run.run_id(), "counter");
  REQUIRE(lines.size() == 5001);
  int out_of_order = 0;
  for (int i = 0; i < 5000; ++i) {
    if (lines[i].line() != i || lines[i].text() != std::to_string(i + 1) ||
        lines[i].stream() != gofer::v1::LOG_STREAM_STDOUT) {
      ++out_of_order;
    }
  }
  CHECK(out_of_order == 0);
  CHECK(lines[5000].line() == 5000);
  CHECK(lines[5000].text() == "to stderr");
  CHECK(lines[5000].stream() == gofer::v1::LOG_STREAM_STDERR);

  // From a line in the middle of a chunk.
  for (int64_t from : {0, 1, 2345, 4990, 5000}) {
    INFO("from_line " << from);
    auto request = LogsRequest("many-lines", run.run_id(), "counter");
    request.set_from_line(from);
    std::vector<gofer::v1::TaskLogLine> tail;
    grpc::Status status = stack.ReadLogs(request, &tail);
    INFO(status.error_message());
    REQUIRE(status.ok());
    REQUIRE(tail.size() == static_cast<size_t>(5001 - from));
    CHECK(tail.front().line() == from);
    CHECK(tail.back().line() == 5000);
  }
  // Past the end: nothing, not an error.
  auto past = LogsRequest("many-lines", run.run_id(), "counter");
  past.set_from_line(6000);
  std::vector<gofer::v1::TaskLogLine> none;
  REQUIRE(stack.ReadLogs(past, &none).ok());
  CHECK(none.empty());
}

TEST_CASE("Following a running task's logs streams its lines and ends when it ends") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: follow
tasks:
  - id: talker
    image: busybox
    script: echo first; sleep 2; echo second; sleep 1; echo last
)");
  stack.WaitForTask("follow", run.run_id(), "talker", [](const gofer::v1::TaskExecution& t) {
    return t.state() == gofer::v1::TASK_EXECUTION_STATE_RUNNING;
  });
  // Its logs cannot be deleted while it runs.
  grpc::Status refused = DeleteLogs(stack, "follow", run.run_id(), "talker");
  CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);

  auto request = LogsRequest("follow", run.run_id(), "talker");
  request.set_follow(true);
  auto context = stack.Context(absl::Seconds(30));
  auto reader = stack.queue().TaskLogs(context.get(), request);
  std::vector<std::string> texts;
  std::vector<gofer::v1::TaskExecutionState> state_at_line;
  gofer::v1::TaskLogsResponse message;
  while (reader->Read(&message)) {
    for (const auto& line : message.lines()) {
      CHECK(line.line() == static_cast<int64_t>(texts.size()));
      texts.push_back(line.text());
      state_at_line.push_back(stack.Tasks("follow", run.run_id())["talker"].state());
    }
  }
  grpc::Status status = reader->Finish();
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(texts == std::vector<std::string>{"first", "second", "last"});
  // The first line was streamed while the task still ran.
  REQUIRE(!state_at_line.empty());
  CHECK(state_at_line[0] != gofer::v1::TASK_EXECUTION_STATE_COMPLETE);
  // The stream ended because the task did.
  CHECK(stack.Tasks("follow", run.run_id())["talker"].state() ==
        gofer::v1::TASK_EXECUTION_STATE_COMPLETE);
}

TEST_CASE("Deleting a finished task's logs leaves it without logs") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: delete-logs
tasks:
  - id: noisy
    image: busybox
    script: echo one; echo two
  - id: kept
    image: busybox
    script: echo kept
)");
  const auto done = stack.WaitForRun("delete-logs", run.run_id());
  REQUIRE(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  REQUIRE(stack.Logs("delete-logs", run.run_id(), "noisy").size() == 2);

  grpc::Status status = DeleteLogs(stack, "delete-logs", run.run_id(), "noisy");
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(stack.Logs("delete-logs", run.run_id(), "noisy").empty());
  // Only that task's.
  CHECK(stack.Logs("delete-logs", run.run_id(), "kept").size() == 1);
  // Deleting again is harmless.
  CHECK(DeleteLogs(stack, "delete-logs", run.run_id(), "noisy").ok());
  CHECK(DeleteLogs(stack, "delete-logs", run.run_id(), "absent").error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace gofer::run_queue::testing
