// Configuration of gofer-api-gateway. Every key is listed by `gofer-api-gateway --help` and in
// docs/configuration.md.
#pragma once

#include "gofer/app/app.h"
#include "gofer/common/config.h"

namespace gofer {

// The gateway schema's migrations (services/api-gateway/migrations/NNNN_*.sql, embedded at build).
const pg::MigrationSet& GatewayMigrations();

namespace api_gateway {

// What --help says about the binary.
inline const app::Info kInfo{
    "api-gateway",
    "The only public endpoint of Gofer: authenticates and authorises every call, validates it, and "
    "serves the public gofer.v1 API (namespaces, pipelines, configs, deployments, runs, objects, "
    "secrets, tokens, roles, events), forwarding to the internal services."};

// The name the health service reports for this service.
inline constexpr char kHealthService[] = "gofer.gateway.v1.Gateway";

struct Config {
  app::CommonConfig common;
  app::PostgresConfig postgres;
  // Where the internal services listen.
  std::string object_store_address;
  std::string secret_store_address;
  std::string run_queue_address;
  std::string scheduler_address;
  // Serves TaskService.AttachTask (F-DBG-1); false answers it FAILED_PRECONDITION.
  bool attach_enabled = true;
  // Admits every call as an admin without a token. Development only; logged loudly.
  bool dev_no_auth = false;
  // Events older than this are pruned.
  absl::Duration event_retention = absl::Hours(24 * 30);
  // Expired tokens are deleted this long after they expire.
  absl::Duration token_prune_grace = absl::Hours(24 * 7);
  // How often running canaries are checked for automatic rollback.
  absl::Duration canary_check_interval = absl::Seconds(10);
  // How often housekeeping (event and token pruning) runs.
  absl::Duration housekeeping_interval = absl::Minutes(10);

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace api_gateway
}  // namespace gofer
