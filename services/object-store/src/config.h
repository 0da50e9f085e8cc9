// Configuration of gofer-object-store. Every key is listed by `gofer-object-store --help` and
// in docs/configuration.md.
#pragma once

#include "gofer/app/app.h"
#include "gofer/common/config.h"
#include "object_manager.h"

namespace gofer {

// The objects schema's migrations (services/object-store/migrations/NNNN_*.sql, embedded at
// build).
const pg::MigrationSet& ObjectStoreMigrations();

namespace object_store {

// What --help says about the binary.
inline const app::Info kInfo{
    "object-store",
    "Stores pipeline, run and extension objects and task logs as content-addressed blobs, with "
    "metadata in Postgres; streams bytes in and out."};

// The name the health service reports for this service.
inline constexpr char kHealthService[] = "gofer.objects.v1.ObjectStore";

struct Config {
  app::CommonConfig common;
  app::PostgresConfig postgres;
  std::string storage_root;
  Limits limits;
  absl::Duration gc_interval = absl::Minutes(1);

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace object_store
}  // namespace gofer
