// The permissions of the three system roles as migrations/0001_gateway.sql inserts them, copied
// as test data (rbac_matrix_test checks that the database holds exactly these).
#pragma once

namespace gofer::api_gateway::testing {

inline constexpr char kAdminPermissions[] =
    R"([{"resources": ["all"], "actions": ["read", "write", "delete"]}])";

inline constexpr char kUserPermissions[] = R"(
  [{"resources": ["namespaces:default", "pipelines:*", "configs", "deployments", "runs", "tasks",
                  "objects", "secrets", "subscriptions", "events"],
    "actions": ["read", "write", "delete"]},
   {"resources": ["extensions:*", "system"], "actions": ["read"]}])";

inline constexpr char kReadOnlyPermissions[] = R"(
  [{"resources": ["namespaces:*", "pipelines:*", "configs", "deployments", "runs", "tasks",
                  "objects", "secrets", "subscriptions", "events", "extensions:*", "system"],
    "actions": ["read"]}])";

}  // namespace gofer::api_gateway::testing
