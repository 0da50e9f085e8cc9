// Configuration of gofer-secret-store. Every key is listed by `gofer-secret-store --help` and in
// docs/configuration.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// Where the master keys come from (see docs/secrets.md).
struct EncryptionConfig {
  // The primary key's file: wraps every new data key.
  std::string master_key_file;
  // Files of earlier keys, used only to unwrap (while a rotation is in progress).
  std::vector<std::string> previous_master_key_files;
};

struct Config {
  app::CommonConfig common;
  app::PostgresConfig postgres;
  EncryptionConfig encryption;
  // Largest secret value accepted.
  int64_t max_value_bytes = 64 * 1024;

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace secret_store
}  // namespace gofer
