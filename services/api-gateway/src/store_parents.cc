#include "store_parents.h"

#include <pqxx/result>
#include <pqxx/transaction>

#include <fmt/format.h>

#include "gofer/common/errors.h"

namespace gofer::api_gateway {

absl::Status CheckParents(pqxx::work& tx, const std::string& namespace_id,
                          const std::string& pipeline_id, bool lock) {
  // With `lock`, KEY SHARE makes a concurrent namespace delete wait for this writer instead of
  // failing its inserts (read-only transactions cannot lock, and need not).
  if (tx.exec_params(
            fmt::format("SELECT 1 FROM namespaces WHERE id = $1{}", lock ? " FOR KEY SHARE" : ""),
            namespace_id)
          .empty()) {
    return NotFoundError("namespace", namespace_id, {}, /*parent=*/true);
  }
  if (pipeline_id.empty()) {
    return absl::OkStatus();
  }
  if (tx.exec_params(fmt::format("SELECT 1 FROM pipelines WHERE namespace_id = $1 AND id = $2{}",
                                 lock ? " FOR UPDATE" : ""),
                     namespace_id, pipeline_id)
          .empty()) {
    return NotFoundError("pipeline", pipeline_id, {{"namespace_id", namespace_id}},
                         /*parent=*/true);
  }
  return absl::OkStatus();
}

}  // namespace gofer::api_gateway
