// Configuration of gofer-secret-store. Every key is listed by `gofer-secret-store --help` and in
// docs/configuration.md.
#pragma once

#include "gofer/app/app.h"
#include "gofer/common/config.h"

namespace gofer {

// The secrets schema's migrations (services/secret-store/migrations/NNNN_*.sql, embedded at build).
const pg::MigrationSet& SecretStoreMigrations();

namespace secret_store {

// What --help says about the binary.
inline const app::Info kInfo{
    "secret-store",
    "Stores pipeline and global secrets encrypted with AES-256-GCM envelope encryption, and "
    "resolves them for the run-queue and the extension-manager."};

// The name the health service reports for this service.
inline constexpr char kHealthService[] = "gofer.secrets.v1.SecretStore";

struct Config {
  app::CommonConfig common;
  app::PostgresConfig postgres;

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace secret_store
}  // namespace gofer
