// gofer.scheduler.v1.Scheduler through an in-process gRPC server on loopback, over a real
// LocalEngine (label integration: bubblewrap and cgroups): a task's life through the API,
// waits, log streams, exec sessions, the operator's exec switch, listing by label with pages,
// validation and the internal credential.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "gofer/common/errors.h"
#include "gofer/rpc/channel.h"
#include "gofer/rpc/server.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"
#include "local_fixture.h"
#include "retrying_engine.h"
#include "scheduler_service.h"

namespace gofer::scheduler {
namespace {

constexpr char kCredential[] = "c";

class SchedulerServer {
 public:
  explicit SchedulerServer(ServiceOptions options = {})
      : runtime_(rpc::RuntimeOptions{.internal_credential = kCredential}),
        engine_(local_.engine(), RetryPolicy{}),
        service_(engine_, runtime_, options) {
    auto server = rpc::Server::Start(
        {.service_name = "scheduler-test", .listen_address = "127.0.0.1:0"}, {&service_});
    GOFER_REQUIRE_OK(server);
    server_ = *std::move(server);
    client_ = std::make_unique<rpc::Client>(
        rpc::ClientOptions{.target = server_->address(), .internal_credential = kCredential});
    stub_ = v1::Scheduler::NewStub(client_->channel());
  }
  ~SchedulerServer() {
    server_->Shutdown();
    runtime_.Shutdown();
  }

  v1::Scheduler::Stub& stub() { return *stub_; }
  std::unique_ptr<grpc::ClientContext> Context() const { return client_->NewContext(); }
  std::string address() const { return server_->address(); }

  v1::StartContainerResponse Start(const std::vector<std::string>& command,
                                   std::map<std::string, std::string> labels = {}) {
    v1::StartContainerRequest request;
    request.set_name(local_.Spec({}).name);
    request.set_image("img:1");
    for (const std::string& arg : command) {
      request.add_command(arg);
    }
    request.mutable_labels()->insert(labels.begin(), labels.end());
    v1::StartContainerResponse response;
    const grpc::Status status = stub_->StartContainer(Context().get(), request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    return response;
  }

  v1::WaitStateResponse Wait(const std::string& id, v1::ContainerState known,
                             absl::Duration timeout) {
    v1::WaitStateRequest request;
    request.set_scheduler_id(id);
    request.set_known_state(known);
    request.mutable_timeout()->set_seconds(absl::ToInt64Seconds(timeout));
    v1::WaitStateResponse response;
    const grpc::Status status = stub_->WaitState(Context().get(), request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    return response;
  }

 private:
  testing::LocalFixture local_;
  rpc::Runtime runtime_;
  RetryingEngine engine_;
  SchedulerService service_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<rpc::Client> client_;
  std::unique_ptr<v1::Scheduler::Stub> stub_;
};

// Every chunk of a StreamLogs call.
std::vector<v1::LogChunk> StreamLogs(SchedulerServer& server, const v1::StreamLogsRequest& request,
                                     grpc::Status* status) {
  auto context = server.Context();
  auto reader = server.stub().StreamLogs(context.get(), request);
  std::vector<v1::LogChunk> chunks;
  v1::StreamLogsResponse response;
  while (reader->Read(&response)) {
    chunks.insert(chunks.end(), response.chunks().begin(), response.chunks().end());
  }
  *status = reader->Finish();
  return chunks;
}

std::string Joined(const std::vector<v1::LogChunk>& chunks) {
  std::string text;
  for (const v1::LogChunk& chunk : chunks) {
    text += chunk.data();
  }
  return text;
}

}  // namespace

TEST_CASE("A task runs to its exit through StartContainer, WaitState and StreamLogs") {
  SchedulerServer server;
  const auto started = server.Start({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK_FALSE(started.node().empty());
  const auto waited =
      server.Wait(started.scheduler_id(), v1::CONTAINER_STATE_UNSPECIFIED, absl::Seconds(60));
  CHECK(waited.changed());
  CHECK(waited.status().state() == v1::CONTAINER_STATE_EXITED);
  CHECK(waited.status().exit_code() == 3);
  CHECK(waited.status().has_finished());

  v1::StreamLogsRequest request;
  request.set_scheduler_id(started.scheduler_id());
  grpc::Status status;
  const auto chunks = StreamLogs(server, request, &status);
  REQUIRE(status.ok());
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].stream() != chunks[1].stream());
  CHECK(chunks[1].offset() == 4);

  v1::GetStateRequest get;
  get.set_scheduler_id(started.scheduler_id());
  v1::ContainerStatus state;
  REQUIRE(server.stub().GetState(server.Context().get(), get, &state).ok());
  CHECK(state.exit_code() == 3);
  CHECK(state.labels().at("gofer.managed") == "true");
}

TEST_CASE("WaitState answers the current state, unchanged, when its timeout passes") {
  SchedulerServer server;
  const auto started = server.Start({"sleep", "1000"});
  const auto waited =
      server.Wait(started.scheduler_id(), v1::CONTAINER_STATE_UNSPECIFIED, absl::Seconds(1));
  CHECK_FALSE(waited.changed());
  CHECK(waited.status().state() == v1::CONTAINER_STATE_RUNNING);
  // Knowing it runs, the caller waits for any change: a stop ends the wait.
  v1::StopContainerRequest stop;
  stop.set_scheduler_id(started.scheduler_id());
  v1::StopContainerResponse stopped;
  REQUIRE(server.stub().StopContainer(server.Context().get(), stop, &stopped).ok());
  CHECK(stopped.status().exit_code() == 137);
  const auto changed =
      server.Wait(started.scheduler_id(), v1::CONTAINER_STATE_RUNNING, absl::Seconds(60));
  CHECK(changed.changed());
  CHECK(changed.status().state() == v1::CONTAINER_STATE_EXITED);
}

TEST_CASE("StreamLogs follows a running container from an offset until it exits") {
  SchedulerServer server;
  const auto started = server.Start({"sh", "-c", "echo first; sleep 0.5; echo second"});
  v1::StreamLogsRequest request;
  request.set_scheduler_id(started.scheduler_id());
  request.set_offset(3);
  request.set_follow(true);
  grpc::Status status;
  const auto chunks = StreamLogs(server, request, &status);
  REQUIRE(status.ok());
  CHECK(Joined(chunks) == "st\nsecond\n");
  CHECK(chunks.front().offset() == 3);
}

TEST_CASE("Exec runs a terminal session through the bidirectional stream") {
  SchedulerServer server;
  const auto started = server.Start({"sleep", "1000"});
  auto context = server.Context();
  auto stream = server.stub().Exec(context.get());
  v1::ExecRequest request;
  request.mutable_start()->set_scheduler_id(started.scheduler_id());
  for (const char* arg : {"sh", "-c", "read x; echo \"got $x\"; exit 6"}) {
    request.mutable_start()->add_command(arg);
  }
  request.mutable_start()->set_tty(true);
  REQUIRE(stream->Write(request));
  request.Clear();
  request.mutable_resize()->set_rows(40);
  request.mutable_resize()->set_columns(100);
  bool written = stream->Write(request);
  request.Clear();
  request.set_stdin("hello\n");
  written = written && stream->Write(request);
  std::string out;
  int exit_code = -1;
  v1::ExecResponse response;
  while (stream->Read(&response)) {
    out += response.stdout();
    if (response.has_exit_code()) {
      exit_code = response.exit_code();
    }
  }
  const grpc::Status status = stream->Finish();
  INFO(status.error_message() << " output: " << out);
  REQUIRE(status.ok());
  CHECK(written);
  CHECK(out.find("got hello") != std::string::npos);
  CHECK(exit_code == 6);
}

// The output of `command` exec'd (without a terminal) in `container`.
std::string ExecStdout(SchedulerServer& server, const std::string& container,
                       const std::vector<std::string>& command) {
  auto context = server.Context();
  auto stream = server.stub().Exec(context.get());
  v1::ExecRequest request;
  request.mutable_start()->set_scheduler_id(container);
  request.mutable_start()->mutable_command()->Assign(command.begin(), command.end());
  stream->Write(request);
  stream->WritesDone();
  std::string out;
  v1::ExecResponse response;
  while (stream->Read(&response)) {
    out += response.stdout();
  }
  GOFER_REQUIRE_OK(rpc::FromGrpcStatus(stream->Finish()));
  return out;
}

TEST_CASE("Exec ends a quiet command when the client cancels the call") {
  SchedulerServer server;
  const auto started = server.Start({"sleep", "1000"});
  auto context = server.Context();
  auto stream = server.stub().Exec(context.get());
  v1::ExecRequest request;
  request.mutable_start()->set_scheduler_id(started.scheduler_id());
  for (const char* arg : {"sh", "-c", "echo ready; sleep 600"}) {
    request.mutable_start()->add_command(arg);
  }
  REQUIRE(stream->Write(request));
  v1::ExecResponse response;
  REQUIRE(stream->Read(&response));
  CHECK(response.stdout() == "ready\n");
  context->TryCancel();
  while (stream->Read(&response)) {
  }
  CHECK(stream->Finish().error_code() == grpc::StatusCode::CANCELLED);
  // Nothing more is written, yet the session ends and the command with it.
  std::string processes;
  const bool gone = gofer::testing::Eventually(
      [&] {
        processes = ExecStdout(server, started.scheduler_id(),
                               {"sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"});
        return processes.find("sleep 1000") != std::string::npos &&
               processes.find("sleep 600") == std::string::npos;
      },
      absl::Seconds(20), absl::Milliseconds(100));
  INFO(processes);
  CHECK(gone);
}

TEST_CASE("Exec fails FAILED_PRECONDITION naming the setting when the operator disabled it") {
  SchedulerServer server(ServiceOptions{.exec_enabled = false});
  auto context = server.Context();
  auto stream = server.stub().Exec(context.get());
  v1::ExecRequest request;
  request.mutable_start()->set_scheduler_id("anything");
  request.mutable_start()->add_command("sh");
  stream->Write(request);
  stream->WritesDone();
  v1::ExecResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(status.error_message().find("exec.enabled") != std::string::npos);
}

TEST_CASE("ListContainers pages through the containers carrying the given labels") {
  SchedulerServer server;
  for (int i = 0; i < 3; ++i) {
    server.Start({"true"}, {{"run", "r1"}});
  }
  server.Start({"true"}, {{"run", "r2"}});
  v1::ListContainersRequest request;
  (*request.mutable_labels())["run"] = "r1";
  request.set_page_size(2);
  std::vector<std::string> ids;
  for (int page = 0; page < 3; ++page) {
    v1::ListContainersResponse response;
    REQUIRE(server.stub().ListContainers(server.Context().get(), request, &response).ok());
    for (const auto& container : response.containers()) {
      ids.push_back(container.scheduler_id());
    }
    if (response.next_page_token().empty()) {
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  CHECK(ids.size() == 3);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
}

TEST_CASE("StartContainer answers INVALID_ARGUMENT listing every broken field") {
  SchedulerServer server;
  v1::StartContainerRequest request;
  request.set_name("");
  request.mutable_resources()->set_pids(-1);
  v1::StartContainerResponse response;
  const grpc::Status status =
      server.stub().StartContainer(server.Context().get(), request, &response);
  REQUIRE(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(rpc::FromGrpcStatus(status))) {
    fields.push_back(v.field);
  }
  CHECK(fields == std::vector<std::string>{"name", "image", "resources"});
}

TEST_CASE("GetState answers NOT_FOUND for a container the scheduler does not know") {
  SchedulerServer server;
  v1::GetStateRequest request;
  request.set_scheduler_id("no-such-container");
  v1::ContainerStatus response;
  CHECK(server.stub().GetState(server.Context().get(), request, &response).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("Scheduler calls without the internal credential are UNAUTHENTICATED") {
  SchedulerServer server;
  rpc::Client anonymous({.target = server.address()});
  auto stub = v1::Scheduler::NewStub(anonymous.channel());
  v1::GetStateRequest request;
  request.set_scheduler_id("x");
  v1::ContainerStatus response;
  CHECK(stub->GetState(anonymous.NewContext().get(), request, &response).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  v1::StreamLogsRequest logs;
  logs.set_scheduler_id("x");
  auto context = anonymous.NewContext();
  auto reader = stub->StreamLogs(context.get(), logs);
  v1::StreamLogsResponse chunk;
  while (reader->Read(&chunk)) {
  }
  CHECK(reader->Finish().error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace gofer::scheduler
