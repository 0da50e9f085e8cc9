// TaskService.AttachTask on real components: an in-process gateway forwarding to a real
// run-queue stack and relaying attach sessions to its scheduler (local backend: the task is a
// real process, and the attached command runs in its namespaces). gofer task attach is tested
// end to end, under a pseudo-terminal, in tests/e2e/cli_attach_e2e_test.cc.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

#include "gateway_server.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"
#include "stack.h"

namespace gofer::api_gateway {
namespace {

using run_queue::testing::Stack;
using testing::GatewayServer;
using testing::ReasonOf;
using RunStub = v1::RunService::Stub;
using TaskStub = v1::TaskService::Stub;

// Pipeline `id` with one task "work" running `script`.
v1::PipelineConfig OneTask(const std::string& id, const std::string& script) {
  v1::PipelineConfig config;
  config.set_id(id);
  v1::Task* task = config.add_tasks();
  task->set_id("work");
  task->set_image("busybox");
  task->set_script(script);
  return config;
}

// The first message of a session attaching to task "work" of run 1 of `pipeline`.
v1::AttachTaskRequest StartOf(const std::string& pipeline, std::optional<bool> tty = false) {
  v1::AttachTaskRequest request;
  v1::AttachTaskStart* start = request.mutable_start();
  start->set_namespace_id("default");
  start->set_pipeline_id(pipeline);
  start->set_run_id(1);
  start->set_task_id("work");
  if (tty.has_value()) {
    start->set_tty(*tty);
  }
  return request;
}

// What a session returned.
struct Session {
  std::string stdout_text;
  std::string stderr_text;
  std::optional<int> exit_code;
  absl::Status status;
};

// A run-queue stack, and a gateway forwarding to its replica and relaying to its scheduler.
struct AttachEnv {
  explicit AttachEnv(bool attach_enabled = true)
      : gw({.run_queue_address = stack.replica_address(),
            .run_queue_credential = run_queue::testing::kCredential,
            .scheduler_address = stack.scheduler_address(),
            .attach_enabled = attach_enabled}) {}

  Stack stack;
  GatewayServer gw;

  // Registers and deploys `config`, starts run 1 and waits until task "work" is in `state`.
  void StartRun(const v1::PipelineConfig& config, v1::TaskExecutionState state) {
    const int64_t version = gw.RegisterConfig(config).version().version();
    gw.Deploy(config.id(), version);
    v1::StartRunRequest start;
    start.set_namespace_id("default");
    start.set_pipeline_id(config.id());
    GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RunStub::StartRun, start));
    v1::GetTaskExecutionRequest get;
    get.set_namespace_id("default");
    get.set_pipeline_id(config.id());
    get.set_run_id(1);
    get.set_task_id("work");
    REQUIRE(gofer::testing::Eventually(
        [&] {
          auto task = gw.Call(gw.admin_secret(), &TaskStub::GetTaskExecution, get);
          return task.ok() && task->state() == state && !task->container().empty();
        },
        absl::Seconds(60), absl::Milliseconds(50)));
  }

  // Sends `start`, then `stdin` (if any) and a half-close, and reads the session to its end.
  Session Attach(const std::string& secret, const v1::AttachTaskRequest& start,
                 const std::string& stdin_text = "") {
    TaskStub stub(gw.channel());
    auto context = gw.Context(secret, absl::Seconds(60));
    auto stream = stub.AttachTask(context.get());
    Session session;
    if (stream->Write(start) && !stdin_text.empty()) {
      v1::AttachTaskRequest in;
      in.set_stdin(stdin_text);
      stream->Write(in);
    }
    stream->WritesDone();
    v1::AttachTaskResponse response;
    while (stream->Read(&response)) {
      if (response.has_stdout()) {
        session.stdout_text += response.stdout();
      } else if (response.has_stderr()) {
        session.stderr_text += response.stderr();
      } else if (response.has_exit_code()) {
        session.exit_code = response.exit_code();
      }
    }
    session.status = rpc::FromGrpcStatus(stream->Finish());
    return session;
  }

  // Cancels run 1 of `pipeline` with a short grace period (the stack stops sooner without it).
  void CancelRun(const std::string& pipeline) {
    v1::CancelRunRequest cancel;
    cancel.set_namespace_id("default");
    cancel.set_pipeline_id(pipeline);
    cancel.set_run_id(1);
    cancel.mutable_grace_period()->set_nanos(100'000'000);
    GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RunStub::CancelRun, cancel));
  }

  // The attach events of pipeline `pipeline` once there are `n`.
  std::vector<v1::Event> AttachEvents(const std::string& pipeline, size_t n) {
    v1::EventFilter filter;
    filter.set_namespace_id("default");
    filter.set_pipeline_id(pipeline);
    filter.set_kind("task.");
    std::vector<v1::Event> out;
    for (const v1::Event& e : gw.ListedEvents(filter, n)) {
      if (e.kind() == "task.attached" || e.kind() == "task.detached") {
        out.push_back(e);
      }
    }
    return out;
  }
};

bool FailedPrecondition(const absl::Status& status, const std::string& text) {
  INFO(status.ToString());
  return absl::IsFailedPrecondition(status) && ReasonOf(status) == "FAILED_PRECONDITION" &&
         std::string(status.message()).find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("AttachTask runs a command in a running task's container and records the session") {
  AttachEnv env;
  env.StartRun(OneTask("attach", "echo started > /tmp/marker; sleep 60"),
               v1::TASK_EXECUTION_STATE_RUNNING);
  const Session session = env.Attach(env.gw.admin_secret(), StartOf("attach"),
                                     "cat /tmp/marker; echo oops >&2; exit 5\n");
  GOFER_REQUIRE_OK(session.status);
  // The command ran inside the task's sandbox: it sees the file the task wrote.
  CHECK(session.stdout_text == "started\n");
  CHECK(session.stderr_text == "oops\n");
  CHECK(session.exit_code == 5);

  std::vector<v1::Event> events = env.AttachEvents("attach", 2);
  REQUIRE(events.size() >= 2);
  CHECK(events[0].kind() == "task.attached");
  CHECK(events[0].run_id() == 1);
  CHECK(events[0].task_id() == "work");
  CHECK(events[0].actor().rfind("token:", 0) == 0);
  const nlohmann::json attached = nlohmann::json::parse(events[0].details());
  CHECK(attached["command"] == nlohmann::json::array({"/bin/sh"}));
  CHECK(attached["tty"] == false);
  CHECK(events[1].kind() == "task.detached");
  CHECK(events[1].actor() == events[0].actor());
  CHECK(nlohmann::json::parse(events[1].details())["exit_code"] == 5);

  // A second start ends the session INVALID_ARGUMENT (the command with it).
  TaskStub stub(env.gw.channel());
  auto context = env.gw.Context(env.gw.admin_secret());
  auto stream = stub.AttachTask(context.get());
  REQUIRE(stream->Write(StartOf("attach")));
  stream->Write(StartOf("attach"));
  v1::AttachTaskResponse response;
  while (stream->Read(&response)) {
  }
  const absl::Status second = rpc::FromGrpcStatus(stream->Finish());
  CHECK(absl::IsInvalidArgument(second));
  CHECK(testing::ViolatedFields(second) == std::vector<std::string>{"start"});
  events = env.AttachEvents("attach", 4);
  REQUIRE(events.size() >= 4);
  CHECK(nlohmann::json::parse(events[3].details())["status"] == "INVALID_ARGUMENT");
  env.CancelRun("attach");
}

TEST_CASE("A client that goes away ends the attached command and the session is recorded") {
  AttachEnv env;
  env.StartRun(OneTask("leave", "sleep 60"), v1::TASK_EXECUTION_STATE_RUNNING);
  TaskStub stub(env.gw.channel());
  auto context = env.gw.Context(env.gw.admin_secret(), absl::Seconds(60));
  auto stream = stub.AttachTask(context.get());
  v1::AttachTaskRequest start = StartOf("leave", /*tty=*/std::nullopt);  // tty by default
  start.mutable_start()->add_command("/bin/sh");
  start.mutable_start()->add_command("-c");
  start.mutable_start()->add_command("echo ready; tty; sleep 600");
  REQUIRE(stream->Write(start));
  std::string output;
  v1::AttachTaskResponse response;
  while (output.find("/dev/pts/") == std::string::npos && stream->Read(&response)) {
    output += response.stdout();
  }
  INFO(output);
  CHECK(output.find("ready") != std::string::npos);  // on a terminal: "tty" names it
  context->TryCancel();
  while (stream->Read(&response)) {
  }
  CHECK(stream->Finish().error_code() == grpc::StatusCode::CANCELLED);

  std::vector<v1::Event> events = env.AttachEvents("leave", 2);
  REQUIRE(events.size() >= 2);
  CHECK(nlohmann::json::parse(events[0].details())["tty"] == true);
  CHECK(events[1].kind() == "task.detached");
  CHECK(nlohmann::json::parse(events[1].details())["status"] == "CANCELLED");

  // The command is gone from the container (a quiet one too: nothing has to be written to
  // notice the client left).
  v1::AttachTaskRequest processes = StartOf("leave");
  for (const char* arg : {"/bin/sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"}) {
    processes.mutable_start()->add_command(arg);
  }
  std::string listed;
  const bool gone = gofer::testing::Eventually(
      [&] {
        listed = env.Attach(env.gw.admin_secret(), processes).stdout_text;
        return listed.find("sleep 60") != std::string::npos &&  // the task's
               listed.find("sleep 600") == std::string::npos;
      },
      absl::Seconds(20), absl::Milliseconds(200));
  INFO(listed);
  CHECK(gone);
  env.CancelRun("leave");
}

TEST_CASE("AttachTask refuses a finished task, a read-only token and a malformed start") {
  AttachEnv env;
  env.StartRun(OneTask("done", "echo done"), v1::TASK_EXECUTION_STATE_COMPLETE);
  const Session finished = env.Attach(env.gw.admin_secret(), StartOf("done"), "echo hi\n");
  CHECK(FailedPrecondition(finished.status,
                           "task 'work' of run 1 is complete; only a running task can be "
                           "attached to"));
  CHECK_FALSE(finished.exit_code.has_value());

  const std::string reader = env.gw.CreateToken({"read-only"}).secret();
  CHECK(absl::IsPermissionDenied(env.Attach(reader, StartOf("done")).status));
  CHECK(absl::IsUnauthenticated(env.Attach("", StartOf("done")).status));

  v1::AttachTaskRequest not_start;
  not_start.set_stdin("echo hi\n");
  CHECK(absl::IsInvalidArgument(env.Attach(env.gw.admin_secret(), not_start).status));
  v1::AttachTaskRequest no_run = StartOf("done");
  no_run.mutable_start()->set_run_id(0);
  const absl::Status invalid = env.Attach(env.gw.admin_secret(), no_run).status;
  CHECK(absl::IsInvalidArgument(invalid));
  CHECK(testing::ViolatedFields(invalid) == std::vector<std::string>{"start.run_id"});
  CHECK(absl::IsNotFound(env.Attach(env.gw.admin_secret(), StartOf("missing")).status));
  CHECK(env.gw.CountEvents("task.attached") == 0);
}

TEST_CASE("AttachTask is FAILED_PRECONDITION when the operator turned attach off") {
  GatewayServer gw({.attach_enabled = false});
  TaskStub stub(gw.channel());
  auto context = gw.Context(gw.admin_secret());
  auto stream = stub.AttachTask(context.get());
  REQUIRE(stream->Write(StartOf("any")));
  stream->WritesDone();
  v1::AttachTaskResponse response;
  CHECK_FALSE(stream->Read(&response));
  const absl::Status status = rpc::FromGrpcStatus(stream->Finish());
  CHECK(FailedPrecondition(status, "attach is disabled by the operator"));
}

}  // namespace gofer::api_gateway
