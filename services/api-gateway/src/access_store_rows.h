// Row mapping shared by the access store's translation units (private to the gateway).
#pragma once

#include <pqxx/row>
#include <pqxx/transaction>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "access_store.h"
#include "gofer/common/errors.h"
#include "gofer/events/outbox.h"

namespace gofer::api_gateway::access_rows {

using nlohmann::json;

inline constexpr char kTokenColumns[] =
    "id, user_name, array_to_json(roles)::text, metadata::text, "
    "(extract(epoch FROM created) * 1000000)::bigint, "
    "(extract(epoch FROM expires) * 1000000)::bigint, disabled";

inline constexpr char kRoleColumns[] =
    "id, description, permissions::text, system_role, "
    "(extract(epoch FROM created) * 1000000)::bigint, (extract(epoch FROM modified) * "
    "1000000)::bigint";

inline TokenRecord TokenFromRow(const pqxx::row& r) {
  TokenRecord t;
  t.id = r[0].as<std::string>();
  t.user = r[1].as<std::string>();
  t.roles = json::parse(r[2].as<std::string>()).get<std::vector<std::string>>();
  t.metadata = json::parse(r[3].as<std::string>()).get<std::map<std::string, std::string>>();
  t.created = absl::FromUnixMicros(r[4].as<int64_t>());
  if (!r[5].is_null()) {
    t.expires = absl::FromUnixMicros(r[5].as<int64_t>());
  }
  t.disabled = r[6].as<bool>();
  return t;
}

inline std::vector<Permission> PermissionsFromJson(const json& list) {
  std::vector<Permission> out;
  for (const json& p : list) {
    Permission perm;
    perm.resources = p.value("resources", std::vector<std::string>{});
    for (const std::string& a : p.value("actions", std::vector<std::string>{})) {
      if (auto action = ParseAction(a)) {
        perm.actions.push_back(*action);
      }
    }
    out.push_back(std::move(perm));
  }
  return out;
}

inline std::string PermissionsToJson(const std::vector<Permission>& permissions) {
  json list = json::array();
  for (const Permission& p : permissions) {
    json actions = json::array();
    for (Action a : p.actions) {
      actions.push_back(std::string(ActionName(a)));
    }
    list.push_back({{"resources", p.resources}, {"actions", actions}});
  }
  return list.dump();
}

inline RoleRecord RoleFromRow(const pqxx::row& r) {
  return {r[0].as<std::string>(),
          r[1].as<std::string>(),
          PermissionsFromJson(json::parse(r[2].as<std::string>())),
          r[3].as<bool>(),
          absl::FromUnixMicros(r[4].as<int64_t>()),
          absl::FromUnixMicros(r[5].as<int64_t>())};
}

inline absl::Status Unauthenticated(const std::string& why) {
  return WithErrorInfo(absl::UnauthenticatedError(why), ErrorReason::kUnauthenticated);
}

inline absl::Status Precondition(const std::string& why) {
  return WithErrorInfo(absl::FailedPreconditionError(why), ErrorReason::kFailedPrecondition);
}

inline void Event(pqxx::work& tx, const events::Outbox& outbox, const std::string& kind,
                  const std::string& actor, const json& details) {
  outbox.Append(tx, {.kind = kind, .actor = actor, .details = details.dump()});
}

}  // namespace gofer::api_gateway::access_rows
