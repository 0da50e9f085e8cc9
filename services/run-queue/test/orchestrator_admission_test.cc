// Admission and retention end to end on the real stack (Stack): a pipeline's parallelism limit
// (runs wait, saying why) and the expiry of old runs' logs (F-LOG-3).
#include <catch2/catch.hpp>

#include <algorithm>

#include "gofer/rpc/proto_time.h"
#include "gofer/testing/eventually.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("With parallelism 1 runs of a pipeline run one at a time, the others waiting") {
  Stack stack;
  const std::string yaml = R"(
id: serial
parallelism: 1
tasks:
  - id: nap
    image: busybox
    script: sleep 1
)";
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(stack.StartRun(yaml).run_id());
  }
  // The last run waits while an earlier one runs, and says why.
  std::string waiting_reason;
  REQUIRE(gofer::testing::Eventually(
      [&] {
        const auto run = stack.GetRun("serial", ids[2]);
        waiting_reason = run.waiting_reason();
        return run.state() == gofer::v1::RUN_STATE_PENDING && !waiting_reason.empty();
      },
      absl::Seconds(20), absl::Milliseconds(20)));
  CHECK_THAT(waiting_reason, Contains("parallelism 1"));

  std::vector<gofer::v1::Run> done;
  for (int64_t id : ids) {
    done.push_back(stack.WaitForRun("serial", id, absl::Seconds(60)));
  }
  for (const auto& run : done) {
    INFO(run.DebugString());
    CHECK(run.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
    CHECK(run.waiting_reason().empty());
  }
  // No two runs were running at the same time.
  std::sort(done.begin(), done.end(), [](const gofer::v1::Run& a, const gofer::v1::Run& b) {
    return rpc::FromTimestamp(a.started()) < rpc::FromTimestamp(b.started());
  });
  for (size_t i = 1; i < done.size(); ++i) {
    INFO("run " << done[i].run_id() << " after run " << done[i - 1].run_id());
    CHECK(rpc::FromTimestamp(done[i].started()) >= rpc::FromTimestamp(done[i - 1].ended()));
  }
  // Admitted in the order they were started.
  CHECK(done[0].run_id() == ids[0]);
  CHECK(done[1].run_id() == ids[1]);
  CHECK(done[2].run_id() == ids[2]);
}

// True when the task's logs are gone: no lines, or the stored chunks are gone (NOT_FOUND).
bool LogsGone(Stack& stack, const std::string& pipeline, int64_t run_id, const std::string& task) {
  gofer::v1::TaskLogsRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(pipeline);
  request.set_run_id(run_id);
  request.set_task_id(task);
  std::vector<gofer::v1::TaskLogLine> lines;
  grpc::Status status = stack.ReadLogs(request, &lines);
  return lines.empty() && (status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("Only the logs of a pipeline's newest runs are kept") {
  Stack stack({.run_queue = {{"RETENTION_RUNS_KEPT", "2"}}});
  const std::string yaml = R"(
id: retention
tasks:
  - id: say
    image: busybox
    script: echo "run $GOFER_RUN"
)";
  for (int64_t id = 1; id <= 4; ++id) {
    const auto run = stack.StartRun(yaml);
    REQUIRE(run.run_id() == id);
    REQUIRE(stack.WaitForRun("retention", id).status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
    REQUIRE(stack.Logs("retention", id, "say").size() == 1);
  }
  // Expiry follows the completion of a run.
  CHECK(gofer::testing::Eventually([&] { return LogsGone(stack, "retention", 1, "say"); },
                                   absl::Seconds(20), absl::Milliseconds(50)));
  CHECK(gofer::testing::Eventually([&] { return LogsGone(stack, "retention", 2, "say"); },
                                   absl::Seconds(20), absl::Milliseconds(50)));
  for (int64_t kept : {3, 4}) {
    INFO("run " << kept);
    auto logs = stack.Logs("retention", kept, "say");
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].text() == "run " + std::to_string(kept));
  }
  // The runs themselves stay.
  CHECK(stack.GetRun("retention", 1).status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
}

}  // namespace
}  // namespace gofer::run_queue::testing
