// The audit trail of attach sessions (F-DBG-1): `task.attached` when a session starts and
// `task.detached` when it ends, appended to the gateway's events outbox.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"

namespace gofer::api_gateway {

// The task an attach session is about.
struct AttachedTask {
  std::string namespace_id;
  std::string pipeline_id;
  int64_t run_id = 0;
  std::string task_id;
};

// Appends the attach events, each in a transaction of its own. Thread-safe.
class AttachAudit {
 public:
  AttachAudit(pg::Pool& pool, const events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  // `task.attached` by `actor` (details: command, tty). Fails with the database's error; the
  // session must then not start.
  absl::Status Attached(const AttachedTask& task, const std::string& actor,
                        const std::vector<std::string>& command, bool tty);

  // `task.detached` by `actor`: details `exit_code` when the command exited, otherwise
  // `status` (how the session ended, e.g. "CANCELLED").
  absl::Status Detached(const AttachedTask& task, const std::string& actor,
                        std::optional<int> exit_code, const std::string& status);

 private:
  absl::Status Append(const AttachedTask& task, const char* kind, const std::string& actor,
                      std::string details);

  pg::Pool& pool_;
  const events::Outbox& outbox_;
};

}  // namespace gofer::api_gateway
