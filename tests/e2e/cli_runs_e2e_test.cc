// `gofer run` and `gofer task` as processes against a real stack: an api-gateway process
// forwarding RunService and TaskService to a run-queue replica, with the scheduler (local
// backend: tasks run as real processes), object-store and secret-store (run_queue::testing::Stack)
// over the test Postgres and Redis. Pipelines are registered and deployed with the CLI too.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_gateway.h"
#include "gofer/testing/status.h"
#include "stack.h"

namespace gofer {
namespace {

using e2e::CliResult;
using e2e::Gateway;
using e2e::ParseJson;
using run_queue::testing::Stack;

// Two tasks: greet echoes a line, then reply echoes one line to stdout and one to stderr.
constexpr char kHello[] = R"(id: hello
tasks:
  - id: greet
    image: busybox
    script: echo "hello from greet"
  - id: reply
    image: busybox
    depends_on: {greet: success}
    script: echo "reply to greet"; echo "a warning" >&2
)";

// build fails with exit code 3, so publish is skipped.
constexpr char kBroken[] = R"(id: broken
tasks:
  - id: build
    image: busybox
    script: echo building; exit 3
  - id: publish
    image: busybox
    depends_on: {build: success}
    script: echo never
)";

// One task that runs for five minutes unless cancelled.
constexpr char kSlow[] = R"(id: slow
tasks:
  - id: wait
    image: busybox
    script: sleep 300
)";

// A run-queue stack and a gateway process in front of it, with an admin token saved.
struct CliOverStack {
  Stack stack;
  Gateway gateway{{.run_queue_address = stack.replica_address(),
                   .internal_credential = run_queue::testing::kCredential,
                   .events_schema = stack.events_schema().name()}};

  CliOverStack() { gateway.Bootstrap(); }

  // Registers the pipeline `yaml` and deploys its version 1 with the CLI.
  void Deploy(const std::string& id, const std::string& yaml) {
    gateway.MustRun({"pipeline", "register", gateway.WriteFile(id + ".yaml", yaml)});
    gateway.MustRun({"deploy", id, "1"});
  }

  // `gofer -o json run get PIPELINE RUN`.
  nlohmann::json GetRun(const std::string& pipeline, int64_t run) {
    return ParseJson(gateway.MustRun({"-o", "json", "run", "get", pipeline, std::to_string(run)}));
  }

  // Polls `run get` until `done` holds (REQUIREs it within a minute); returns the run.
  template <typename Done>
  nlohmann::json PollRun(const std::string& pipeline, int64_t run, Done done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    nlohmann::json got = GetRun(pipeline, run);
    while (!done(got) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
      got = GetRun(pipeline, run);
    }
    INFO(got.dump(2));
    REQUIRE(done(got));
    return got;
  }

  // Starts a run with --watch and returns what it printed and its exit code.
  CliResult StartAndWatch(const std::string& pipeline) {
    return gateway.Run({"run", "start", pipeline, "--watch"}, {}, absl::Seconds(120));
  }
};

bool Complete(const nlohmann::json& run) { return run["state"] == "RUN_STATE_COMPLETE"; }

TEST_CASE("run start --watch follows a two-task run to success, exits 0 and summarises it") {
  CliOverStack s;
  s.Deploy("hello", kHello);
  const CliResult watched = s.StartAndWatch("hello");
  INFO(watched.output);
  CHECK(watched.exit_code == 0);
  CHECK(watched.output.find("started run 1 of 'hello' (version 1)") != std::string::npos);
  // Not a terminal: a line per state change, then the summary table.
  CHECK(watched.output.find("greet: successful, exit 0") != std::string::npos);
  CHECK(watched.output.find("run 1 of 'hello' successful in ") != std::string::npos);
  CHECK(watched.output.find("TASK   STATE       EXIT  ATTEMPT  DURATION") != std::string::npos);
  CHECK(watched.output.find("reply  successful  0     1") != std::string::npos);
  CHECK(watched.output.find("\x1b[") == std::string::npos);
}

TEST_CASE("run get -o json reads SUCCESSFUL and task logs prints the echoed lines") {
  CliOverStack s;
  s.Deploy("hello", kHello);
  const nlohmann::json started =
      ParseJson(s.gateway.MustRun({"-o", "json", "run", "start", "hello", "--reason", "e2e"}));
  CHECK(started["run_id"] == "1");
  const nlohmann::json run = s.PollRun("hello", 1, Complete);
  CHECK(run["status"] == "RUN_STATUS_SUCCESSFUL");
  CHECK(run["initiator"]["reason"] == "e2e");

  // (The harness captures output line by line: the last newline is not kept.)
  CHECK(s.gateway.MustRun({"task", "logs", "hello", "1", "greet"}) == "hello from greet");
  // stderr lines go to stderr: only the stdout line is left when stderr is discarded.
  const CliResult stdout_only =
      s.gateway.RunShell("\"$GOFER\" task logs hello 1 reply 2>/dev/null");
  CHECK(stdout_only.exit_code == 0);
  CHECK(stdout_only.output == "reply to greet");
  const std::string both = s.gateway.MustRun({"task", "logs", "hello", "1", "reply"});
  CHECK(both.find("reply to greet") != std::string::npos);
  CHECK(both.find("a warning") != std::string::npos);
  CHECK(s.gateway.MustRun({"task", "logs", "hello", "1", "reply", "--since", "1", "-f"})
            .find("reply to greet") == std::string::npos);

  const std::string table = s.gateway.MustRun({"run", "get", "hello", "1"});
  CHECK(table.find("status:      successful") != std::string::npos);
  CHECK(table.find("version:     1") != std::string::npos);
  const std::string task = s.gateway.MustRun({"task", "get", "hello", "1", "greet"});
  CHECK(task.find("ATTEMPT  STATUS") != std::string::npos);
  const nlohmann::json runs =
      ParseJson(s.gateway.MustRun({"-o", "json", "run", "list", "hello", "--state", "complete"}));
  CHECK(runs["runs"].size() == 1);
}

TEST_CASE("A failing task's reason shows in run get and run start --watch exits 1") {
  CliOverStack s;
  s.Deploy("broken", kBroken);
  const CliResult watched = s.StartAndWatch("broken");
  INFO(watched.output);
  CHECK(watched.exit_code == 1);
  CHECK(watched.output.find("run 1 of 'broken' failed") != std::string::npos);
  CHECK(watched.output.find("build: failed, exit 3") != std::string::npos);

  const std::string got = s.gateway.MustRun({"run", "get", "broken", "1"});
  INFO(got);
  CHECK(got.find("status:      failed") != std::string::npos);
  CHECK(got.find("reason:      ") != std::string::npos);
  // The task table carries build's exit code and its reason, and publish as skipped.
  CHECK(got.find("build    failed   3") != std::string::npos);
  CHECK(got.find("abnormal exit") != std::string::npos);
  CHECK(got.find("publish  skipped") != std::string::npos);
  CHECK(s.gateway.MustRun({"task", "logs", "broken", "1", "build"}) == "building");
}

TEST_CASE("run timeline prints a row per task and run dump archives the run with every log") {
  CliOverStack s;
  s.Deploy("hello", kHello);
  REQUIRE(s.StartAndWatch("hello").exit_code == 0);

  const std::string timeline = s.gateway.MustRun({"run", "timeline", "hello", "1"});
  INFO(timeline);
  // Both tasks ran, one after the other: both are on the critical path.
  CHECK(timeline.find("* greet  ") != std::string::npos);
  CHECK(timeline.find("* reply  ") != std::string::npos);
  CHECK(timeline.find("█") != std::string::npos);
  CHECK(timeline.find("critical path") != std::string::npos);

  const std::string archive = s.gateway.dir() + "/hello-1.tar.gz";
  const std::string dumped = s.gateway.MustRun({"run", "dump", "hello", "1", "-f", archive});
  CHECK(dumped.find("wrote " + archive) != std::string::npos);
  auto tar = testing::ChildProcess::Start({"tar", "tzf", archive});
  GOFER_REQUIRE_OK(tar);
  auto code = (*tar)->Wait(absl::Seconds(30));
  GOFER_REQUIRE_OK(code);
  const std::string listing = (*tar)->output();
  INFO(listing);
  CHECK(*code == 0);
  for (const char* file :
       {"hello-run-1/run.json", "hello-run-1/config.json", "hello-run-1/tasks.json",
        "hello-run-1/events.json", "hello-run-1/logs/greet/attempt-1.log",
        "hello-run-1/logs/reply/attempt-1.log"}) {
    CHECK(listing.find(file) != std::string::npos);
  }
}

TEST_CASE("run cancel of a long-running run makes it cancelled") {
  CliOverStack s;
  s.Deploy("slow", kSlow);
  s.gateway.MustRun({"run", "start", "slow"});
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  nlohmann::json tasks;
  do {
    tasks = ParseJson(s.gateway.MustRun({"-o", "json", "task", "list", "slow", "1"}));
  } while (tasks["task_executions"][0]["state"] != "TASK_EXECUTION_STATE_RUNNING" &&
           absl::Now() < deadline);
  REQUIRE(tasks["task_executions"][0]["state"] == "TASK_EXECUTION_STATE_RUNNING");

  const std::string cancel =
      s.gateway.MustRun({"run", "cancel", "slow", "1", "--grace", "1s", "--reason", "too slow"});
  CHECK(cancel.find("run 1 of 'slow'") != std::string::npos);
  const nlohmann::json run = s.PollRun("slow", 1, Complete);
  CHECK(run["status"] == "RUN_STATUS_CANCELLED");
  CHECK(s.gateway.MustRun({"run", "get", "slow", "1"}).find("cancelled") != std::string::npos);
}

TEST_CASE("A grace period that is not a duration is a command-line error") {
  Gateway gateway;
  const CliResult result = gateway.Run({"run", "cancel", "slow", "1", "--grace", "soon"});
  INFO(result.output);
  CHECK(result.exit_code == 2);
  CHECK(result.output.find("not a duration") != std::string::npos);
}

}  // namespace
}  // namespace gofer
