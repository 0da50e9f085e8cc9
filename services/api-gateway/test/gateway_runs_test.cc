// RunService and TaskService end to end on real components: an in-process gateway over its own
// Postgres schemas, forwarding to a real run-queue stack (run_queue::testing::Stack: the
// scheduler with its local backend, object-store, secret-store and one run-queue replica as
// processes, over real Postgres and Redis). Pipelines are registered and deployed through the
// gateway; runs are started, followed and read through it as a client would.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "gateway_server.h"
#include "gofer/common/errors.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/status.h"
#include "stack.h"

namespace gofer::api_gateway {
namespace {

using run_queue::testing::Stack;
using testing::GatewayServer;
using testing::ReasonOf;
using testing::ViolatedFields;
using PipelineStub = v1::PipelineService::Stub;
using RunStub = v1::RunService::Stub;
using SystemStub = v1::SystemService::Stub;
using TaskStub = v1::TaskService::Stub;

// Pipeline `id`: task "greet" echoing `greeting`, then task "reply" echoing `hello $WHO`.
v1::PipelineConfig HelloConfig(const std::string& id, const std::string& greeting = "hello") {
  v1::PipelineConfig config;
  config.set_id(id);
  config.set_name("Pipeline " + id);
  v1::Task* greet = config.add_tasks();
  greet->set_id("greet");
  greet->set_image("busybox");
  greet->set_script("echo " + greeting);
  v1::Task* reply = config.add_tasks();
  reply->set_id("reply");
  reply->set_image("busybox");
  reply->set_script("echo \"hello $WHO\"");
  (*reply->mutable_depends_on())["greet"] = v1::DEPENDENCY_CONDITION_SUCCESS;
  return config;
}

template <typename Request>
Request Of(const std::string& ns, const std::string& pipeline, int64_t run_id = 0) {
  Request request;
  request.set_namespace_id(ns);
  request.set_pipeline_id(pipeline);
  if constexpr (requires { request.set_run_id(run_id); }) {
    request.set_run_id(run_id);
  }
  return request;
}

// A run-queue stack and a gateway whose RunService and TaskService forward to its replica, with
// the stack's internal credential.
struct GatewayOverStack {
  Stack stack;
  GatewayServer gw{{.run_queue_address = stack.replica_address(),
                    .run_queue_credential = run_queue::testing::kCredential}};

  // Registers `config` in `ns` and deploys its version immediately, as the admin.
  void Deploy(const v1::PipelineConfig& config, const std::string& ns = "default") {
    const int64_t version = gw.RegisterConfig(config, ns).version().version();
    gw.Deploy(config.id(), version, ns);
  }

  absl::StatusOr<v1::Run> StartRun(const std::string& secret, const std::string& ns,
                                   const std::string& pipeline,
                                   const std::map<std::string, std::string>& variables = {}) {
    auto request = Of<v1::StartRunRequest>(ns, pipeline);
    request.mutable_variables()->insert(variables.begin(), variables.end());
    request.set_reason("through the gateway");
    return gw.Call(secret, &RunStub::StartRun, request);
  }

  // Polls GetRun through the gateway until the run is complete (REQUIREs it within a minute).
  v1::Run WaitForRun(const std::string& ns, const std::string& pipeline, int64_t run_id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    absl::StatusOr<v1::Run> run;
    while (absl::Now() < deadline) {
      run =
          gw.Call(gw.admin_secret(), &RunStub::GetRun, Of<v1::GetRunRequest>(ns, pipeline, run_id));
      GOFER_REQUIRE_OK(run);
      if (run->state() == v1::RUN_STATE_COMPLETE) {
        return *run;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    INFO("run " << run_id << ": " << run->DebugString());
    INFO("replica 0:\n" << stack.ReplicaOutput(0));
    FAIL("timed out waiting for the run");
    return *run;
  }

  // The runs of `pipeline` in `ns` (as the admin), newest first.
  std::vector<v1::Run> Runs(const std::string& ns, const std::string& pipeline) {
    auto listed =
        gw.Call(gw.admin_secret(), &RunStub::ListRuns, Of<v1::ListRunsRequest>(ns, pipeline));
    GOFER_REQUIRE_OK(listed);
    return {listed->runs().begin(), listed->runs().end()};
  }

  // The texts of task `task`'s log of run `run_id` through TaskLogs as the admin (with
  // `follow`, until the task ends), or how the stream ended.
  absl::StatusOr<std::vector<std::string>> Logs(const std::string& ns, const std::string& pipeline,
                                                int64_t run_id, const std::string& task,
                                                bool follow = false) {
    auto request = Of<v1::TaskLogsRequest>(ns, pipeline, run_id);
    request.set_task_id(task);
    request.set_follow(follow);
    TaskStub stub(gw.channel());
    auto context = gw.Context(gw.admin_secret());
    auto reader = stub.TaskLogs(context.get(), request);
    std::vector<std::string> texts;
    v1::TaskLogsResponse response;
    while (reader->Read(&response)) {
      for (const v1::TaskLogLine& line : response.lines()) {
        texts.push_back(line.text());
      }
    }
    if (absl::Status status = rpc::FromGrpcStatus(reader->Finish()); !status.ok()) {
      return status;
    }
    return texts;
  }
};

}  // namespace

TEST_CASE("A run started through the gateway runs on the run-queue, with its tasks and logs") {
  GatewayOverStack env;
  env.Deploy(HelloConfig("hello"));
  const std::string& admin = env.gw.admin_secret();

  auto started = env.StartRun(admin, "default", "hello", {{"WHO", "gateway"}});
  GOFER_REQUIRE_OK(started);
  CHECK(started->namespace_id() == "default");
  CHECK(started->pipeline_id() == "hello");
  CHECK(started->run_id() == 1);
  CHECK(started->config_version() == 1);
  CHECK(started->state() == v1::RUN_STATE_PENDING);
  CHECK(started->initiator().kind() == v1::INITIATOR_KIND_HUMAN);
  CHECK(started->initiator().reason() == "through the gateway");
  REQUIRE(started->variables_size() == 1);
  CHECK(started->variables(0).key() == "WHO");
  CHECK(started->variables(0).source() == v1::VARIABLE_SOURCE_RUN_OPTIONS);

  const v1::Run done = env.WaitForRun("default", "hello", started->run_id());
  CHECK(done.status() == v1::RUN_STATUS_SUCCESSFUL);
  CHECK(done.config_version() == 1);

  auto tasks = env.gw.Call(admin, &TaskStub::ListTaskExecutions,
                           Of<v1::ListTaskExecutionsRequest>("default", "hello", 1));
  GOFER_REQUIRE_OK(tasks);
  std::map<std::string, v1::TaskExecution> by_id;
  for (const v1::TaskExecution& t : tasks->task_executions()) {
    by_id[t.task_id()] = t;
  }
  REQUIRE(by_id.size() == 2);
  for (const auto& [id, t] : by_id) {
    INFO(id);
    CHECK(t.state() == v1::TASK_EXECUTION_STATE_COMPLETE);
    CHECK(t.status() == v1::TASK_EXECUTION_STATUS_SUCCESSFUL);
  }
  auto one = Of<v1::GetTaskExecutionRequest>("default", "hello", 1);
  one.set_task_id("reply");
  auto reply = env.gw.Call(admin, &TaskStub::GetTaskExecution, one);
  GOFER_REQUIRE_OK(reply);
  CHECK(reply->status() == v1::TASK_EXECUTION_STATUS_SUCCESSFUL);

  auto greet_logs = env.Logs("default", "hello", 1, "greet");
  GOFER_REQUIRE_OK(greet_logs);
  CHECK(*greet_logs == std::vector<std::string>{"hello"});
  auto reply_logs = env.Logs("default", "hello", 1, "reply");
  GOFER_REQUIRE_OK(reply_logs);
  CHECK(*reply_logs == std::vector<std::string>{"hello gateway"});

  const std::vector<v1::Run> runs = env.Runs("default", "hello");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].run_id() == 1);
}

TEST_CASE("TaskLogs through the gateway follows a running task until it ends") {
  GatewayOverStack env;
  v1::PipelineConfig config = HelloConfig("slow");
  config.mutable_tasks(0)->set_script("echo one; sleep 1; echo two");
  env.Deploy(config);
  auto started = env.StartRun(env.gw.admin_secret(), "default", "slow");
  GOFER_REQUIRE_OK(started);
  auto followed = env.Logs("default", "slow", started->run_id(), "greet", /*follow=*/true);
  GOFER_REQUIRE_OK(followed);
  CHECK(*followed == std::vector<std::string>{"one", "two"});
  CHECK(env.WaitForRun("default", "slow", started->run_id()).status() == v1::RUN_STATUS_SUCCESSFUL);
}

TEST_CASE("StartRun refuses disabled pipelines, paused runs and bad variables, starting nothing") {
  GatewayOverStack env;
  env.Deploy(HelloConfig("hello"));
  const std::string& admin = env.gw.admin_secret();

  auto state = Of<v1::UpdatePipelineRequest>("default", "hello");
  state.set_state(v1::PIPELINE_STATE_DISABLED);
  GOFER_REQUIRE_OK(env.gw.Call(admin, &PipelineStub::UpdatePipeline, state));
  auto disabled = env.StartRun(admin, "default", "hello");
  GOFER_REQUIRE_CODE(disabled, absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(disabled.status()) == "FAILED_PRECONDITION");
  CHECK(disabled.status().message().find("disabled") != std::string_view::npos);
  state.set_state(v1::PIPELINE_STATE_ACTIVE);
  GOFER_REQUIRE_OK(env.gw.Call(admin, &PipelineStub::UpdatePipeline, state));

  v1::UpdateSystemRequest pause;
  pause.set_runs_paused(true);
  GOFER_REQUIRE_OK(env.gw.Call(admin, &SystemStub::UpdateSystem, pause));
  auto paused = env.StartRun(admin, "default", "hello");
  GOFER_REQUIRE_CODE(paused, absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(paused.status()) == "RUNS_PAUSED");
  pause.set_runs_paused(false);
  GOFER_REQUIRE_OK(env.gw.Call(admin, &SystemStub::UpdateSystem, pause));

  auto reserved = env.StartRun(admin, "default", "hello", {{"GOFER_X", "1"}, {"FINE", "2"}});
  GOFER_REQUIRE_CODE(reserved, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(reserved.status()) == std::vector<std::string>{"variables[GOFER_X]"});
  auto not_a_name = env.StartRun(admin, "default", "hello", {{"1bad", "1"}});
  GOFER_REQUIRE_CODE(not_a_name, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(not_a_name.status()) == std::vector<std::string>{"variables[1bad]"});

  // None of the refused starts reached the run-queue; once enabled and resumed, a start does.
  CHECK(env.Runs("default", "hello").empty());
  auto started = env.StartRun(admin, "default", "hello", {{"FINE", "2"}});
  GOFER_REQUIRE_OK(started);
  CHECK(started->run_id() == 1);
  CHECK(env.Runs("default", "hello").size() == 1);
  CHECK(env.WaitForRun("default", "hello", 1).status() == v1::RUN_STATUS_SUCCESSFUL);
}

TEST_CASE("Run calls about a missing pipeline or run are NOT_FOUND naming what is missing") {
  GatewayOverStack env;
  env.Deploy(HelloConfig("hello"));
  const std::string& admin = env.gw.admin_secret();

  // The gateway answers for a missing pipeline before asking the run-queue.
  auto no_pipeline =
      env.gw.Call(admin, &RunStub::GetRun, Of<v1::GetRunRequest>("default", "ghost", 1));
  GOFER_REQUIRE_CODE(no_pipeline, absl::StatusCode::kNotFound);
  CHECK(ReasonOf(no_pipeline.status()) == "PARENT_NOT_FOUND");
  CHECK(GetErrorDetails(no_pipeline.status()).metadata.at("resource") == "pipeline");
  CHECK(GetErrorDetails(no_pipeline.status()).metadata.at("id") == "ghost");
  CHECK(no_pipeline.status().message().find("'ghost'") != std::string_view::npos);
  GOFER_REQUIRE_CODE(env.StartRun(admin, "default", "ghost"), absl::StatusCode::kNotFound);

  // The run-queue answers for a missing run of an existing pipeline; the gateway relays it.
  auto no_run = env.gw.Call(admin, &RunStub::GetRun, Of<v1::GetRunRequest>("default", "hello", 42));
  GOFER_REQUIRE_CODE(no_run, absl::StatusCode::kNotFound);
  CHECK(no_run.status().message().find("42") != std::string_view::npos);
}

TEST_CASE("A user token starts runs in its namespace through the gateway and nowhere else") {
  GatewayOverStack env;
  env.gw.CreateNamespace("other");
  env.Deploy(HelloConfig("hello"));
  env.Deploy(HelloConfig("hello"), "other");
  const std::string user = env.gw.CreateToken({"user"}, "alice").secret();

  auto mine = env.StartRun(user, "default", "hello", {{"WHO", "alice"}});
  GOFER_REQUIRE_OK(mine);
  CHECK(mine->initiator().name() == "token:alice");
  CHECK(env.WaitForRun("default", "hello", mine->run_id()).status() == v1::RUN_STATUS_SUCCESSFUL);

  auto theirs = env.StartRun(user, "other", "hello");
  GOFER_REQUIRE_CODE(theirs, absl::StatusCode::kPermissionDenied);
  CHECK(ReasonOf(theirs.status()) == "PERMISSION_DENIED");
  CHECK(env.Runs("other", "hello").empty());
}

TEST_CASE("A new run of a pipeline with a canary at full weight runs the canary version") {
  GatewayOverStack env;
  const std::string& admin = env.gw.admin_secret();
  env.Deploy(HelloConfig("canaried", "stable"));
  const int64_t canary =
      env.gw.RegisterConfig(HelloConfig("canaried", "canary")).version().version();
  REQUIRE(canary == 2);
  env.gw.Deploy("canaried", canary, "default", /*canary_weight=*/50);
  // The API takes weights of 1-99, so which version a run gets is random; at 100 (set in the
  // database) the split is certain.
  env.gw.Exec(
      "UPDATE deployments SET canary = jsonb_set(canary, '{weight_percent}', '100') "
      "WHERE namespace_id = 'default' AND pipeline_id = 'canaried' AND id = 2");

  auto started = env.StartRun(admin, "default", "canaried");
  GOFER_REQUIRE_OK(started);
  CHECK(started->config_version() == 2);
  const v1::Run done = env.WaitForRun("default", "canaried", started->run_id());
  CHECK(done.status() == v1::RUN_STATUS_SUCCESSFUL);
  CHECK(done.config_version() == 2);
  // The run executed version 2's config (the snapshot the gateway passed), not version 1's.
  auto logs = env.Logs("default", "canaried", started->run_id(), "greet");
  GOFER_REQUIRE_OK(logs);
  CHECK(*logs == std::vector<std::string>{"canary"});
}

}  // namespace gofer::api_gateway
