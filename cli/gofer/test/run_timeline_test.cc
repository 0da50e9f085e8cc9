// The text Gantt chart of `gofer run timeline` and its critical path.
#include "run_timeline.h"

#include <catch2/catch.hpp>

#include "gofer/rpc/proto_time.h"
#include "output.h"

namespace gofer::cli {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// A finished task queued at `queued` s, leased 1 s later, started 1 s after that, exited at
// `exited` s (all after kT0).
gofer::v1::TaskExecution Task(const std::string& id, int queued, int exited) {
  gofer::v1::TaskExecution t;
  t.set_task_id(id);
  t.set_attempt(1);
  t.set_state(gofer::v1::TASK_EXECUTION_STATE_COMPLETE);
  t.set_status(gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL);
  auto* p = t.mutable_phases();
  rpc::ToTimestamp(kT0 + absl::Seconds(queued), p->mutable_queued());
  rpc::ToTimestamp(kT0 + absl::Seconds(queued + 1), p->mutable_leased());
  rpc::ToTimestamp(kT0 + absl::Seconds(queued + 2), p->mutable_started());
  rpc::ToTimestamp(kT0 + absl::Seconds(exited), p->mutable_exited());
  return t;
}

// src → {left, right} → join.
gofer::v1::PipelineConfig FanConfig() {
  gofer::v1::PipelineConfig config;
  config.add_tasks()->set_id("src");
  for (const char* id : {"left", "right"}) {
    auto* t = config.add_tasks();
    t->set_id(id);
    (*t->mutable_depends_on())["src"] = gofer::v1::DEPENDENCY_CONDITION_SUCCESS;
  }
  auto* join = config.add_tasks();
  join->set_id("join");
  (*join->mutable_depends_on())["left"] = gofer::v1::DEPENDENCY_CONDITION_SUCCESS;
  (*join->mutable_depends_on())["right"] = gofer::v1::DEPENDENCY_CONDITION_SUCCESS;
  return config;
}

std::vector<gofer::v1::TaskExecution> FanTasks() {
  return {Task("src", 0, 4), Task("left", 4, 8), Task("right", 4, 20), Task("join", 20, 24)};
}

TEST_CASE("The critical path walks back from the last task through the parent that ended last") {
  CHECK(CriticalPath(FanTasks(), FanConfig()) == std::set<std::string>{"src", "right", "join"});
}

TEST_CASE("Without finished tasks there is no critical path") {
  gofer::v1::TaskExecution pending;
  pending.set_task_id("src");
  CHECK(CriticalPath({pending}, FanConfig()).empty());
}

TEST_CASE("The timeline has a row per task with its phases, within the width") {
  const auto lines =
      RenderTimeline(FanTasks(), {"src", "right", "join"}, 80, /*colour=*/false, kT0);
  REQUIRE(lines.size() == 2 + 4 + 2);
  CHECK(lines[0].rfind("0s") != std::string::npos);
  CHECK(lines[0].find("24.0s") != std::string::npos);
  CHECK(lines[2].rfind("* src", 0) == 0);
  CHECK(lines[3].rfind("  left", 0) == 0);
  CHECK(lines[4].rfind("* right", 0) == 0);
  for (const std::string& row : {lines[2], lines[3], lines[4], lines[5]}) {
    INFO(row);
    CHECK(row.find("·") != std::string::npos);
    CHECK(row.find("░") != std::string::npos);
    CHECK(row.find("█") != std::string::npos);
    CHECK(FitWidth(row, 80) == row);
  }
  // right runs (from 6 s to 20 s) far longer than left (6 s to 8 s).
  auto count = [](const std::string& s, const std::string& glyph) {
    size_t n = 0;
    for (size_t at = s.find(glyph); at != std::string::npos; at = s.find(glyph, at + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(count(lines[4], "█") > 4 * count(lines[3], "█"));
  CHECK(lines.back().find("critical path") != std::string::npos);
}

TEST_CASE("A run whose tasks were never queued has no chart") {
  gofer::v1::TaskExecution pending;
  pending.set_task_id("src");
  CHECK(RenderTimeline({pending}, {}, 80, false, kT0) ==
        std::vector<std::string>{"no task has been queued yet"});
}

}  // namespace
}  // namespace gofer::cli
