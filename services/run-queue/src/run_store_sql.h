// SQL helpers shared by the run store's files (run_store.cc, run_store_fenced.cc). Internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gofer/common/errors.h"
#include "run_records.h"
#include "run_store.h"

namespace gofer::run_queue::store_sql {

// Times travel as microseconds since the epoch; -1 is NULL.
inline constexpr char kTs[] = "to_timestamp(NULLIF({}::bigint, -1)::double precision / 1e6)";

inline std::string Ts(int param) { return fmt::format(kTs, fmt::format("${}", param)); }

inline std::string Us(std::string_view column) {
  return fmt::format("(extract(epoch FROM {}) * 1000000)::bigint", column);
}

inline int64_t ToUs(absl::Time t) { return absl::ToUnixMicros(t); }
inline int64_t ToUs(const std::optional<absl::Time>& t) { return t ? absl::ToUnixMicros(*t) : -1; }
inline int64_t ToMs(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

// The WHERE clause naming one run by $1, $2, $3.
inline constexpr char kRunWhere[] = "namespace_id = $1 AND pipeline_id = $2 AND run_id = $3";

inline absl::Status RunNotFound(const RunKey& key) {
  return NotFoundError("run", std::to_string(key.run_id),
                       {{"namespace", key.namespace_id}, {"pipeline", key.pipeline_id}});
}

inline absl::Status LeaseLost(const RunKey& key, int64_t epoch) {
  return WithErrorInfo(
      absl::AbortedError(fmt::format("lease of run {} lost: epoch {} is no longer current",
                                     key.ToString(), epoch)),
      ErrorReason::kConflict, {{"lease", kLeaseLostReason}, {"run", key.ToString()}});
}

inline nlohmann::json ReasonDetails(const StatusReason& reason) {
  nlohmann::json out = nlohmann::json::object();
  if (reason.kind != ReasonKind::kNone) {
    out["reason"] = ReasonKindName(reason.kind);
  }
  if (!reason.description.empty()) {
    out["description"] = reason.description;
  }
  return out;
}

}  // namespace gofer::run_queue::store_sql
