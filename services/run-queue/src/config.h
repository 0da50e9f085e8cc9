// Configuration of gofer-run-queue. Every key is listed by `gofer-run-queue --help` and in
// docs/configuration.md.
#pragma once

#include "gofer/app/app.h"
#include "gofer/common/config.h"

namespace gofer {

// The runqueue schema's migrations (services/run-queue/migrations/NNNN_*.sql, embedded at build).
const pg::MigrationSet& RunQueueMigrations();

namespace run_queue {

// What --help says about the binary.
inline const app::Info kInfo{
    "run-queue",
    "The durable run queue and orchestrator: admission, DAG execution, dispatch to the scheduler, "
    "monitoring, timeouts, retries, cancellation, recovery and log capture. Postgres is the source "
    "of truth; replicas share work through fenced Redis leases."};

// The name the health service reports for this service.
inline constexpr char kHealthService[] = "gofer.runqueue.v1.RunQueue";

struct Config {
  app::CommonConfig common;
  app::PostgresConfig postgres;
  app::RedisConfig redis;

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace run_queue
}  // namespace gofer
