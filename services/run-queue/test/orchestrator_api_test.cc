// The RunQueue API's errors and request semantics on the real stack (Stack): validation,
// missing runs, idempotent starts, and a snapshot that cannot be planned.
#include <catch2/catch.hpp>

#include <algorithm>

#include "gofer/common/errors.h"
#include "gofer/rpc/status.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

using Catch::Matchers::Contains;

constexpr char kPipeline[] = R"(
id: api
tasks:
  - id: hello
    image: busybox
    script: echo hello
)";

std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(rpc::FromGrpcStatus(status))) {
    fields.push_back(v.field);
  }
  return fields;
}

TEST_CASE("StartRun with an invalid request is refused naming each bad field") {
  Stack stack;
  auto request = Stack::StartRequest(kPipeline);
  request.set_namespace_id("Not A Namespace!");
  gofer::v1::Run run;
  auto context = stack.Context();
  grpc::Status status = stack.queue().StartRun(context.get(), request, &run);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Contains("namespace_id"));
  CHECK(ViolatedFields(status) == std::vector<std::string>{"namespace_id"});
  CHECK(GetErrorDetails(rpc::FromGrpcStatus(status)).reason == "INVALID_FIELD");

  request = Stack::StartRequest(kPipeline);
  request.set_config_version(0);
  request.clear_config();
  auto* var = request.add_variables();
  var->set_value("no key");
  auto second = stack.Context();
  status = stack.queue().StartRun(second.get(), request, &run);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  auto fields = ViolatedFields(status);
  std::sort(fields.begin(), fields.end());
  CHECK(fields == std::vector<std::string>{"config", "config_version", "variables[0].key"});

  // Nothing was started.
  gofer::v1::ListRunsRequest list;
  list.set_namespace_id(kNamespace);
  list.set_pipeline_id("api");
  gofer::v1::ListRunsResponse runs;
  auto third = stack.Context();
  REQUIRE(stack.queue().ListRuns(third.get(), list, &runs).ok());
  CHECK(runs.runs_size() == 0);
}

TEST_CASE(
    "Reading a run that does not exist is NOT_FOUND, a malformed reference INVALID_ARGUMENT") {
  Stack stack;
  gofer::v1::GetRunRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id("api");
  request.set_run_id(42);
  gofer::v1::Run run;
  auto context = stack.Context();
  grpc::Status status = stack.queue().GetRun(context.get(), request, &run);
  CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(status.error_message(), Contains("42"));

  gofer::v1::ListTaskExecutionsRequest tasks;
  tasks.set_namespace_id(kNamespace);
  tasks.set_pipeline_id("api");
  tasks.set_run_id(42);
  gofer::v1::ListTaskExecutionsResponse listed;
  auto second = stack.Context();
  CHECK(stack.queue().ListTaskExecutions(second.get(), tasks, &listed).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  request.set_run_id(0);
  auto third = stack.Context();
  status = stack.queue().GetRun(third.get(), request, &run);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(ViolatedFields(status) == std::vector<std::string>{"run_id"});
}

TEST_CASE("Starting a run twice with the same idempotency key starts it once") {
  Stack stack;
  auto request = Stack::StartRequest(kPipeline);
  request.set_idempotency_key("deploy-7f3a");
  const auto first = stack.StartRun(request);
  const auto again = stack.StartRun(request);
  CHECK(again.run_id() == first.run_id());
  request.set_idempotency_key("deploy-other");
  const auto other = stack.StartRun(request);
  CHECK(other.run_id() == first.run_id() + 1);

  CHECK(stack.WaitForRun("api", first.run_id()).status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  CHECK(stack.WaitForRun("api", other.run_id()).status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  // The first run ran its task once.
  auto tasks = stack.Tasks("api", first.run_id());
  CHECK(tasks["hello"].attempts_size() == 1);
  // The key still names the run after it finished.
  request.set_idempotency_key("deploy-7f3a");
  CHECK(stack.StartRun(request).run_id() == first.run_id());
}

TEST_CASE("A snapshot with a dependency cycle completes failed with reason failed_precondition") {
  Stack stack;
  auto request = Stack::StartRequest(kPipeline);
  auto& config = *request.mutable_config();
  config.set_id("cycle");
  request.set_pipeline_id("cycle");
  config.clear_tasks();
  for (const auto& [id, parent] : std::vector<std::pair<std::string, std::string>>{
           {"build", "deploy"}, {"test", "build"}, {"deploy", "test"}}) {
    auto* task = config.add_tasks();
    task->set_id(id);
    task->set_image("busybox");
    task->set_script("echo never");
    (*task->mutable_depends_on())[parent] = gofer::v1::DEPENDENCY_CONDITION_SUCCESS;
  }
  const auto run = stack.StartRun(request);
  const auto done = stack.WaitForRun("cycle", run.run_id());
  INFO(done.DebugString());
  CHECK(done.status() == gofer::v1::RUN_STATUS_FAILED);
  CHECK(done.status_reason().kind() == gofer::v1::STATUS_REASON_KIND_FAILED_PRECONDITION);
  CHECK_THAT(done.status_reason().description(), Contains("cycle"));
  CHECK_THAT(done.status_reason().description(), Contains("build"));
  // No task was created, let alone started.
  CHECK(stack.Tasks("cycle", run.run_id()).empty());
}

}  // namespace
}  // namespace gofer::run_queue::testing
