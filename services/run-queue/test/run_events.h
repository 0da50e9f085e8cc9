// Reading the events a Stack's services appended for one run (the outbox table `events` of the
// stack's events schema), for tests that check what was recorded.
#pragma once

#include <catch2/catch.hpp>

#include <pqxx/result>
#include <pqxx/transaction>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gofer/pg/transaction.h"
#include "gofer/testing/status.h"
#include "stack.h"

namespace gofer::run_queue::testing {

struct RunEvent {
  std::string kind;
  std::string task_id;
  std::string actor;
  nlohmann::json details;
};

// Every event of run `run_id` of `pipeline` (namespace kNamespace), oldest first (REQUIREs the
// query to succeed).
inline std::vector<RunEvent> RunEvents(const Stack& stack, const std::string& pipeline,
                                       int64_t run_id) {
  auto pool = stack.events_schema().MakePool(1);
  auto events = pg::TransactValue<std::vector<RunEvent>>(
      *pool, [&](pqxx::work& tx) -> absl::StatusOr<std::vector<RunEvent>> {
        std::vector<RunEvent> out;
        for (const auto& r : tx.exec_params(
                 "SELECT kind, task_id, actor, details::text FROM events WHERE namespace_id = $1 "
                 "AND pipeline_id = $2 AND run_id = $3 ORDER BY id",
                 std::string(kNamespace), pipeline, run_id)) {
          out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                         nlohmann::json::parse(r[3].as<std::string>())});
        }
        return out;
      });
  GOFER_REQUIRE_OK(events);
  return *events;
}

// How many of `events` are of `kind` for `task_id`.
inline int CountEvents(const std::vector<RunEvent>& events, const std::string& kind,
                       const std::string& task_id) {
  int n = 0;
  for (const RunEvent& e : events) {
    n += e.kind == kind && e.task_id == task_id ? 1 : 0;
  }
  return n;
}

}  // namespace gofer::run_queue::testing
