// Parent checks shared by the gateway's stores (inside their transactions).
#pragma once

#include <pqxx/transaction>

#include <string>

#include "absl/status/status.h"

namespace gofer::api_gateway {

// NOT_FOUND (reason PARENT_NOT_FOUND when the namespace is what is missing) naming the first
// missing one of: namespace `namespace_id`, pipeline `pipeline_id` in it. With `lock` (only in
// read-write transactions), the namespace row is locked FOR KEY SHARE and the pipeline row FOR
// UPDATE. An empty `pipeline_id` checks only the namespace.
absl::Status CheckParents(pqxx::work& tx, const std::string& namespace_id,
                          const std::string& pipeline_id, bool lock = false);

}  // namespace gofer::api_gateway
