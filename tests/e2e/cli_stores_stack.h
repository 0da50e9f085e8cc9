// The `gofer` CLI's e2e harness for objects, secrets and tasks that call the API: an
// api-gateway process in front of object-store and secret-store processes of the test's own
// and, when asked, a run-queue stack (run_queue::testing::Stack, local backend) that shares
// those stores and mints run tokens through this gateway — so a task's run objects, secrets,
// logs and `gofer` calls all meet the same services the test's CLI calls reach.
//
// The run-queue needs the gateway's address (run tokens, GOFER_API_URL) before the gateway can
// be given the run-queue's: the gateway's port is picked free first and passed to both, which
// leaves a short window in which another process could take it (the start then fails loudly).
// The Stack's own object-store and secret-store stay idle: its run-queue is pointed at ours
// (Stack offers no accessor for its stores' addresses).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "cli_gateway.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/process.h"
#include "stack.h"

namespace gofer::e2e {

class StoresStack {
 public:
  // Starts the stores and the gateway and, when `with_runs`, a run-queue stack behind it.
  // REQUIREs that everything comes up. The gateway's admin token is bootstrapped into the CLI
  // config.
  explicit StoresStack(bool with_runs);
  ~StoresStack();
  StoresStack(const StoresStack&) = delete;
  StoresStack& operator=(const StoresStack&) = delete;

  Gateway& gateway() { return *gateway_; }

 private:
  // A store process and the address it serves on.
  struct Service {
    std::unique_ptr<testing::ChildProcess> process;
    std::string address;
  };
  // Starts gofer-`name` with its GOFER_<NAME>_ settings `env` (prefix added).
  Service Launch(const std::string& name, const std::map<std::string, std::string>& env);

  testing::PgTestSchema events_{"sev"};
  testing::PgTestSchema objects_schema_{"sob"};
  testing::PgTestSchema secrets_schema_{"sse"};
  std::string dir_;
  Service object_store_;
  Service secret_store_;
  std::unique_ptr<run_queue::testing::Stack> stack_;
  std::unique_ptr<Gateway> gateway_;
};

// A copy of the built `gofer` binary in a fresh directory under /usr/local/lib, removed when
// destroyed. The local backend's sandbox sees the host's /usr (read-only) and nothing else of
// it, so this is where a task can run the CLI under test; runs put the directory first in their
// PATH (`--var PATH=...`) rather than installing over /usr/local/bin/gofer. REQUIREs that
// /usr/local/lib is writable.
class SandboxCli {
 public:
  SandboxCli();
  ~SandboxCli();
  SandboxCli(const SandboxCli&) = delete;
  SandboxCli& operator=(const SandboxCli&) = delete;

  // "PATH=<dir>:/usr/local/bin:/usr/bin:/bin", for `run start --var`.
  std::string PathVariable() const;

 private:
  std::string dir_;
};

}  // namespace gofer::e2e
