// Dependency conditions end to end (F-RUN-2): which children of a successful, failed, skipped or
// cancelled parent run, and how skips propagate, on the real stack (Stack).
#include <catch2/catch.hpp>

#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using Catch::Matchers::Contains;
using gofer::v1::STATUS_REASON_KIND_DEPENDENCY_NOT_MET;
using gofer::v1::TASK_EXECUTION_STATUS_FAILED;
using gofer::v1::TASK_EXECUTION_STATUS_SKIPPED;
using gofer::v1::TASK_EXECUTION_STATUS_SUCCESSFUL;

TEST_CASE("Each dependency condition runs or skips the child according to its parent's status") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: conditions
tasks:
  - id: good
    image: busybox
    script: echo good
  - id: bad
    image: busybox
    script: exit 4
  - id: good-success
    image: busybox
    depends_on: {good: success}
    script: echo ran
  - id: good-failure
    image: busybox
    depends_on: {good: failure}
    script: echo never
  - id: good-any
    image: busybox
    depends_on: {good: any}
    script: echo ran
  - id: bad-success
    image: busybox
    depends_on: {bad: success}
    script: echo never
  - id: bad-failure
    image: busybox
    depends_on: {bad: failure}
    script: echo ran
  - id: bad-any
    image: busybox
    depends_on: {bad: any}
    script: echo ran
  - id: skipped-any
    image: busybox
    depends_on: {bad-success: any}
    script: echo ran
  - id: mixed
    image: busybox
    depends_on: {good: success, bad: failure}
    script: echo ran
)");
  const auto done = stack.WaitForRun("conditions", run.run_id());
  CHECK(done.status() == gofer::v1::RUN_STATUS_FAILED);
  CHECK_THAT(done.status_reason().description(), Contains("'bad'"));
  auto tasks = stack.Tasks("conditions", run.run_id());
  REQUIRE(tasks.size() == 10);
  CHECK(tasks["good"].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  CHECK(tasks["bad"].status() == TASK_EXECUTION_STATUS_FAILED);
  for (const char* ran :
       {"good-success", "good-any", "bad-failure", "bad-any", "skipped-any", "mixed"}) {
    INFO(ran << ": " << tasks[ran].DebugString());
    CHECK(tasks[ran].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
    CHECK(tasks[ran].attempts_size() == 1);
  }
  for (const char* skipped : {"good-failure", "bad-success"}) {
    INFO(skipped << ": " << tasks[skipped].DebugString());
    CHECK(tasks[skipped].status() == TASK_EXECUTION_STATUS_SKIPPED);
    CHECK(tasks[skipped].reason().kind() == STATUS_REASON_KIND_DEPENDENCY_NOT_MET);
    // A skipped task never had a container.
    CHECK(tasks[skipped].attempts_size() == 0);
    CHECK_FALSE(tasks[skipped].phases().has_started());
  }
  CHECK(tasks["good-failure"].reason().description() ==
        "parent 'good' succeeded; condition 'failure' requires it to fail");
  CHECK(tasks["bad-success"].reason().description() ==
        "parent 'bad' failed; condition 'success' requires it to succeed");
  // The `any` child of a skipped parent ran after the parent was skipped.
  CHECK(stack.Logs("conditions", run.run_id(), "skipped-any").size() == 1);
}

TEST_CASE("A skip propagates through several levels, each naming its unmet parent") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: propagate
tasks:
  - id: root
    image: busybox
    script: exit 1
  - id: level1
    image: busybox
    depends_on: {root: success}
    script: echo never
  - id: level2
    image: busybox
    depends_on: {level1: success}
    script: echo never
  - id: level3
    image: busybox
    depends_on: {level2: failure}
    script: echo never
  - id: level4
    image: busybox
    depends_on: {level3: success, root: failure}
    script: echo never
  - id: cleanup
    image: busybox
    depends_on: {level4: any}
    script: echo cleaning
)");
  const auto done = stack.WaitForRun("propagate", run.run_id());
  CHECK(done.status() == gofer::v1::RUN_STATUS_FAILED);
  auto tasks = stack.Tasks("propagate", run.run_id());
  for (const char* id : {"level1", "level2", "level3", "level4"}) {
    INFO(id << ": " << tasks[id].DebugString());
    CHECK(tasks[id].status() == TASK_EXECUTION_STATUS_SKIPPED);
    CHECK(tasks[id].reason().kind() == STATUS_REASON_KIND_DEPENDENCY_NOT_MET);
    CHECK(tasks[id].attempts_size() == 0);
  }
  CHECK(tasks["level1"].reason().description() ==
        "parent 'root' failed; condition 'success' requires it to succeed");
  CHECK(tasks["level2"].reason().description() ==
        "parent 'level1' was skipped; condition 'success' requires it to succeed");
  // A skipped parent does not satisfy `failure` either.
  CHECK(tasks["level3"].reason().description() ==
        "parent 'level2' was skipped; condition 'failure' requires it to fail");
  // Only the unmet parent is named (root failed, as `failure` asks).
  CHECK(tasks["level4"].reason().description() ==
        "parent 'level3' was skipped; condition 'success' requires it to succeed");
  CHECK(tasks["cleanup"].status() == TASK_EXECUTION_STATUS_SUCCESSFUL);
  auto logs = stack.Logs("propagate", run.run_id(), "cleanup");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].text() == "cleaning");
}

}  // namespace
}  // namespace gofer::run_queue::testing
