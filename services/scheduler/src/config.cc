#include "config.h"

namespace gofer::scheduler {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7001");
  schema
      .String("backend", &backend,
              {.description = "Where containers run: docker (the Engine API v1.41 of dockerd or "
                              "podman), local (bubblewrap-sandboxed host processes, for "
                              "development; images are not used) or noop (nothing runs: "
                              "in-memory containers for orchestration benchmarks and chaos "
                              "tests).",
               .default_value = "docker",
               .one_of = {"docker", "local", "noop"}})
      .String("docker.host", &docker.host,
              {.description = "The engine's unix socket (unix:///path).",
               .default_value = "unix:///var/run/docker.sock"})
      .Duration("docker.request_timeout", &docker.request_timeout,
                {.description = "Deadline of one Engine API request (a stop adds its grace).",
                 .default_value = "30s",
                 .min = absl::Seconds(1)})
      .Duration("docker.pull_timeout", &docker.pull_timeout,
                {.description = "Deadline of one image pull.",
                 .default_value = "10m",
                 .min = absl::Seconds(1)})
      .String("local.root", &local.root,
              {.description = "Directory of the local backend's container state, logs and "
                              "workspaces (absolute).",
               .default_value = "/var/lib/gofer/scheduler"})
      .String("local.shim", &local.shim,
              {.description = "The local backend's supervisor binary; empty means "
                              "gofer-scheduler-shim beside the scheduler's executable."})
      .String("local.cgroup_parent", &local.cgroup_parent,
              {.description = "Parent of the local backend's per-container cgroup v1 "
                              "directories (under each controller).",
               .default_value = "gofer"})
      .Duration("noop.run_time", &noop.run_time,
                {.description = "How long a noop container runs before it exits by itself; 0 "
                                "means it has exited when StartContainer returns.",
                 .default_value = "0s"})
      .Int("noop.exit_code", &noop_exit_code,
           {.description = "Exit code of a noop container that ends by itself (a stopped one "
                           "exits 143).",
            .default_value = "0",
            .min = 0,
            .max = 255})
      .String("noop.journal", &noop.journal,
              {.description = "File to which every successful noop start appends the "
                              "container's name and a newline (to check that no name starts "
                              "twice across restarts); empty means none."})
      .Bool("exec.enabled", &service.exec_enabled,
            {.description = "Allow Exec (attach) into running containers; false refuses every "
                            "Exec with FAILED_PRECONDITION.",
             .default_value = "true"})
      .Int("retry.attempts", &retry_attempts,
           {.description = "Attempts of an engine call that fails transiently (1: no retries).",
            .default_value = "5",
            .min = 1,
            .max = 100})
      .Duration("retry.initial_backoff", &retry.initial_backoff,
                {.description = "Pause before the first retry; it doubles up to the maximum.",
                 .default_value = "100ms",
                 .min = absl::Milliseconds(1)})
      .Duration("retry.max_backoff", &retry.max_backoff,
                {.description = "Longest pause between retries.",
                 .default_value = "2s",
                 .min = absl::Milliseconds(1)})
      .Duration("retry.max_elapsed", &retry.max_elapsed,
                {.description = "No retry starts after this long since the first attempt.",
                 .default_value = "30s"})
      .Duration("wait.default_timeout", &service.default_wait,
                {.description = "WaitState's timeout when the request sets none.",
                 .default_value = "30s"})
      .Duration("wait.max_timeout", &service.max_wait,
                {.description = "The longest WaitState may wait.",
                 .default_value = "10m",
                 .min = absl::Seconds(1)});
  return schema;
}

}  // namespace gofer::scheduler
