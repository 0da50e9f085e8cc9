// `gofer role`, `gofer object` and `gofer secret` as processes against a real api-gateway
// process, with real object-store and secret-store processes behind it (cli_stores_stack.h),
// and the objects and secret examples run to completion on the local backend through a
// run-queue stack sharing those services.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_gateway.h"
#include "cli_stores_stack.h"

namespace gofer {
namespace {

using e2e::CliResult;
using e2e::Gateway;
using e2e::ParseJson;
using e2e::SandboxCli;
using e2e::StoresStack;

const std::string kExamples = GOFER_EXAMPLES_DIR;

// A pipeline for objects and secrets to belong to (they need one that exists).
constexpr char kStore[] = R"(id: store
tasks:
  - id: noop
    image: busybox
    script: "true"
)";

// Writes `size` pseudo-random bytes (every byte value, NULs included) to `path`.
void WriteRandomFile(const std::string& path, size_t size) {
  std::mt19937 random(42);
  std::string bytes(size, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(random() & 0xff);
  }
  std::ofstream(path, std::ios::binary) << bytes;
}

// The values of `field` of the items of `list`.
std::vector<std::string> Column(const nlohmann::json& list, const std::string& field) {
  std::vector<std::string> out;
  for (const auto& item : list) {
    out.push_back(item.at(field).get<std::string>());
  }
  return out;
}

// The line of `text` that starts with `prefix` ("" when none does).
std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) {
      return line;
    }
  }
  return "";
}

// `gofer args...` that must fail with exit code 1 (a refused call); returns its output.
std::string MustFail(Gateway& gateway, const std::vector<std::string>& args,
                     std::map<std::string, std::string> env = {}) {
  const CliResult result = gateway.Run(args, std::move(env));
  INFO(result.output);
  CHECK(result.exit_code == 1);
  return result.output;
}

TEST_CASE("role create/get/update/list/delete round-trip a role in JSON") {
  Gateway gateway;
  gateway.Bootstrap();
  const nlohmann::json created = ParseJson(
      gateway.MustRun({"-o", "json", "role", "create", "deployer", "--description", "Deploys prod",
                       "--permission", "runs,deployments,namespaces:prod-*:read,write",
                       "--permission", "pipelines:api-*,namespaces:prod-*:read"}));
  CHECK(created["id"] == "deployer");
  CHECK(created["system_role"] == false);
  REQUIRE(created["permissions"].size() == 2);
  CHECK(created["permissions"][0]["resources"] ==
        nlohmann::json::array({"runs", "deployments", "namespaces:prod-*"}));
  CHECK(created["permissions"][0]["actions"] ==
        nlohmann::json::array({"ACTION_READ", "ACTION_WRITE"}));

  const nlohmann::json got = ParseJson(gateway.MustRun({"-o", "json", "role", "get", "deployer"}));
  CHECK(got["description"] == "Deploys prod");
  CHECK(got["permissions"] == created["permissions"]);
  const std::string table = gateway.MustRun({"role", "get", "deployer"});
  CHECK(table.find("  runs,deployments,namespaces:prod-*:read,write") != std::string::npos);

  const nlohmann::json updated = ParseJson(gateway.MustRun(
      {"-o", "json", "role", "update", "deployer", "--permission", "runs,namespaces:read"}));
  CHECK(updated["changed"] == true);
  CHECK(updated["role"]["permissions"].size() == 1);
  CHECK(gateway.MustRun({"role", "update", "deployer", "--permission", "runs,namespaces:read"})
            .find("role 'deployer' unchanged") != std::string::npos);

  const nlohmann::json list = ParseJson(gateway.MustRun({"-o", "json", "role", "list"}));
  const std::vector<std::string> ids = Column(list["roles"], "id");
  CHECK(std::find(ids.begin(), ids.end(), "deployer") != ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "admin") != ids.end());
  const std::string roles = gateway.MustRun({"role", "list"});
  INFO(roles);
  const std::string row = LineStartingWith(roles, "deployer ");
  CHECK(row.find(" no ") != std::string::npos);
  CHECK(row.find("runs,namespaces:read") != std::string::npos);

  CHECK(gateway.MustRun({"role", "delete", "deployer"}).find("deleted role 'deployer'") !=
        std::string::npos);
  CHECK(MustFail(gateway, {"role", "get", "deployer"}).find("gofer: ") != std::string::npos);
}

TEST_CASE("A token limited by a created role is denied outside it") {
  Gateway gateway;
  gateway.Bootstrap();
  gateway.MustRun({"namespace", "create", "team-a"});
  gateway.MustRun(
      {"role", "create", "team-a-reader", "--permission", "pipelines,namespaces:team-a:read"});
  const nlohmann::json token = ParseJson(gateway.MustRun(
      {"-o", "json", "token", "create", "--user", "bob", "--role", "team-a-reader"}));
  const std::map<std::string, std::string> as_bob = {{"GOFER_TOKEN", token["secret"]}};

  const CliResult inside = gateway.Run({"pipeline", "list", "-n", "team-a"}, as_bob);
  INFO(inside.output);
  CHECK(inside.exit_code == 0);
  const std::string outside = MustFail(gateway, {"pipeline", "list", "-n", "default"}, as_bob);
  CHECK(outside.find("gofer: token 'bob' (roles: team-a-reader) is not allowed read on "
                     "pipelines in namespace 'default'") != std::string::npos);
  CHECK(outside.find("hint: the token's roles do not grant this") != std::string::npos);
  // Reading is all the role grants.
  MustFail(gateway, {"namespace", "create", "team-b"}, as_bob);
  MustFail(gateway, {"token", "list"}, as_bob);
  // A role a token holds is not deleted from under it.
  MustFail(gateway, {"role", "delete", "team-a-reader"});
}

TEST_CASE("A malformed --permission is a command-line error naming the syntax") {
  Gateway gateway;
  const CliResult result =
      gateway.Run({"role", "create", "bad", "--permission", "runs,namespaces:prod-*"});
  INFO(result.output);
  CHECK(result.exit_code == 2);
  CHECK(result.output.find("unknown action 'prod-*'") != std::string::npos);
  CHECK(result.output.find("RESOURCE[,RESOURCE...]:ACTION[,ACTION...]") != std::string::npos);
}

TEST_CASE("object put/get/list/stat/delete move a 1.5 MiB file byte for byte") {
  StoresStack s(/*with_runs=*/false);
  Gateway& gateway = s.gateway();
  gateway.MustRun({"pipeline", "register", gateway.WriteFile("store.yaml", kStore)});
  const std::string big = gateway.dir() + "/big.bin";
  WriteRandomFile(big, (3 << 20) / 2 + 7);  // two chunks and a bit

  // From a file, as a pipeline object.
  const nlohmann::json put = ParseJson(
      gateway.MustRun({"-o", "json", "object", "put", "--pipeline", "store", "big.bin", big}));
  CHECK(put["object"]["size"] == std::to_string((3 << 20) / 2 + 7));
  // From standard input, as a run object (--pipeline P --run N).
  const std::string notes = gateway.WriteFile("notes.txt", "first line\nsecond line\n");
  const CliResult piped = gateway.RunShell(
      "\"$GOFER\" object put --pipeline store --run 3 "
      "notes/today.txt < " +
      notes);
  INFO(piped.output);
  CHECK(piped.exit_code == 0);
  CHECK(piped.output.find("stored run object 'notes/today.txt' of run 3 of 'store'") !=
        std::string::npos);

  // To standard output, byte for byte.
  const CliResult same = gateway.RunShell(
      "\"$GOFER\" object get --pipeline store big.bin | cmp - " + big + " && echo identical");
  INFO(same.output);
  CHECK(same.output == "identical");
  // To a file, with --run PIPELINE/RUN.
  const std::string copy = gateway.dir() + "/copy.txt";
  gateway.MustRun({"object", "get", "--run", "store/3", "notes/today.txt", copy});
  std::ifstream in(copy);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "first line\nsecond line\n");

  const nlohmann::json listed =
      ParseJson(gateway.MustRun({"-o", "json", "object", "list", "--pipeline", "store"}));
  CHECK(Column(listed["objects"], "sha256").size() == 1);
  CHECK(listed["objects"][0]["ref"]["key"] == "big.bin");
  CHECK(gateway.MustRun({"object", "list", "--run", "store/3", "--prefix", "notes/"})
            .find("notes/today.txt  23 B") != std::string::npos);
  const nlohmann::json stat = ParseJson(
      gateway.MustRun({"-o", "json", "object", "stat", "--run", "store/3", "notes/today.txt"}));
  CHECK(stat["size"] == "23");
  CHECK(stat["ref"]["scope"] == "OBJECT_SCOPE_RUN");
  CHECK(stat["sha256"].get<std::string>().size() == 64);

  // Replacing needs --force.
  CHECK(MustFail(gateway, {"object", "put", "--pipeline", "store", "big.bin", notes})
            .find("already exists (--force replaces it)") != std::string::npos);
  gateway.MustRun({"object", "put", "--pipeline", "store", "big.bin", notes, "--force"});
  CHECK(gateway.MustRun({"object", "stat", "--pipeline", "store", "big.bin"})
            .find("size:      23 B (23 bytes)") != std::string::npos);

  CHECK(gateway.MustRun({"object", "delete", "--pipeline", "store", "big.bin"})
            .find("deleted pipeline object 'big.bin' of 'store'") != std::string::npos);
  MustFail(gateway, {"object", "stat", "--pipeline", "store", "big.bin"});
  // A run named twice, differently, is refused before any call.
  CHECK(MustFail(gateway, {"object", "list", "--pipeline", "other", "--run", "store/3"})
            .find("names pipeline 'store' but --pipeline says 'other'") != std::string::npos);
}

TEST_CASE(
    "secret put reads stdin and get shows the value only with --reveal and never takes it as an "
    "argument") {
  StoresStack s(/*with_runs=*/false);
  Gateway& gateway = s.gateway();
  gateway.MustRun({"pipeline", "register", gateway.WriteFile("store.yaml", kStore)});

  const CliResult put =
      gateway.RunShell("echo 's3cr3t-value' | \"$GOFER\" secret put --pipeline store api/token");
  INFO(put.output);
  CHECK(put.exit_code == 0);
  CHECK(put.output == "stored pipeline secret 'api/token' of 'store'");

  const std::string hidden = gateway.MustRun({"secret", "get", "--pipeline", "store", "api/token"});
  CHECK(hidden.find("(hidden; --reveal shows it)") != std::string::npos);
  CHECK(hidden.find("s3cr3t") == std::string::npos);
  const nlohmann::json hidden_json = ParseJson(
      gateway.MustRun({"-o", "json", "secret", "get", "--pipeline", "store", "api/token"}));
  CHECK(hidden_json["value"] == "");
  CHECK(hidden_json["metadata"]["ref"]["key"] == "api/token");
  // (echo's newline was dropped: the value is the last thing printed.)
  CHECK(gateway.MustRun({"secret", "get", "--pipeline", "store", "api/token", "--reveal"})
            .ends_with("value:      s3cr3t-value"));
  const nlohmann::json revealed = ParseJson(gateway.MustRun(
      {"-o", "json", "secret", "get", "--pipeline", "store", "api/token", "--reveal"}));
  CHECK(revealed["value"] == "czNjcjN0LXZhbHVl");  // base64 of s3cr3t-value

  // A value on the command line never reaches the server.
  const CliResult argument =
      gateway.Run({"secret", "put", "--pipeline", "store", "other", "hunter2"});
  INFO(argument.output);
  CHECK(argument.exit_code == 2);
  CHECK(argument.output.find("never taken from the command line") != std::string::npos);
  CHECK(MustFail(gateway, {"secret", "put", "--pipeline", "store", "api/token"}).find("is empty") !=
        std::string::npos);  // stdin is empty here

  // Replacing needs --force; --from-file keeps the bytes exactly.
  const std::string file = gateway.WriteFile("token.txt", "from-file\n");
  CHECK(
      MustFail(gateway, {"secret", "put", "--pipeline", "store", "api/token", "--from-file", file})
          .find("already exists (--force replaces it)") != std::string::npos);
  CHECK(gateway
            .MustRun({"secret", "put", "--pipeline", "store", "api/token", "--from-file", file,
                      "--force"})
            .find("replaced pipeline secret 'api/token'") != std::string::npos);
  CHECK(ParseJson(gateway.MustRun({"-o", "json", "secret", "get", "--pipeline", "store",
                                   "api/token", "--reveal"}))["value"] == "ZnJvbS1maWxlCg==");

  // Global secrets, with the namespaces that may use them.
  CHECK(gateway
            .RunShell("printf x | \"$GOFER\" secret put --global shared --namespaces "
                      "'prod-*, dev'")
            .exit_code == 0);
  const nlohmann::json globals =
      ParseJson(gateway.MustRun({"-o", "json", "secret", "list", "--global"}));
  REQUIRE(globals["secrets"].size() == 1);
  CHECK(globals["secrets"][0]["namespace_patterns"] == nlohmann::json::array({"prod-*", "dev"}));
  CHECK(gateway.MustRun({"secret", "list", "--global"}).find("shared  prod-*,dev") !=
        std::string::npos);

  const nlohmann::json list =
      ParseJson(gateway.MustRun({"-o", "json", "secret", "list", "--pipeline", "store"}));
  REQUIRE(list["secrets"].size() == 1);
  CHECK(list["secrets"][0]["ref"]["key"] == "api/token");
  gateway.MustRun({"secret", "delete", "--pipeline", "store", "api/token"});
  CHECK(
      ParseJson(gateway.MustRun({"-o", "json", "secret", "list", "--pipeline", "store"}))["secrets"]
          .empty());
}

TEST_CASE("Every example config passes pipeline register") {
  Gateway gateway;
  gateway.Bootstrap();
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    ++examples;
    INFO(entry.path());
    CHECK(gateway.MustRun({"pipeline", "register", entry.path().string()})
              .find("registered version 1") != std::string::npos);
  }
  CHECK(examples >= 4);
}

// Registers and deploys the example `name` and runs it to completion with the CLI copy that
// the sandbox sees; REQUIREs success and returns the log of task `task`.
std::string RunExample(StoresStack& s, const std::string& name, const std::string& task,
                       const std::function<void()>& before_run = {}) {
  Gateway& gateway = s.gateway();
  gateway.MustRun({"pipeline", "register", kExamples + "/" + name + ".yaml"});
  if (before_run) {
    before_run();
  }
  gateway.MustRun({"deploy", name, "1"});
  SandboxCli cli;
  const CliResult watched = gateway.Run(
      {"run", "start", name, "--var", cli.PathVariable(), "--watch"}, {}, absl::Seconds(120));
  INFO(watched.output);
  if (watched.exit_code != 0) {
    for (const char* t : {"produce", "consume", "use-token"}) {
      INFO(t << ": " << gateway.Run({"task", "logs", name, "1", t}).output);
    }
    REQUIRE(watched.exit_code == 0);
  }
  return gateway.MustRun({"task", "logs", name, "1", task});
}

TEST_CASE("objects.yaml: consume reads what produce stored as a run object with gofer") {
  StoresStack s(/*with_runs=*/true);
  const std::string consumed = RunExample(s, "objects", "consume");
  INFO(consumed);
  CHECK(consumed.find("produce said: report of run 1: 42 tests passed") != std::string::npos);
  CHECK(consumed.find("and again: report of run 1: 42 tests passed") != std::string::npos);
  const std::string produced = s.gateway().MustRun({"task", "logs", "objects", "1", "produce"});
  CHECK(produced.find("stored run object 'report.txt' of run 1 of 'objects'") != std::string::npos);
  CHECK(s.gateway().MustRun({"object", "list", "--run", "objects/1"}).find("report.txt") !=
        std::string::npos);
}

TEST_CASE(
    "secret.yaml: the task has the secret and its log shows it redacted and never the value") {
  StoresStack s(/*with_runs=*/true);
  const std::string value = "e2e-token-5f3a9c";
  const std::string log = RunExample(s, "secret", "use-token", [&] {
    const CliResult put = s.gateway().RunShell("printf %s '" + value +
                                               "' | \"$GOFER\" secret put --pipeline secret "
                                               "api_token");
    INFO(put.output);
    REQUIRE(put.exit_code == 0);
  });
  INFO(log);
  CHECK(log.find("the token has 16 characters") != std::string::npos);
  CHECK(log.find("printing it anyway: [redacted]") != std::string::npos);
  CHECK(log.find(value) == std::string::npos);
}

}  // namespace
}  // namespace gofer
