// The `gofer` CLI binary, run as a process against a real api-gateway process (fresh schemas in
// the test Postgres): bootstrap, namespaces, pipeline registration and diffs, deployments,
// JSON output parsed back, and errors in plain words with the right exit codes.
#include <signal.h>
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_gateway.h"

namespace gofer {
namespace {

using e2e::CliResult;
using e2e::Gateway;
using e2e::ParseJson;

const std::string kFixtures = GOFER_FIXTURES_DIR;

// The contents of the DAG example fixture.
std::string DagYaml() {
  std::ifstream in(kFixtures + "/dag.yaml");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("token bootstrap --save writes a 0600 config file whose token works for whoami") {
  Gateway gateway;
  const std::string out = gateway.MustRun({"token", "bootstrap", "--save"});
  CHECK(out.find("saved the token") != std::string::npos);
  struct stat st {};
  REQUIRE(stat(gateway.config_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const nlohmann::json whoami = ParseJson(gateway.MustRun({"token", "whoami", "-o", "json"}));
  CHECK(whoami["roles"] == nlohmann::json::array({"admin"}));
}

TEST_CASE("namespace create, list and get show the new namespace in JSON") {
  Gateway gateway;
  gateway.Bootstrap();
  gateway.MustRun({"namespace", "create", "team-a", "--name", "Team A", "--description", "A"});
  const nlohmann::json list = ParseJson(gateway.MustRun({"namespace", "list", "-o", "json"}));
  std::vector<std::string> ids;
  for (const auto& ns : list["namespaces"]) {
    ids.push_back(ns["id"]);
  }
  CHECK(ids == std::vector<std::string>{"default", "team-a"});
  const nlohmann::json got =
      ParseJson(gateway.MustRun({"namespace", "get", "team-a", "-o", "json"}));
  CHECK(got["name"] == "Team A");
  CHECK(gateway.MustRun({"namespace", "list"}).find("Team A") != std::string::npos);
}

TEST_CASE("Registering the same config twice reports it unchanged") {
  Gateway gateway;
  gateway.Bootstrap();
  const std::string dag = kFixtures + "/dag.yaml";
  CHECK(gateway.MustRun({"pipeline", "register", dag}).find("registered version 1") !=
        std::string::npos);
  CHECK(gateway.MustRun({"pipeline", "register", dag}).find("unchanged (version 1)") !=
        std::string::npos);
}

TEST_CASE("Registering a changed config prints the version and the diff") {
  Gateway gateway;
  gateway.Bootstrap();
  gateway.MustRun({"pipeline", "register", kFixtures + "/dag.yaml"});
  std::string changed = DagYaml();
  changed.replace(changed.find("alpine:3.19"), 11, "alpine:3.20");
  const std::string out =
      gateway.MustRun({"pipeline", "register", gateway.WriteFile("dag.yaml", changed)});
  CHECK(out.find("registered version 2") != std::string::npos);
  CHECK(out.find("tasks[cleanup].image: \"alpine:3.19\" → \"alpine:3.20\"") != std::string::npos);
  const std::string diff = gateway.MustRun({"config", "diff", "dag", "1", "2"});
  CHECK(diff.find("tasks[cleanup].image") != std::string::npos);
}

TEST_CASE("A config given by --exec is registered from the command's output") {
  Gateway gateway;
  gateway.Bootstrap();
  const std::string out =
      gateway.MustRun({"pipeline", "register", "--exec", "cat " + kFixtures + "/dag.json"});
  CHECK(out.find("registered version 1") != std::string::npos);
}

TEST_CASE("deploy makes a version live and deployment list shows it in JSON") {
  Gateway gateway;
  gateway.Bootstrap();
  gateway.MustRun({"pipeline", "register", kFixtures + "/dag.yaml"});
  gateway.MustRun({"deploy", "dag", "1"});
  const nlohmann::json list =
      ParseJson(gateway.MustRun({"deployment", "list", "dag", "-o", "json"}));
  REQUIRE(list["deployments"].size() == 1);
  CHECK(list["deployments"][0]["end_version"] == "1");
  CHECK(list["deployments"][0]["status"] == "DEPLOYMENT_STATUS_SUCCESSFUL");
  const nlohmann::json pipeline =
      ParseJson(gateway.MustRun({"pipeline", "get", "dag", "-o", "json"}));
  CHECK(pipeline["live_versions"] == nlohmann::json::array({"1"}));
}

TEST_CASE("pipeline disable shows as the DISABLED state in pipeline get") {
  Gateway gateway;
  gateway.Bootstrap();
  gateway.MustRun({"pipeline", "register", kFixtures + "/dag.yaml"});
  CHECK(gateway.MustRun({"pipeline", "disable", "dag"}).find("now disabled") != std::string::npos);
  const nlohmann::json got = ParseJson(gateway.MustRun({"pipeline", "get", "dag", "-o", "json"}));
  CHECK(got["state"] == "PIPELINE_STATE_DISABLED");
}

TEST_CASE("An invalid config fails locally with exit 1 and a line per broken field") {
  Gateway gateway;
  gateway.Bootstrap();
  const std::string bad = gateway.WriteFile(
      "bad.yaml",
      "id: bad\ntasks:\n  - id: build\n    imag: alpine\n    depends_on:\n      nope: success\n");
  const CliResult result = gateway.Run({"pipeline", "register", bad});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("gofer: " + bad) != std::string::npos);
  CHECK(result.output.find("  tasks[0].imag: ") != std::string::npos);
  CHECK(result.output.find("line 4") != std::string::npos);
}

TEST_CASE("An unknown pipeline prints the server's not-found message with exit 1") {
  Gateway gateway;
  gateway.Bootstrap();
  const CliResult result = gateway.Run({"pipeline", "get", "nope"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("gofer: pipeline 'nope' not found in namespace 'default'") !=
        std::string::npos);
}

TEST_CASE("A call without a token suggests bootstrap or GOFER_TOKEN") {
  Gateway gateway;
  const CliResult result = gateway.Run({"namespace", "list"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("gofer token bootstrap --save") != std::string::npos);
  CHECK(result.output.find("GOFER_TOKEN") != std::string::npos);
}

TEST_CASE("A wrong command line exits 2") {
  Gateway gateway;
  CHECK(gateway.Run({"namespace", "get"}).exit_code == 2);
  CHECK(gateway.Run({"-o", "xml", "namespace", "list"}).exit_code == 2);
}

TEST_CASE("event list shows the registration and event watch stops after --limit events") {
  Gateway gateway;
  gateway.Bootstrap();
  gateway.MustRun({"pipeline", "register", kFixtures + "/dag.yaml"});
  const nlohmann::json list = ParseJson(
      gateway.MustRun({"event", "list", "--pipeline", "dag", "-n", "default", "-o", "json"}));
  REQUIRE_FALSE(list["events"].empty());
  const std::string watched = gateway.MustRun({"event", "watch", "--limit", "1", "-o", "json"});
  CHECK(ParseJson(watched).contains("kind"));
}

TEST_CASE("system info and summary answer in YAML and tables") {
  Gateway gateway;
  gateway.Bootstrap();
  CHECK(gateway.MustRun({"system", "info", "-o", "yaml"}).find("version: ") != std::string::npos);
  CHECK(gateway.MustRun({"system", "summary"}).find("namespaces: 1") != std::string::npos);
}

TEST_CASE("completion bash prints a script that knows every command family") {
  Gateway gateway;
  const std::string script = gateway.MustRun({"completion", "bash"});
  CHECK(script.find("complete -F _gofer gofer") != std::string::npos);
  CHECK(script.find("[\"gofer pipeline\"]=\"register list get enable disable delete") !=
        std::string::npos);
}

}  // namespace
}  // namespace gofer
