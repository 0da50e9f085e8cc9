#include "cli_gateway.h"

#include <signal.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "gofer/testing/status.h"

namespace gofer::e2e {
namespace {

using testing::ChildProcess;

const std::string kBuild = GOFER_BINARY_DIR;

// "... serving on 127.0.0.1:PORT (...)" → "127.0.0.1:PORT".
std::string ServingAddress(const std::string& line) {
  const std::string marker = "serving on ";
  const size_t start = line.find(marker) + marker.size();
  return line.substr(start, line.find(' ', start) - start);
}

}  // namespace

nlohmann::json ParseJson(const std::string& text) {
  INFO(text);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  REQUIRE_FALSE(value.is_discarded());
  return value;
}

Gateway::Gateway(GatewayOptions options) : schema_("cli") {
  std::string events = options.events_schema;
  if (events.empty()) {
    own_events_ = std::make_unique<testing::PgTestSchema>("clev");
    events = own_events_->name();
  }
  std::map<std::string, std::string> env = {
      {"GOFER_API_GATEWAY_LISTEN_ADDRESS", options.listen_address},
      {"GOFER_API_GATEWAY_INTERNAL_CREDENTIAL", options.internal_credential},
      {"GOFER_API_GATEWAY_LOG_FORMAT", "text"},
      {"GOFER_API_GATEWAY_DRAIN_TIMEOUT", "5s"},
      {"GOFER_API_GATEWAY_POSTGRES_DSN", schema_.dsn()},
      {"GOFER_API_GATEWAY_POSTGRES_SCHEMA", schema_.name()},
      {"GOFER_API_GATEWAY_POSTGRES_EVENTS_SCHEMA", events}};
  if (!options.run_queue_address.empty()) {
    env["GOFER_API_GATEWAY_RUN_QUEUE_ADDRESS"] = options.run_queue_address;
  }
  if (!options.scheduler_address.empty()) {
    env["GOFER_API_GATEWAY_SCHEDULER_ADDRESS"] = options.scheduler_address;
  }
  for (const auto& [key, value] : options.settings) {
    env["GOFER_API_GATEWAY_" + key] = value;
  }
  if (!options.object_store_address.empty()) {
    env["GOFER_API_GATEWAY_OBJECT_STORE_ADDRESS"] = options.object_store_address;
  }
  if (!options.secret_store_address.empty()) {
    env["GOFER_API_GATEWAY_SECRET_STORE_ADDRESS"] = options.secret_store_address;
  }
  auto process = ChildProcess::Start({kBuild + "/services/api-gateway/gofer-api-gateway"}, env);
  GOFER_REQUIRE_OK(process);
  process_ = std::move(*process);
  auto line = process_->WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(60));
  INFO(process_->output());
  GOFER_REQUIRE_OK(line);
  address_ = ServingAddress(*line);
  dir_ = "/tmp/gofer-cli-e2e.XXXXXX";
  REQUIRE(mkdtemp(dir_.data()) != nullptr);
  config_ = dir_ + "/home/.config/gofer/config.yaml";
}

Gateway::~Gateway() {
  process_->Signal(SIGTERM);
  (void)process_->Wait(absl::Seconds(20));
  std::filesystem::remove_all(dir_);
}

CliResult Gateway::Run(std::vector<std::string> args, std::map<std::string, std::string> env,
                       absl::Duration timeout) {
  args.insert(args.begin(), GoferBinary());
  return Execute(args, std::move(env), timeout);
}

CliResult Gateway::RunShell(const std::string& command) {
  return Execute({"sh", "-c", command}, {{"GOFER", GoferBinary()}}, absl::Seconds(60));
}

std::map<std::string, std::string> Gateway::CliEnvironment() const {
  return {{"GOFER_API", address_},
          {"GOFER_CONFIG", config_},
          {"GOFER_TOKEN", ""},
          {"GOFER_NAMESPACE", ""}};
}

std::string Gateway::GoferBinary() { return kBuild + "/cli/gofer"; }

CliResult Gateway::Execute(const std::vector<std::string>& argv,
                           std::map<std::string, std::string> env, absl::Duration timeout) {
  env.merge(CliEnvironment());  // keys already in `env` win
  auto process = ChildProcess::Start(argv, env);
  GOFER_REQUIRE_OK(process);
  auto code = (*process)->Wait(timeout);
  INFO((*process)->output());
  GOFER_REQUIRE_OK(code);
  return {*code, (*process)->output()};
}

std::string Gateway::MustRun(const std::vector<std::string>& args) {
  std::string command = "gofer";
  for (const std::string& arg : args) {
    command += " " + arg;
  }
  CliResult result = Run(args);
  INFO(command << "\n" << result.output);
  REQUIRE(result.exit_code == 0);
  return result.output;
}

void Gateway::Bootstrap() { MustRun({"token", "bootstrap", "--save"}); }

std::string Gateway::WriteFile(const std::string& name, const std::string& text) {
  const std::string path = dir_ + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string Gateway::output() const { return process_->output(); }

}  // namespace gofer::e2e
