#include "attach_audit.h"

#include <nlohmann/json.hpp>

#include "gofer/pg/transaction.h"

namespace gofer::api_gateway {

absl::Status AttachAudit::Attached(const AttachedTask& task, const std::string& actor,
                                   const std::vector<std::string>& command, bool tty) {
  return Append(task, "task.attached", actor,
                nlohmann::json{{"command", command}, {"tty", tty}}.dump());
}

absl::Status AttachAudit::Detached(const AttachedTask& task, const std::string& actor,
                                   std::optional<int> exit_code, const std::string& status) {
  nlohmann::json details = nlohmann::json::object();
  if (exit_code.has_value()) {
    details["exit_code"] = *exit_code;
  } else {
    details["status"] = status;
  }
  return Append(task, "task.detached", actor, details.dump());
}

absl::Status AttachAudit::Append(const AttachedTask& task, const char* kind,
                                 const std::string& actor, std::string details) {
  const events::Event event{.kind = kind,
                            .namespace_id = task.namespace_id,
                            .pipeline_id = task.pipeline_id,
                            .run_id = task.run_id,
                            .task_id = task.task_id,
                            .actor = actor,
                            .details = std::move(details)};
  return pg::Transact(pool_, [&](pqxx::work& tx) {
    outbox_.Append(tx, event);
    return absl::OkStatus();
  });
}

}  // namespace gofer::api_gateway
