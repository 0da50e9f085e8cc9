// LocalEngine on this machine (bubblewrap, cgroup v1, run as root): the conformance suite, and
// what only the local backend promises — cgroup limits written where the container runs, a
// private /tmp and workspace over a read-only /usr, no network unless asked, the image only
// recorded.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "absl/strings/str_split.h"
#include "engine_conformance.h"
#include "gofer/testing/status.h"
#include "local_fixture.h"

namespace gofer::scheduler {
namespace {

using conformance::ReadLogs;
using conformance::StartAndAwait;
using conformance::Text;
using conformance::WaitExited;
using testing::LocalFixture;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  std::getline(in, value);
  return value;
}

std::string RunToEnd(LocalFixture& f, const ContainerSpec& spec) {
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  CHECK(WaitExited(f.engine(), started->id).exit_code == 0);
  return Text(ReadLogs(f.engine(), started->id), OutputStream::kStdout);
}

}  // namespace

GOFER_ENGINE_CONFORMANCE("LocalEngine", LocalFixture)

TEST_CASE("LocalEngine writes the container's limits into its cgroups") {
  LocalFixture f;
  ContainerSpec spec = f.Spec({"sh", "-c", "echo ready; sleep 1000"});
  spec.resources = {.cpu_millis = 500, .memory_bytes = 64 << 20, .pids = 32};
  const std::string id = StartAndAwait(f, spec, "ready");
  const std::string base = f.options().cgroup_root;
  const std::string leaf = "/" + f.options().cgroup_parent + "/" + id;
  CHECK(ReadFile(base + "/cpu" + leaf + "/cpu.cfs_quota_us") == "50000");
  CHECK(ReadFile(base + "/memory" + leaf + "/memory.limit_in_bytes") == "67108864");
  CHECK(ReadFile(base + "/pids" + leaf + "/pids.max") == "32");
}

TEST_CASE("LocalEngine runs in a private workspace and /tmp over a read-only /usr") {
  LocalFixture f;
  const std::string script =
      "pwd; echo x > /tmp/mine; ls /tmp; touch /usr/gofer-probe 2>/dev/null || echo usr-ro; "
      "echo $HOSTNAME";
  ContainerSpec first = f.Spec({"sh", "-c", script});
  CHECK(RunToEnd(f, first) == "/workspace\nmine\nusr-ro\n" + first.name + "\n");
  CHECK(RunToEnd(f, f.Spec({"sh", "-c", "ls /tmp | wc -l"})) == "0\n");  // not the first's /tmp
}

TEST_CASE("LocalEngine gives a container only loopback unless the host network is asked for") {
  LocalFixture f;
  const std::string count = "grep -c : /proc/net/dev";
  CHECK(RunToEnd(f, f.Spec({"sh", "-c", count})) == "1\n");  // lo only
  ContainerSpec host = f.Spec({"sh", "-c", count});
  host.network = NetworkMode::kHost;
  std::ifstream own("/proc/net/dev");
  int interfaces = 0;
  for (std::string line; std::getline(own, line);) {
    interfaces += line.find(':') != std::string::npos ? 1 : 0;
  }
  CHECK(RunToEnd(f, host) == std::to_string(interfaces) + "\n");
}

TEST_CASE("LocalEngine records the image without using it and refuses a spec without a command") {
  LocalFixture f;
  auto started = f.engine().Start(f.Spec({"true"}));
  GOFER_REQUIRE_OK(started);
  CHECK(started->image_digest.empty());
  CHECK(f.engine().Inspect(started->id)->image == "recorded-not-used:1");
  GOFER_REQUIRE_CODE(f.engine().Start(f.Spec({})), absl::StatusCode::kInvalidArgument);
}

}  // namespace gofer::scheduler
