// Configuration of gofer-scheduler. Every key is listed by `gofer-scheduler --help` and in
// docs/configuration.md.
#pragma once

#include "gofer/app/app.h"
#include "gofer/common/config.h"

namespace gofer {

namespace scheduler {

// What --help says about the binary.
inline const app::Info kInfo{
    "scheduler",
    "Runs task containers on a backend (docker through the Engine API, kubernetes, or local "
    "sandboxed processes): start, stop, state, logs, exec/attach and listing by label for adoption "
    "after a crash. Owns no database."};

// The name the health service reports for this service.
inline constexpr char kHealthService[] = "gofer.scheduler.v1.Scheduler";

struct Config {
  app::CommonConfig common;

  // Declares every key, bound to this struct's members (which must outlive the schema).
  config::Schema MakeSchema();
};

}  // namespace scheduler
}  // namespace gofer
