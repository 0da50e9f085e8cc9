#include "config.h"

namespace gofer::run_queue {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7002");
  app::AddPostgresKeys(schema, &postgres, "runqueue");
  app::AddRedisKeys(schema, &redis);
  OrchestratorConfig& o = orchestrator;
  schema
      .String("scheduler.address", &scheduler_address,
              {.description = "host:port of the scheduler.", .default_value = "127.0.0.1:7001"})
      .String("object_store.address", &object_store_address,
              {.description = "host:port of the object-store (logs, run objects).",
               .default_value = "127.0.0.1:7004"})
      .String("secret_store.address", &secret_store_address,
              {.description = "host:port of the secret-store (secret interpolation).",
               .default_value = "127.0.0.1:7005"})
      .String("gateway.address", &gateway_address,
              {.description = "host:port of the api-gateway's internal API (run tokens).",
               .default_value = "127.0.0.1:8080"})
      .String("api_url", &o.api_url,
              {.description = "The api-gateway's gRPC address (host:port) as tasks see it, "
                              "given to them as GOFER_API_URL.",
               .default_value = "127.0.0.1:8080"})
      .Duration("lease.ttl", &o.lease_ttl,
                {.description = "Time-to-live of a run's lease. A replica that dies loses its "
                                "runs to another replica within this time.",
                 .default_value = "10s",
                 .min = absl::Seconds(1),
                 .max = absl::Minutes(10)})
      .Duration("queue.poll_interval", &o.poll_interval,
                {.description = "How often the ready queue is polled for due runs.",
                 .default_value = "50ms",
                 .min = absl::Milliseconds(5),
                 .max = absl::Seconds(5)})
      .Duration("queue.rebuild_interval", &o.rebuild_interval,
                {.description = "How often the Redis ready queue is rebuilt from Postgres as a "
                                "safety net (also at start and when Redis was flushed).",
                 .default_value = "1m",
                 .min = absl::Seconds(1)})
      .Int(
          "workers", &o.workers,
          {.description = "Threads that process runs.", .default_value = "8", .min = 1, .max = 256})
      .Int("max_held_runs", &o.max_held_runs,
           {.description = "Most runs this replica works on at once.",
            .default_value = "2000",
            .min = 1})
      .Int("limits.global_running_runs", &o.global_running_limit,
           {.description = "Most running runs across all pipelines and replicas (0: no limit); "
                           "further runs wait, showing why.",
            .default_value = "0",
            .min = 0})
      .Duration("limits.max_duration", &o.max_duration,
                {.description = "Global maximum of every task attempt and every run (F-RUN-4).",
                 .default_value = "24h",
                 .min = absl::Seconds(1)})
      .Duration("cancel.default_grace", &o.default_grace,
                {.description = "Time between SIGTERM and SIGKILL when a cancellation does not "
                                "choose one.",
                 .default_value = "10s"})
      .Duration("admission.recheck", &o.admission_recheck,
                {.description = "How often a run waiting for admission is looked at again "
                                "(runs are also nudged when a run of their pipeline ends).",
                 .default_value = "5s",
                 .min = absl::Milliseconds(100)})
      .Duration("retry.initial_backoff", &o.retry_initial_backoff,
                {.description = "Delay before the second attempt of a retried task (doubling "
                                "for each further attempt, with jitter).",
                 .default_value = "1s"})
      .Duration("retry.max_backoff", &o.retry_max_backoff,
                {.description = "Longest delay between attempts of a retried task.",
                 .default_value = "1m"})
      .Int("retention.runs_kept", &o.runs_kept,
           {.description = "Logs and run objects of the newest N runs of each pipeline are kept; "
                           "older runs' are deleted.",
            .default_value = "100",
            .min = 1})
      .Int("logs.chunk_bytes", &o.log_chunk_bytes,
           {.description = "A task's log is stored in chunks of about this many bytes.",
            .default_value = "1048576",
            .min = 1024,
            .max = 8 << 20})
      .Duration("logs.flush_interval", &o.log_flush_interval,
                {.description = "Longest time a log line waits before it is stored (and can be "
                                "followed).",
                 .default_value = "1s",
                 .min = absl::Milliseconds(10)});
  return schema;
}

}  // namespace gofer::run_queue
