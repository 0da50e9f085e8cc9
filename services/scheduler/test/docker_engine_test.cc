// DockerEngine without an engine: configuration errors and an unreachable socket.
#include <catch2/catch.hpp>

#include "docker_engine.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler {

TEST_CASE("DockerEngine refuses a docker.host that is not a unix socket") {
  GOFER_REQUIRE_CODE(DockerEngine::Create({.host = "tcp://127.0.0.1:2375"}),
                     absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(DockerEngine::Create({.host = "unix://"}), absl::StatusCode::kInvalidArgument);
}

TEST_CASE("DockerEngine answers UNAVAILABLE when nothing listens on its socket") {
  auto engine = DockerEngine::Create(
      {.host = "unix:///tmp/gofer-no-such-engine.sock", .request_timeout = absl::Seconds(2)});
  GOFER_REQUIRE_OK(engine);
  GOFER_REQUIRE_CODE((*engine)->Ping(), absl::StatusCode::kUnavailable);
  GOFER_REQUIRE_CODE((*engine)->Inspect("c"), absl::StatusCode::kUnavailable);
  GOFER_REQUIRE_CODE((*engine)->Start({.name = "c", .image = "i", .command = {"true"}}),
                     absl::StatusCode::kUnavailable);
}

}  // namespace gofer::scheduler
