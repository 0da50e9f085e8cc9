// The `gofer` CLI's e2e harness: an api-gateway process on a free port with fresh Postgres
// schemas, a temporary CLI config, and helpers that run the built `gofer` binary against it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/process.h"

namespace gofer::e2e {

// What one `gofer` invocation printed (stdout and stderr together) and its exit code.
struct CliResult {
  int exit_code = -1;
  std::string output;
};

// Where the gateway listens, where it forwards runs, objects and secrets, and which events
// schema it shares.
struct GatewayOptions {
  // host:port to listen on (port 0: a free one).
  std::string listen_address = "127.0.0.1:0";
  // host:port of a run-queue (empty: none; run calls then fail UNAVAILABLE).
  std::string run_queue_address;
  // host:port of an object-store and a secret-store (empty: none; their calls fail
  // UNAVAILABLE).
  std::string object_store_address;
  std::string secret_store_address;
  // The internal credential the gateway presents to the run-queue.
  std::string internal_credential = "e2e-credential";
  // The events schema to share with other services (empty: a fresh one of its own).
  std::string events_schema;
  // host:port of the scheduler attach sessions go to (empty: the gateway's default).
  std::string scheduler_address;
  // More gateway settings, GOFER_API_GATEWAY_* without the prefix ("ATTACH_ENABLED").
  std::map<std::string, std::string> settings;
};

// `text` parsed as JSON (REQUIREs that it parses).
nlohmann::json ParseJson(const std::string& text);

// An api-gateway process and a CLI config directory of its own; both go away with it.
class Gateway {
 public:
  explicit Gateway(GatewayOptions options = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Runs `gofer args...` with GOFER_API and GOFER_CONFIG pointing here (`env` adds to them),
  // waiting at most `timeout` for it to exit.
  CliResult Run(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                absl::Duration timeout = absl::Seconds(60));

  // Runs `sh -c command` in the same environment, with $GOFER naming the gofer binary (for
  // redirections: "\"$GOFER\" task logs p 1 t 2>/dev/null").
  CliResult RunShell(const std::string& command);

  // `Run` that must exit 0; returns the output.
  std::string MustRun(const std::vector<std::string>& args);

  // Bootstraps the admin token into the config file.
  void Bootstrap();

  // Writes `text` to a file in the temporary directory and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);

  // host:port the gateway serves on.
  const std::string& address() const { return address_; }
  // The environment every `gofer` invocation of Run gets (GOFER_API, GOFER_CONFIG, and no
  // token or namespace from outside), for callers that start it themselves.
  std::map<std::string, std::string> CliEnvironment() const;
  // The path of the built `gofer` binary.
  static std::string GoferBinary();

  // The CLI config file, and the temporary directory holding it and written files.
  const std::string& config_path() const { return config_; }
  const std::string& dir() const { return dir_; }
  // The gateway's output so far.
  std::string output() const;

 private:
  // Starts `argv` with the CLI's environment plus `env` and waits for it.
  CliResult Execute(const std::vector<std::string>& argv, std::map<std::string, std::string> env,
                    absl::Duration timeout);

  testing::PgTestSchema schema_;
  std::unique_ptr<testing::PgTestSchema> own_events_;
  std::unique_ptr<testing::ChildProcess> process_;
  std::string address_;
  std::string dir_;
  std::string config_;
};

}  // namespace gofer::e2e
