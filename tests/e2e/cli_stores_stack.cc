#include "cli_stores_stack.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>

#include "gofer/testing/status.h"

namespace gofer::e2e {
namespace {

using run_queue::testing::kCredential;

const std::string kBuild = GOFER_BINARY_DIR;

// A port that was free a moment ago on 127.0.0.1 (the kernel's pick for port 0).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// "... serving on 127.0.0.1:PORT (...)" → "127.0.0.1:PORT".
std::string ServingAddress(const std::string& line) {
  const std::string marker = "serving on ";
  const size_t start = line.find(marker) + marker.size();
  return line.substr(start, line.find(' ', start) - start);
}

}  // namespace

StoresStack::StoresStack(bool with_runs) {
  dir_ = "/tmp/gofer-cli-stores.XXXXXX";
  REQUIRE(mkdtemp(dir_.data()) != nullptr);
  std::ofstream(dir_ + "/master-key") << std::string(64, 'c') << "\n";
  object_store_ = Launch("object-store", {{"POSTGRES_DSN", objects_schema_.dsn()},
                                          {"POSTGRES_SCHEMA", objects_schema_.name()},
                                          {"POSTGRES_EVENTS_SCHEMA", events_.name()},
                                          {"STORAGE_ROOT", dir_ + "/objects"}});
  secret_store_ = Launch("secret-store", {{"POSTGRES_DSN", secrets_schema_.dsn()},
                                          {"POSTGRES_SCHEMA", secrets_schema_.name()},
                                          {"POSTGRES_EVENTS_SCHEMA", events_.name()},
                                          {"ENCRYPTION_MASTER_KEY_FILE", dir_ + "/master-key"}});
  GatewayOptions options{.object_store_address = object_store_.address,
                         .secret_store_address = secret_store_.address,
                         .internal_credential = kCredential,
                         .events_schema = events_.name()};
  if (with_runs) {
    options.listen_address = "127.0.0.1:" + std::to_string(FreePort());
    stack_ = std::make_unique<run_queue::testing::Stack>(run_queue::testing::StackOptions{
        .run_queue = {{"OBJECT_STORE_ADDRESS", object_store_.address},
                      {"SECRET_STORE_ADDRESS", secret_store_.address},
                      {"POSTGRES_EVENTS_SCHEMA", events_.name()},
                      {"GATEWAY_ADDRESS", options.listen_address},
                      {"API_URL", options.listen_address}}});
    options.run_queue_address = stack_->replica_address();
  }
  gateway_ = std::make_unique<Gateway>(options);
  gateway_->Bootstrap();
}

StoresStack::~StoresStack() {
  // The gateway and the run-queue first: they hold connections to the stores.
  gateway_.reset();
  stack_.reset();
  for (Service* s : {&object_store_, &secret_store_}) {
    if (s->process) {
      s->process->Signal(SIGTERM);
      (void)s->process->Wait(absl::Seconds(20));
    }
  }
  std::filesystem::remove_all(dir_);
}

StoresStack::Service StoresStack::Launch(const std::string& name,
                                         const std::map<std::string, std::string>& env) {
  std::string prefix = "GOFER_";
  for (char c : name) {
    prefix += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  prefix += "_";
  std::map<std::string, std::string> full = {{prefix + "LISTEN_ADDRESS", "127.0.0.1:0"},
                                             {prefix + "INTERNAL_CREDENTIAL", kCredential},
                                             {prefix + "LOG_FORMAT", "text"},
                                             {prefix + "DRAIN_TIMEOUT", "5s"}};
  for (const auto& [key, value] : env) {
    full[prefix + key] = value;
  }
  auto process =
      testing::ChildProcess::Start({kBuild + "/services/" + name + "/gofer-" + name}, full);
  GOFER_REQUIRE_OK(process);
  auto line = (*process)->WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(60));
  INFO(name << " output:\n" << (*process)->output());
  GOFER_REQUIRE_OK(line);
  return {*std::move(process), ServingAddress(*line)};
}

SandboxCli::SandboxCli() {
  dir_ = "/usr/local/lib/gofer-e2e.XXXXXX";
  INFO("the local sandbox sees only /usr of the host: the test copies the CLI under it");
  REQUIRE(mkdtemp(dir_.data()) != nullptr);
  std::filesystem::permissions(
      dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                std::filesystem::perms::others_exec);
  std::error_code ec;
  std::filesystem::copy_file(kBuild + "/cli/gofer", dir_ + "/gofer", ec);
  INFO(ec.message());
  REQUIRE_FALSE(ec);
}

SandboxCli::~SandboxCli() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string SandboxCli::PathVariable() const {
  return "PATH=" + dir_ + ":/usr/local/bin:/usr/bin:/bin";
}

}  // namespace gofer::e2e
