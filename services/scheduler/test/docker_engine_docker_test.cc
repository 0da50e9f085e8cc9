// DockerEngine against a real dockerd (label docker; scripts/test starts it): the conformance
// suite, registry pulls with and without credentials, resource limits as the engine records
// them, and the rule that containers without the gofer label do not exist for the scheduler.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "docker_fixture.h"
#include "engine_conformance.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler {
namespace {

using testing::Docker;
using testing::DockerFixture;
using testing::RegistryFixture;

}  // namespace

GOFER_ENGINE_CONFORMANCE("DockerEngine", DockerFixture)

TEST_CASE("DockerEngine pulls an image from a registry with credentials and records its digest") {
  RegistryFixture registry;
  DockerFixture f;
  ContainerSpec spec = f.Spec({"sh", "-c", "echo pulled"});
  spec.image = registry.image();
  spec.registry_auth = RegistryAuth{RegistryFixture::kUser, RegistryFixture::kPassword};
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  const std::string repository = registry.image().substr(0, registry.image().rfind(':'));
  CHECK(absl::StartsWith(started->image_digest, repository + "@sha256:"));
  const ContainerStatus status = conformance::WaitExited(f.engine(), started->id);
  CHECK(status.exit_code == 0);
  CHECK(status.image_digest == started->image_digest);
}

TEST_CASE(
    "DockerEngine fails FAILED_PRECONDITION with the engine's message when a pull is refused") {
  RegistryFixture registry;
  DockerFixture f;
  ContainerSpec spec = f.Spec({"true"});
  spec.image = registry.image();
  auto anonymous = f.engine().Start(spec);
  GOFER_REQUIRE_CODE(anonymous, absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(anonymous.status().message(), "cannot pull image"));
  CHECK(absl::StrContains(anonymous.status().message(), "auth"));  // the engine's reason

  spec.registry_auth = RegistryAuth{RegistryFixture::kUser, "wrong-password"};
  auto wrong = f.engine().Start(spec);
  GOFER_REQUIRE_CODE(wrong, absl::StatusCode::kFailedPrecondition);
  CHECK_FALSE(absl::StrContains(wrong.status().message(), "wrong-password"));
}

TEST_CASE("DockerEngine applies cpu, memory and pids limits and no network by default") {
  DockerFixture f;
  ContainerSpec spec = f.Spec({"sleep", "1000"});
  spec.resources = {.cpu_millis = 500, .memory_bytes = 64 << 20, .pids = 32};
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  auto limits = Docker({"inspect", "--format",
                        "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} "
                        "{{.HostConfig.PidsLimit}} {{.HostConfig.NetworkMode}}",
                        started->id});
  GOFER_REQUIRE_OK(limits);
  CHECK(absl::StripAsciiWhitespace(*limits) == "500000000 67108864 32 none");
}

TEST_CASE("DockerEngine treats a container without the gofer.managed label as absent") {
  DockerFixture f;
  // The test's own container, labelled as a test's but not as the scheduler's.
  auto created = Docker(
      {"create", "--label", "gofer.test-foreign=" + f.case_id(), testing::TestImage(), "true"});
  GOFER_REQUIRE_OK(created);
  const std::string id(absl::StripAsciiWhitespace(*created));
  GOFER_REQUIRE_CODE(f.engine().Inspect(id), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().Remove(id, true), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().Stop(id, absl::ZeroDuration()), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().OpenLogs(id, {}), absl::StatusCode::kNotFound);
  auto listed = f.engine().List({});
  GOFER_REQUIRE_OK(listed);
  for (const ContainerStatus& status : *listed) {
    CHECK(status.id != id);
  }
  GOFER_REQUIRE_OK(Docker({"inspect", id}));  // still there
  GOFER_REQUIRE_OK(Docker({"rm", id}));
}

}  // namespace gofer::scheduler
