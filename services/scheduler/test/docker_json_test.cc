// The Engine API's JSON ⇄ the scheduler's types, on recorded engine answers (dockerd 20.10).
#include <catch2/catch.hpp>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "docker_json.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler::docker {
namespace {

using nlohmann::json;

// `docker inspect` of a container OOM-killed under a 32 MiB limit (trimmed to what is read).
constexpr char kOomKilled[] = R"({
 "Id": "5e6b111f374b3005e64c642cc6d803aaf7799a6526e09b607225cb5a43cc041b",
 "Name": "/oomt",
 "State": {"Status": "exited", "Running": false, "Paused": false, "Restarting": false,
           "OOMKilled": true, "Dead": false, "Pid": 0, "ExitCode": 137, "Error": "",
           "StartedAt": "2026-11-30T06:33:21.847662853Z",
           "FinishedAt": "2026-11-30T06:33:22.010274484Z"},
 "Config": {"Image": "gofer-test/busybox:1",
            "Labels": {"gofer.image-digest": "sha256:abc", "gofer.managed": "true", "run": "7"}}
})";

constexpr char kRunning[] = R"({
 "Id": "abc", "Name": "/task",
 "State": {"Status": "running", "ExitCode": 0, "OOMKilled": false, "Error": "",
           "StartedAt": "2026-11-30T06:33:21.847662853Z", "FinishedAt": "0001-01-01T00:00:00Z"},
 "Config": {"Image": "img", "Labels": {"gofer.managed": "true"}}
})";

}  // namespace

TEST_CASE("ParseInspect maps an OOM-killed container's state, times and labels") {
  auto status = ParseInspect(json::parse(kOomKilled), "node-1");
  GOFER_REQUIRE_OK(status);
  CHECK(status->id == "5e6b111f374b3005e64c642cc6d803aaf7799a6526e09b607225cb5a43cc041b");
  CHECK(status->name == "oomt");
  CHECK(status->state == ContainerState::kExited);
  CHECK(status->exit_code == 137);
  CHECK(status->oom_killed);
  REQUIRE(status->started.has_value());
  REQUIRE(status->finished.has_value());
  CHECK(*status->finished - *status->started == absl::Nanoseconds(162611631));
  CHECK(status->image == "gofer-test/busybox:1");
  CHECK(status->image_digest == "sha256:abc");
  CHECK(status->labels.at("run") == "7");
  CHECK(status->node == "node-1");
}

TEST_CASE("ParseInspect leaves the finish time of a running container unset") {
  auto status = ParseInspect(json::parse(kRunning), "n");
  GOFER_REQUIRE_OK(status);
  CHECK(status->state == ContainerState::kRunning);
  CHECK(status->started.has_value());
  CHECK_FALSE(status->finished.has_value());
  CHECK(status->image_digest.empty());
}

TEST_CASE(
    "ParseInspect maps podman's configured state to created and rejects documents without State") {
  json podman = json::parse(kRunning);
  podman["State"]["Status"] = "configured";
  CHECK(ParseInspect(podman, "n")->state == ContainerState::kCreated);
  GOFER_REQUIRE_CODE(ParseInspect(json::parse(R"({"Id": "x"})"), "n"), absl::StatusCode::kInternal);
}

TEST_CASE("CreateContainerBody maps the spec, its limits and the managed labels") {
  ContainerSpec spec{.name = "t",
                     .image = "img:1",
                     .env = {{"A", "1"}, {"B", "x=y"}},
                     .entrypoint = {"/bin/sh", "-c"},
                     .command = {"echo hi"},
                     .working_dir = "/w",
                     .resources = {1500, 64 << 20, 32},
                     .labels = {{"run", "7"}},
                     .network = NetworkMode::kNone};
  const json body = CreateContainerBody(spec, "sha256:d");
  CHECK(body["Image"] == "img:1");
  CHECK(body["Env"] == json::array({"A=1", "B=x=y"}));
  CHECK(body["Entrypoint"] == json::array({"/bin/sh", "-c"}));
  CHECK(body["Cmd"] == json::array({"echo hi"}));
  CHECK(body["WorkingDir"] == "/w");
  CHECK(body["Labels"] ==
        json{{"run", "7"}, {"gofer.managed", "true"}, {"gofer.image-digest", "sha256:d"}});
  CHECK(body["HostConfig"]["NetworkMode"] == "none");
  CHECK(body["HostConfig"]["NanoCpus"] == 1500000000);
  CHECK(body["HostConfig"]["Memory"] == 64 << 20);
  CHECK(body["HostConfig"]["MemorySwap"] == 64 << 20);
  CHECK(body["HostConfig"]["PidsLimit"] == 32);
  CHECK(body["Tty"] == false);
}

TEST_CASE("CreateContainerBody leaves out what the spec does not set") {
  const json body =
      CreateContainerBody({.name = "t", .image = "img", .network = NetworkMode::kHost}, "");
  CHECK_FALSE(body.contains("Entrypoint"));
  CHECK_FALSE(body.contains("Cmd"));
  CHECK_FALSE(body.contains("WorkingDir"));
  CHECK_FALSE(body["HostConfig"].contains("Memory"));
  CHECK_FALSE(body["HostConfig"].contains("NanoCpus"));
  CHECK(body["HostConfig"]["NetworkMode"] == "host");
}

TEST_CASE("ParseImageReference finds the registry, repository, tag and digest") {
  auto ref = ParseImageReference("127.0.0.1:5000/team/tool:1.2");
  CHECK(ref.registry == "127.0.0.1:5000");
  CHECK(ref.repository == "127.0.0.1:5000/team/tool");
  CHECK(ref.tag == "1.2");
  ref = ParseImageReference("busybox");
  CHECK(ref.registry == "docker.io");
  CHECK(ref.repository == "busybox");
  CHECK(ref.tag == "latest");
  ref = ParseImageReference("localhost/x@sha256:00ff");
  CHECK(ref.registry == "localhost");
  CHECK(ref.repository == "localhost/x");
  CHECK(ref.tag.empty());
  CHECK(ref.digest == "sha256:00ff");
  CHECK(ParseImageReference("library/ubuntu:22.04").registry == "docker.io");
}

TEST_CASE("ImageDigestOf prefers the repository's RepoDigest and falls back to the image id") {
  const json pulled = {{"Id", "sha256:id"},
                       {"RepoDigests", {"other/x@sha256:1", "127.0.0.1:5000/bb@sha256:2"}}};
  CHECK(ImageDigestOf(pulled, ParseImageReference("127.0.0.1:5000/bb:1")) ==
        "127.0.0.1:5000/bb@sha256:2");
  CHECK(ImageDigestOf(pulled, ParseImageReference("elsewhere/y:1")) == "other/x@sha256:1");
  CHECK(ImageDigestOf({{"Id", "sha256:id"}, {"RepoDigests", json::array()}},
                      ParseImageReference("bb:1")) == "sha256:id");
}

TEST_CASE("RegistryAuthHeader is base64url JSON with the registry as server address") {
  const std::string header = RegistryAuthHeader({"gofer", "s3cret/+?"}, "127.0.0.1:5000");
  CHECK(header.find('+') == std::string::npos);
  CHECK(header.find('/') == std::string::npos);
  std::string decoded;
  REQUIRE(absl::Base64Unescape(absl::StrReplaceAll(header, {{"-", "+"}, {"_", "/"}}), &decoded));
  const json config = json::parse(decoded);
  CHECK(config["username"] == "gofer");
  CHECK(config["password"] == "s3cret/+?");
  CHECK(config["serveraddress"] == "127.0.0.1:5000");
  const json hub = json::parse([&] {
    std::string d;
    absl::Base64Unescape(
        absl::StrReplaceAll(RegistryAuthHeader({"u", "p"}, "docker.io"), {{"-", "+"}, {"_", "/"}}),
        &d);
    return d;
  }());
  CHECK(hub["serveraddress"] == "https://index.docker.io/v1/");
}

TEST_CASE("PullStreamError finds the error in a pull's progress stream") {
  CHECK(PullStreamError("{\"status\":\"Pulling from bb\"}\n{\"status\":\"Digest: sha256:1\"}\n")
            .empty());
  CHECK(PullStreamError("{\"status\":\"Pulling\"}\n{\"errorDetail\":{\"message\":\"no basic "
                        "auth credentials\"},\"error\":\"no basic auth credentials\"}\n") ==
        "no basic auth credentials");
}

TEST_CASE("ErrorMessage reads the engine's message or keeps a non-JSON body") {
  CHECK(ErrorMessage(R"({"message":"No such container: x"})") == "No such container: x");
  CHECK(ErrorMessage("page not found\n") == "page not found");
  CHECK(ErrorMessage("") == "(no message)");
}

TEST_CASE("LabelFilter always selects the managed label") {
  CHECK(json::parse(LabelFilter({{"run", "7"}}, false)) ==
        json{{"label", {"gofer.managed=true", "run=7"}}});
  CHECK(json::parse(LabelFilter({}, true)) ==
        json{{"label", {"gofer.managed=true"}}, {"type", {"container"}}});
}

TEST_CASE("ParseEvent keeps container state events and ignores the rest") {
  const auto die = ParseEvent(
      R"({"status":"die","id":"abc","Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"name":"task","exitCode":"0"}}})");
  CHECK(die.id == "abc");
  CHECK(die.name == "task");
  CHECK(ParseEvent(R"({"Type":"container","Action":"exec_start: sh","Actor":{"ID":"abc"}})")
            .id.empty());
  CHECK(ParseEvent(R"({"Type":"network","Action":"connect","Actor":{"ID":"n"}})").id.empty());
  CHECK(ParseEvent("not json").id.empty());
}

TEST_CASE("ExecCreateBody attaches every stream and passes the tty flag") {
  const json body =
      ExecCreateBody({.container = "c", .command = {"sh"}, .tty = true, .env = {{"X", "1"}}});
  CHECK(body["AttachStdin"] == true);
  CHECK(body["AttachStdout"] == true);
  CHECK(body["Tty"] == true);
  CHECK(body["Cmd"] == json::array({"sh"}));
  CHECK(body["Env"] == json::array({"X=1"}));
}

}  // namespace gofer::scheduler::docker
