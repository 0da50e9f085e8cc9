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

// How the orchestrator behaves (docs/run-queue.md, "Configuration").
struct OrchestratorConfig {
  // Lease time-to-live; renewed every ttl/3 from a dedicated thread.
  absl::Duration lease_ttl = absl::Seconds(10);
  // How often the ready queue is polled for due runs.
  absl::Duration poll_interval = absl::Milliseconds(50);
  // Threads that process runs (one step of one run at a time each).
  int64_t workers = 8;
  // Most runs this replica holds at once; beyond it, due runs are left to other replicas.
  int64_t max_held_runs = 2000;
  // Most running runs across all replicas (0: no limit).
  int64_t global_running_limit = 0;
  // The global maximum of any task attempt and any run (F-RUN-4).
  absl::Duration max_duration = absl::Hours(24);
  // SIGTERM → SIGKILL grace of cancellations that do not choose one.
  absl::Duration default_grace = absl::Seconds(10);
  // How often a pending run that waits for admission is looked at again without a nudge.
  absl::Duration admission_recheck = absl::Seconds(5);
  // How often the ready queue is rebuilt from Postgres as a safety net (it is also rebuilt at
  // start and whenever Redis is found flushed).
  absl::Duration rebuild_interval = absl::Minutes(1);
  // Retry backoff of task attempts.
  absl::Duration retry_initial_backoff = absl::Seconds(1);
  absl::Duration retry_max_backoff = absl::Minutes(1);
  // Logs and run objects of the newest N runs of each pipeline are kept (F-LOG-3, F-OBJ-1).
  int64_t runs_kept = 100;
  // A log chunk is stored when it reaches this size, or after `log_flush_interval`.
  int64_t log_chunk_bytes = 1 << 20;
  absl::Duration log_flush_interval = absl::Seconds(1);
  // The gateway's address as tasks see it (GOFER_API_URL).
  std::string api_url = "127.0.0.1:8080";
};

struct Config {
  app::CommonConfig common;
  app::PostgresConfig postgres;
  app::RedisConfig redis;
  // Where the internal services listen.
  std::string scheduler_address;
  std::string object_store_address;
  std::string secret_store_address;
  std::string gateway_address;
  OrchestratorConfig orchestrator;

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace run_queue
}  // namespace gofer
