// The skeleton every Gofer service binary follows:
//
//   int main(int argc, char** argv) {
//     gofer::app::BlockShutdownSignals();            // before any thread starts
//     Config config;
//     auto schema = config.MakeSchema();              // the service's keys + common keys
//     if (auto exit = gofer::app::Init(argc, argv, kInfo, schema, config.common)) return *exit;
//     ... connect dependencies (with StartupRetry), build services ...
//     return gofer::app::Serve(config.common, runtime, {&service}, {"gofer.x.v1.X"});
//   }
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gofer/common/config.h"
#include "gofer/pg/migrations.h"
#include "gofer/pg/pool.h"
#include "gofer/redis/client.h"
#include "gofer/rpc/runtime.h"

namespace grpc {
class Service;
}

namespace gofer::app {

// What --help and --version print about a binary.
struct Info {
  // Service name: "run-queue". The binary is gofer-<name>; the env prefix GOFER_<NAME>_.
  std::string name;
  // One paragraph: what the service does.
  std::string summary;
};

// Keys every service has.
struct CommonConfig {
  std::string listen_address;
  std::string log_level = "info";
  std::string log_format = "auto";
  std::string internal_credential;
  int64_t executor_threads = 8;
  int64_t executor_queue = 256;
  int64_t max_receive_message_bytes = 4 * 1024 * 1024;
  absl::Duration drain_timeout = absl::Seconds(20);
  absl::Duration startup_timeout = absl::Seconds(60);
  std::string replica_id;
};

// Declares the common keys on `schema`, binding them to `common`; `default_listen` is the
// service's default listen address.
void AddCommonKeys(config::Schema& schema, CommonConfig* common, const std::string& default_listen);

// Postgres keys for services that own a schema.
struct PostgresConfig {
  std::string dsn;
  std::string schema;
  std::string events_schema = "events";
  int64_t pool_size = 8;
  absl::Duration statement_timeout = absl::Seconds(30);
};
void AddPostgresKeys(config::Schema& schema, PostgresConfig* pg, const std::string& default_schema);

// Redis keys.
struct RedisConfig {
  std::string address;
  std::string password;
  int64_t db = 0;
  int64_t pool_size = 8;
};
void AddRedisKeys(config::Schema& schema, RedisConfig* redis);

// Handles the command line (--config FILE, --help, --version, --config-reference), loads the
// configuration from the file and the process environment, and sets up logging. Returns an exit
// code when the process should exit now (0 after --help, 2 for bad arguments or configuration,
// with the reason on stderr), or nullopt to go on. Logs the loaded configuration with secrets
// redacted.
std::optional<int> Init(int argc, char** argv, const Info& info, config::Schema& schema,
                        CommonConfig& common);

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later, so that
// WaitForShutdownSignal can take them synchronously. Call first thing in main.
void BlockShutdownSignals();

// Waits for SIGTERM or SIGINT and returns it.
int WaitForShutdownSignal();

// Calls `attempt` until it succeeds, retrying UNAVAILABLE and DEADLINE_EXCEEDED with backoff
// (100 ms doubling to 2 s) until `timeout`, logging each failure once. Other errors are returned
// at once. For connecting to dependencies that may start after the service.
absl::Status StartupRetry(const std::string& what, absl::Duration timeout,
                          const std::function<absl::Status()>& attempt);

// Creates a Postgres pool from `pg` and applies, under the advisory lock, the events schema's
// migrations and then `migrations` (retrying while Postgres is unreachable).
absl::StatusOr<std::unique_ptr<pg::Pool>> ConnectPostgres(const Info& info,
                                                          const PostgresConfig& pg,
                                                          const pg::MigrationSet& migrations,
                                                          absl::Duration startup_timeout);

// Creates a Redis pool from `redis` and checks it answers PING (retrying while unreachable).
absl::StatusOr<std::unique_ptr<redis::Pool>> ConnectRedis(const RedisConfig& redis,
                                                          absl::Duration startup_timeout);

// The runtime options from the common keys.
rpc::RuntimeOptions RuntimeOptionsFrom(const CommonConfig& common);

// Starts a server with `services`, reports `health_services` SERVING, logs where it listens,
// waits for SIGTERM/SIGINT, then drains: health NOT_SERVING, in-flight calls finish (up to
// drain_timeout), the runtime's queued work finishes. `on_shutdown_signal`, when given, runs as
// soon as the signal arrives, before draining. Returns the process exit code.
int Serve(const Info& info, const CommonConfig& common, rpc::Runtime& runtime,
          const std::vector<grpc::Service*>& services,
          const std::vector<std::string>& health_services,
          const std::function<void()>& on_shutdown_signal = {});

}  // namespace gofer::app
