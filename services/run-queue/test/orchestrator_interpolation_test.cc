// Variables and their interpolations end to end (F-RUN-8, F-LOG-2) on the real stack (Stack):
// secrets from the secret-store (redacted in logs), pipeline objects from the object-store, and
// what happens when one is missing.
#include <catch2/catch.hpp>

#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using Catch::Matchers::Contains;

std::map<std::string, std::string> LogTexts(const std::vector<gofer::v1::TaskLogLine>& lines) {
  std::map<std::string, std::string> out;
  for (const auto& line : lines) {
    const size_t eq = line.text().find('=');
    if (eq != std::string::npos) {
      out[line.text().substr(0, eq)] = line.text().substr(eq + 1);
    }
  }
  return out;
}

TEST_CASE("Secrets and pipeline objects are resolved into variables and secrets are redacted") {
  Stack stack;
  stack.PutSecret("interp", "token", "s3cr3t-t0ken-value");
  stack.PutPipelineObject("interp", "greeting", "hello from an object");
  const auto run = stack.StartRun(R"(
id: interp
tasks:
  - id: show
    image: busybox
    variables:
      TOKEN: pipeline_secret{{token}}
      GREETING: pipeline_object{{greeting}}
      PLAIN: literal text
      WHO: the task
    script: |
      echo "token=$TOKEN"
      echo "embedded=before-${TOKEN}-after"
      echo "greeting=$GREETING"
      echo "plain=$PLAIN"
      echo "who=$WHO"
      echo "attempt=$GOFER_TASK_ATTEMPT"
      echo "pipeline=$GOFER_PIPELINE"
)",
                                  {{"WHO", "the run"}});
  const auto done = stack.WaitForRun("interp", run.run_id());
  INFO(done.DebugString());
  REQUIRE(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  auto lines = stack.Logs("interp", run.run_id(), "show");
  for (const auto& line : lines) {
    INFO(line.text());
    CHECK(line.text().find("s3cr3t-t0ken-value") == std::string::npos);
  }
  auto vars = LogTexts(lines);
  CHECK(vars["token"] == "[redacted]");
  CHECK(vars["embedded"] == "before-[redacted]-after");
  CHECK(vars["greeting"] == "hello from an object");
  CHECK(vars["plain"] == "literal text");
  // Run variables win over the task's.
  CHECK(vars["who"] == "the run");
  CHECK(vars["attempt"] == "1");
  CHECK(vars["pipeline"] == "interp");
}

TEST_CASE("A missing secret fails the task with reason failed_precondition, without a retry") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: missing
tasks:
  - id: needs-secret
    image: busybox
    retries: {attempts: 3, on: any}
    variables:
      DB_PASSWORD: pipeline_secret{{db-password}}
    script: echo "never $DB_PASSWORD"
  - id: after
    image: busybox
    depends_on: {needs-secret: success}
    script: echo never
)");
  const auto done = stack.WaitForRun("missing", run.run_id());
  INFO(done.DebugString());
  CHECK(done.status() == gofer::v1::RUN_STATUS_FAILED);
  CHECK(done.status_reason().kind() == gofer::v1::STATUS_REASON_KIND_FAILED_PRECONDITION);
  auto tasks = stack.Tasks("missing", run.run_id());
  const auto& task = tasks["needs-secret"];
  INFO(task.DebugString());
  CHECK(task.status() == gofer::v1::TASK_EXECUTION_STATUS_FAILED);
  CHECK(task.reason().kind() == gofer::v1::STATUS_REASON_KIND_FAILED_PRECONDITION);
  CHECK_THAT(task.reason().description(), Contains("DB_PASSWORD"));
  CHECK(task.attempt() == 1);
  REQUIRE(task.attempts_size() == 1);
  CHECK(task.attempts(0).reason().kind() == gofer::v1::STATUS_REASON_KIND_FAILED_PRECONDITION);
  // No container ran.
  CHECK_FALSE(task.phases().has_started());
  CHECK(stack.Logs("missing", run.run_id(), "needs-secret").empty());
  CHECK(tasks["after"].status() == gofer::v1::TASK_EXECUTION_STATUS_SKIPPED);
}

TEST_CASE("A missing pipeline object fails the task with reason failed_precondition") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: missing-object
tasks:
  - id: needs-object
    image: busybox
    variables:
      CONFIG: pipeline_object{{settings}}
    script: echo "never $CONFIG"
)");
  const auto done = stack.WaitForRun("missing-object", run.run_id());
  CHECK(done.status() == gofer::v1::RUN_STATUS_FAILED);
  auto task = stack.Tasks("missing-object", run.run_id())["needs-object"];
  INFO(task.DebugString());
  CHECK(task.reason().kind() == gofer::v1::STATUS_REASON_KIND_FAILED_PRECONDITION);
  CHECK_THAT(task.reason().description(), Contains("CONFIG"));
  CHECK_THAT(task.reason().description(), Contains("settings"));
  CHECK(task.attempts_size() == 1);
}

}  // namespace
}  // namespace gofer::run_queue::testing
