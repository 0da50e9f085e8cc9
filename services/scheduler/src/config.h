// Configuration of gofer-scheduler. Every key is listed by `gofer-scheduler --help` and in
// docs/configuration.md.
#pragma once

#include "docker_engine.h"
#include "gofer/app/app.h"
#include "gofer/common/config.h"
#include "local_engine.h"
#include "noop_engine.h"
#include "retrying_engine.h"
#include "scheduler_service.h"

namespace gofer {

namespace scheduler {

// What --help says about the binary.
inline const app::Info kInfo{
    "scheduler",
    "Runs task containers on a backend (docker through the Engine API, kubernetes, local "
    "sandboxed processes, or noop: in memory, for benchmarks and chaos tests): start, stop, state, "
    "logs, exec/attach and listing by label for adoption after a crash. Owns no database."};

// The name the health service reports for this service.
inline constexpr char kHealthService[] = "gofer.scheduler.v1.Scheduler";

struct Config {
  app::CommonConfig common;
  // "docker", "local" or "noop".
  std::string backend = "docker";
  DockerOptions docker;
  LocalOptions local;
  NoopOptions noop;
  int64_t noop_exit_code = 0;
  RetryPolicy retry;
  int64_t retry_attempts = 5;
  ServiceOptions service;

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();

  // Copies values that need conversion (retry_attempts, noop_exit_code) into the option
  // structs; call after loading.
  void Finish() {
    retry.max_attempts = static_cast<int>(retry_attempts);
    noop.exit_code = static_cast<int>(noop_exit_code);
  }
};

}  // namespace scheduler
}  // namespace gofer
