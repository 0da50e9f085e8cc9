// Chaos tests of the run-queue (ARCHITECTURE.md, reliability targets): a workload of runs on two
// replicas survives one replica killed with SIGKILL, and Redis losing the ready queue and every
// lease, without losing a run and without starting any task attempt twice. The scheduler is the
// noop backend: its journal records every container it ever started, by name (one name per
// task attempt), so a second start of an attempt would show as a duplicate line.
#include <signal.h>

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gofer/redis/client.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

// fetch → (build, notify-failure): notify-failure only runs when build fails, so with every
// container exiting 0 it is skipped and the run succeeds.
constexpr char kPipeline[] = R"(
id: chaos
tasks:
  - id: fetch
    image: busybox
    command: [fetch]
  - id: build
    image: busybox
    depends_on: {fetch: success}
    command: [build]
  - id: notify-failure
    image: busybox
    depends_on: {build: failure}
    command: [notify]
)";

constexpr int kRuns = 60;

std::vector<int64_t> StartWorkload(Stack& stack) {
  std::vector<int64_t> ids;
  for (int i = 0; i < kRuns; ++i) {
    ids.push_back(stack.StartRun(kPipeline, {}, i % stack.replicas()).run_id());
  }
  return ids;
}

// Every run completed with the right status, every task with exactly one attempt, and the
// scheduler started each attempt's container exactly once.
void CheckWorkload(Stack& stack, const std::vector<int64_t>& ids) {
  for (int64_t id : ids) {
    INFO("run " << id);
    const auto run = stack.WaitForRun("chaos", id, absl::Seconds(120));
    CHECK(run.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
    auto tasks = stack.Tasks("chaos", id);
    REQUIRE(tasks.size() == 3);
    for (const char* ran : {"fetch", "build"}) {
      INFO(ran);
      CHECK(tasks[ran].status() == gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL);
      CHECK(tasks[ran].attempt() == 1);
      CHECK(tasks[ran].attempts_size() == 1);
    }
    CHECK(tasks["notify-failure"].status() == gofer::v1::TASK_EXECUTION_STATUS_SKIPPED);
  }
  const std::vector<std::string> journal = stack.Journal();
  std::map<std::string, int> starts;
  for (const std::string& name : journal) {
    ++starts[name];
  }
  for (const auto& [name, count] : starts) {
    INFO(name);
    CHECK(count == 1);
  }
  // fetch and build of every run, attempt 1 each, and nothing else.
  CHECK(starts.size() == ids.size() * 2);
  for (int64_t id : ids) {
    for (const char* task : {"fetch", "build"}) {
      CHECK(starts.count(absl::StrCat("gofer-test-chaos-", id, "-", task, "-1")) == 1);
    }
  }
}

TEST_CASE("A replica killed with SIGKILL mid-workload loses no run and starts no attempt twice") {
  Stack stack({.backend = "noop",
               .noop_run_time = "400ms",
               .replicas = 2,
               .run_queue = {{"LEASE_TTL", "3s"}}});
  const std::vector<int64_t> ids = StartWorkload(stack);
  // Let both replicas take runs and start containers, then kill one without warning.
  absl::SleepFor(absl::Milliseconds(700));
  stack.KillReplica(0, SIGKILL);
  CheckWorkload(stack, ids);
  // The survivor took the dead replica's runs over: some runs were leased twice, with a higher
  // epoch the second time.
  int taken_over = 0;
  for (int64_t id : ids) {
    if (stack.GetRun("chaos", id).lease_epoch() > 1) {
      ++taken_over;
    }
  }
  CHECK(taken_over > 0);
}

TEST_CASE("Redis losing the ready queue and every lease mid-workload loses nothing") {
  Stack stack({.backend = "noop", .noop_run_time = "300ms", .replicas = 2});
  const std::vector<int64_t> ids = StartWorkload(stack);
  absl::SleepFor(absl::Milliseconds(600));
  {
    auto conn = redis::Connection::Open(stack.redis().options());
    REQUIRE(conn.ok());
    // FLUSHDB: the stack's own database (FLUSHALL would also wipe concurrently running tests).
    REQUIRE((*conn)->Command({"FLUSHDB"}).ok());
  }
  CheckWorkload(stack, ids);
}

}  // namespace
}  // namespace gofer::run_queue::testing
