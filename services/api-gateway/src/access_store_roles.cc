// AccessStore: roles.
#include "access_store.h"

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/transaction>

#include <fmt/format.h>

#include "access_store.h"
#include "access_store_rows.h"
#include "gofer/common/errors.h"
#include "gofer/pg/transaction.h"

namespace gofer::api_gateway {

using access_rows::Event;
using access_rows::json;
using access_rows::kRoleColumns;
using access_rows::PermissionsToJson;
using access_rows::Precondition;
using access_rows::RoleFromRow;

absl::StatusOr<RoleRecord> AccessStore::CreateRole(const RoleRecord& role,
                                                   const std::string& actor) {
  return pg::TransactValue<RoleRecord>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<RoleRecord> {
    const pqxx::result rows = tx.exec_params(
        fmt::format("INSERT INTO roles (id, description, permissions) VALUES ($1, $2, $3::jsonb) "
                    "ON CONFLICT (id) DO NOTHING RETURNING {}",
                    kRoleColumns),
        role.id, role.description, PermissionsToJson(role.permissions));
    if (rows.empty()) {
      return AlreadyExistsError("role", role.id);
    }
    Event(tx, outbox_, "role.created", actor, {{"role_id", role.id}});
    return RoleFromRow(rows[0]);
  });
}

absl::StatusOr<RoleRecord> AccessStore::GetRole(const std::string& id) {
  return pg::TransactValue<RoleRecord>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<RoleRecord> {
        const pqxx::result rows =
            tx.exec_params(fmt::format("SELECT {} FROM roles WHERE id = $1", kRoleColumns), id);
        if (rows.empty()) {
          return NotFoundError("role", id);
        }
        return RoleFromRow(rows[0]);
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<RoleRecord>> AccessStore::ListRoles(const std::string& after,
                                                               int limit) {
  return pg::TransactValue<std::vector<RoleRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<RoleRecord>> {
        std::vector<RoleRecord> out;
        for (const auto& row :
             tx.exec_params(fmt::format("SELECT {} FROM roles WHERE id COLLATE \"C\" > $1 ORDER BY "
                                        "id COLLATE \"C\" LIMIT $2",
                                        kRoleColumns),
                            after, limit)) {
          out.push_back(RoleFromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<std::pair<RoleRecord, bool>> AccessStore::UpdateRole(
    const std::string& id, const std::optional<std::string>& description,
    const std::optional<std::vector<Permission>>& permissions, const std::string& actor) {
  using Result = std::pair<RoleRecord, bool>;
  auto result = pg::TransactValue<Result>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    const pqxx::result rows = tx.exec_params(
        fmt::format("SELECT {} FROM roles WHERE id = $1 FOR UPDATE", kRoleColumns), id);
    if (rows.empty()) {
      return NotFoundError("role", id);
    }
    RoleRecord role = RoleFromRow(rows[0]);
    if (role.system_role) {
      return Precondition(fmt::format("role '{}' is a system role and cannot be changed", id));
    }
    const bool changed = (description && *description != role.description) ||
                         (permissions && *permissions != role.permissions);
    if (!changed) {
      return Result{role, false};
    }
    if (description) {
      role.description = *description;
    }
    if (permissions) {
      role.permissions = *permissions;
    }
    const pqxx::row updated = tx.exec_params1(
        fmt::format("UPDATE roles SET description = $2, permissions = $3::jsonb, modified = now() "
                    "WHERE id = $1 RETURNING {}",
                    kRoleColumns),
        id, role.description, PermissionsToJson(role.permissions));
    Event(tx, outbox_, "role.updated", actor, {{"role_id", id}});
    return Result{RoleFromRow(updated), true};
  });
  InvalidateCache();
  return result;
}

absl::Status AccessStore::DeleteRole(const std::string& id, const std::string& actor) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    const pqxx::result rows =
        tx.exec_params("SELECT system_role FROM roles WHERE id = $1 FOR UPDATE", id);
    if (rows.empty()) {
      return NotFoundError("role", id);
    }
    if (rows[0][0].as<bool>()) {
      return Precondition(fmt::format("role '{}' is a system role and cannot be deleted", id));
    }
    const pqxx::result users =
        tx.exec_params("SELECT count(*) FROM tokens WHERE $1 = ANY(roles)", id);
    if (users[0][0].as<int64_t>() > 0) {
      return Precondition(
          fmt::format("role '{}' is still held by {} token(s); remove it from them first", id,
                      users[0][0].as<int64_t>()));
    }
    tx.exec_params("DELETE FROM roles WHERE id = $1", id);
    Event(tx, outbox_, "role.deleted", actor, {{"role_id", id}});
    return absl::OkStatus();
  });
}

}  // namespace gofer::api_gateway
