// Validation and mapping of gofer.scheduler.v1 requests and responses.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "gofer/common/errors.h"
#include "gofer/testing/status.h"
#include "scheduler_convert.h"

namespace gofer::scheduler {
namespace {

std::set<std::string> Fields(const absl::Status& status) {
  std::set<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    fields.insert(v.field);
  }
  return fields;
}

v1::StartContainerRequest ValidStart() {
  v1::StartContainerRequest request;
  request.set_name("run-7.task_a");
  request.set_image("127.0.0.1:5000/bb:1");
  (*request.mutable_env())["B"] = "2";
  (*request.mutable_env())["A"] = "1";
  request.add_entrypoint("/bin/sh");
  request.add_command("-c");
  request.add_command("exit 0");
  request.mutable_registry_auth()->set_username("gofer");
  request.mutable_registry_auth()->set_password("s3cret");
  request.mutable_resources()->set_cpu_millis(500);
  request.mutable_resources()->set_memory_bytes(64 << 20);
  request.mutable_resources()->set_pids(32);
  (*request.mutable_labels())["run"] = "7";
  request.set_network_mode(v1::NETWORK_MODE_HOST);
  return request;
}

}  // namespace

TEST_CASE("SpecFromProto maps every field of a valid StartContainer request") {
  auto spec = SpecFromProto(ValidStart());
  GOFER_REQUIRE_OK(spec);
  CHECK(spec->name == "run-7.task_a");
  CHECK(spec->env == std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "2"}});
  CHECK(spec->entrypoint == std::vector<std::string>{"/bin/sh"});
  CHECK(spec->command == std::vector<std::string>{"-c", "exit 0"});
  REQUIRE(spec->registry_auth.has_value());
  CHECK(spec->registry_auth->password == "s3cret");
  CHECK(spec->resources.cpu_millis == 500);
  CHECK(spec->resources.memory_bytes == 64 << 20);
  CHECK(spec->resources.pids == 32);
  CHECK(spec->labels == Labels{{"run", "7"}});
  CHECK(spec->network == NetworkMode::kHost);
}

TEST_CASE("SpecFromProto defaults the network to none") {
  v1::StartContainerRequest request = ValidStart();
  request.clear_network_mode();
  CHECK(SpecFromProto(request)->network == NetworkMode::kNone);
}

TEST_CASE("SpecFromProto reports every violation of a malformed request at once") {
  v1::StartContainerRequest request;
  request.set_name("-bad name");
  (*request.mutable_env())["A=B"] = "x";
  (*request.mutable_labels())["gofer.managed"] = "false";
  request.mutable_resources()->set_memory_bytes(1024);
  request.mutable_registry_auth()->set_password("p");
  const absl::Status status = SpecFromProto(request).status();
  GOFER_REQUIRE_CODE(status, absl::StatusCode::kInvalidArgument);
  CHECK(Fields(status) == std::set<std::string>{"name", "image", "env[A=B]",
                                                "labels[gofer.managed]", "resources.memory_bytes",
                                                "registry_auth.username"});
  // The password never appears in an error.
  CHECK(std::string(status.message()).find("\"p\"") == std::string::npos);
}

TEST_CASE("LogOptionsFromProto refuses an offset combined with since, and a negative offset") {
  v1::StreamLogsRequest request;
  request.set_scheduler_id("c");
  request.set_offset(5);
  request.mutable_since()->set_seconds(10);
  CHECK(Fields(LogOptionsFromProto(request).status()) == std::set<std::string>{"since"});
  request.clear_since();
  request.set_offset(-1);
  CHECK(Fields(LogOptionsFromProto(request).status()) == std::set<std::string>{"offset"});
  request.set_offset(7);
  request.set_follow(true);
  auto options = LogOptionsFromProto(request);
  GOFER_REQUIRE_OK(options);
  CHECK(options->offset == 7);
  CHECK(options->follow);
  CHECK(options->since == absl::InfinitePast());
}

TEST_CASE("ExecSpecFromProto requires a container and a command") {
  v1::ExecStart start;
  CHECK(Fields(ExecSpecFromProto(start).status()) ==
        std::set<std::string>{"start.scheduler_id", "start.command"});
  start.set_scheduler_id("c");
  start.add_command("sh");
  start.set_tty(true);
  start.mutable_size()->set_rows(24);
  start.mutable_size()->set_columns(80);
  auto spec = ExecSpecFromProto(start);
  GOFER_REQUIRE_OK(spec);
  CHECK(spec->tty);
  CHECK(spec->size.rows == 24);
  CHECK(spec->size.columns == 80);
}

TEST_CASE("ToProto writes a container status with its times and labels") {
  ContainerStatus status{.id = "abc",
                         .name = "t",
                         .state = ContainerState::kExited,
                         .exit_code = 137,
                         .oom_killed = true,
                         .started = absl::FromUnixSeconds(100),
                         .finished = absl::FromUnixSeconds(101) + absl::Nanoseconds(5),
                         .labels = {{"gofer.managed", "true"}},
                         .image = "img",
                         .image_digest = "sha256:1",
                         .node = "n"};
  v1::ContainerStatus out;
  ToProto(status, &out);
  CHECK(out.state() == v1::CONTAINER_STATE_EXITED);
  CHECK(out.exit_code() == 137);
  CHECK(out.oom_killed());
  CHECK(out.started().seconds() == 100);
  CHECK(out.finished().nanos() == 5);
  CHECK(out.labels().at("gofer.managed") == "true");
  v1::ContainerStatus running;
  ToProto(ContainerStatus{.id = "x", .state = ContainerState::kRunning}, &running);
  CHECK_FALSE(running.has_finished());
  CHECK(FromProto(v1::CONTAINER_STATE_RUNNING) == ContainerState::kRunning);
  CHECK(FromProto(v1::CONTAINER_STATE_UNSPECIFIED) == ContainerState::kUnknown);
}

}  // namespace gofer::scheduler
