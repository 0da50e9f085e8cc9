#include "config.h"

namespace gofer::api_gateway {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:8080");
  app::AddPostgresKeys(schema, &postgres, "gateway");
  schema
      .String("object_store.address", &object_store_address,
              {.description = "host:port of the object-store.", .default_value = "127.0.0.1:7004"})
      .String("secret_store.address", &secret_store_address,
              {.description = "host:port of the secret-store.", .default_value = "127.0.0.1:7005"})
      .String("run_queue.address", &run_queue_address,
              {.description = "host:port of the run-queue (runs and task executions; any "
                              "replica, or a Service in front of them).",
               .default_value = "127.0.0.1:7002"})
      .String("scheduler.address", &scheduler_address,
              {.description = "host:port of the scheduler (attach sessions exec into task "
                              "containers through it).",
               .default_value = "127.0.0.1:7001"})
      .Bool("attach.enabled", &attach_enabled,
            {.description = "Allow attaching a shell to running tasks (TaskService.AttachTask, "
                            "`gofer task attach`); false answers FAILED_PRECONDITION. The "
                            "scheduler's exec.enabled must allow it too.",
             .default_value = "true"})
      .Bool("dev_no_auth", &dev_no_auth,
            {.description = "Development only: admit every call as an admin without a token. "
                            "The gateway warns at start and on every call while it is set.",
             .default_value = "false"})
      .Duration("events.retention", &event_retention,
                {.description = "Events older than this are pruned.",
                 .default_value = "720h",
                 .min = absl::Hours(1)})
      .Duration("tokens.prune_grace", &token_prune_grace,
                {.description = "Expired tokens are deleted this long after they expire.",
                 .default_value = "168h"})
      .Duration("canary.check_interval", &canary_check_interval,
                {.description = "How often running canary deployments are checked against their "
                                "failure threshold (automatic rollback).",
                 .default_value = "10s",
                 .min = absl::Seconds(1)})
      .Duration("housekeeping.interval", &housekeeping_interval,
                {.description = "How often events and expired tokens are pruned.",
                 .default_value = "10m",
                 .min = absl::Seconds(1)});
  return schema;
}

}  // namespace gofer::api_gateway
