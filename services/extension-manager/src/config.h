// Configuration of gofer-extension-manager. Every key is listed by `gofer-extension-manager --help`
// and in docs/configuration.md.
#pragma once

#include "gofer/app/app.h"
#include "gofer/common/config.h"

namespace gofer {

// The extensions schema's migrations (services/extension-manager/migrations/NNNN_*.sql, embedded at
// build).
const pg::MigrationSet& ExtensionManagerMigrations();

namespace extension_manager {

// What --help says about the binary.
inline const app::Info kInfo{
    "extension-manager",
    "Installs, starts, health-checks and restarts extension containers, replays their "
    "subscriptions, and forwards webhooks from its public webhook port."};

// The name the health service reports for this service.
inline constexpr char kHealthService[] = "gofer.extensions.v1.ExtensionManager";

struct Config {
  app::CommonConfig common;
  app::PostgresConfig postgres;

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace extension_manager
}  // namespace gofer
