// Role-based access control: what a call needs, and whether a token's permissions allow it.
// Pure logic (no storage, no gRPC); see gofer.v1.Permission in proto/gofer/v1/tokens.proto for
// the model.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gofer::api_gateway {

enum class Action { kRead = 1, kWrite = 2, kDelete = 3 };

// One grant of a role: actions on resources ("runs", "namespaces:prod-*", "all", ...).
struct Permission {
  std::vector<std::string> resources;
  std::vector<Action> actions;

  friend bool operator==(const Permission&, const Permission&) = default;
};

// What one call needs.
struct Need {
  // The resource kind acted on: "namespaces", "pipelines", "configs", "runs", ...
  std::string kind;
  Action action = Action::kRead;
  // The namespace the resource lives in (empty when not namespaced; "*" for every namespace).
  std::string namespace_id;
  // The pipeline the resource belongs to (empty when not pipeline-scoped).
  std::string pipeline_id;
  // The resource's own id for kinds that take targets ("extensions:<id>"), else empty.
  std::string target;
  // Only a grant of "all" (the admin role) allows it.
  bool admin_only = false;
};

// The kinds a resource string may name.
const std::vector<std::string>& ResourceKinds();

// Why `resource` is not a valid resource string ("kind" or "kind:glob" for namespaces,
// pipelines and extensions; globs use * and ? over [a-z0-9-]), or nullopt when valid.
std::optional<std::string> ResourceViolation(std::string_view resource);

// Shell-style match of `text` against `pattern` with * (any run) and ? (one character).
bool GlobMatch(std::string_view pattern, std::string_view text);

// Whether `permissions` (all of a token's roles, combined) allow `need`: the action must be
// granted on the need's kind (and target), on its namespace through "namespaces:<glob>" and on
// its pipeline through "pipelines:<glob>"; "all" grants everything. Admin-only needs require
// "all".
bool Allows(const std::vector<Permission>& permissions, const Need& need);

// "write on runs in namespace 'prod', pipeline 'build'" — for PERMISSION_DENIED messages.
std::string DescribeNeed(const Need& need);

// "read" / "write" / "delete".
std::string_view ActionName(Action action);
std::optional<Action> ParseAction(std::string_view name);

}  // namespace gofer::api_gateway
