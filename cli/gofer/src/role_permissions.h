// The command-line spelling of a role's permissions (`gofer role create --permission ...`):
// RESOURCE[,RESOURCE...]:ACTION[,ACTION...], the actions after the last colon. For example
// "runs,objects,namespaces:prod-*:read,write" grants read and write on runs and objects in the
// namespaces matching prod-*.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gofer/v1/tokens.pb.h"

namespace gofer::cli {

// The syntax and an example, for help texts and error messages.
inline constexpr char kPermissionSyntax[] =
    "RESOURCE[,RESOURCE...]:ACTION[,ACTION...], e.g. \"runs,objects,namespaces:prod-*:read,write\"";

// The resource kinds a permission may name (the api-gateway's list, services/api-gateway/src/
// rbac.cc; it checks again and has the last word).
const std::vector<std::string>& PermissionKinds();

// Parses one --permission value. INVALID_ARGUMENT quoting the value and saying what is wrong: a
// missing
// ':' or empty part, an unknown resource kind, a target on a kind that takes none (only
// namespaces, pipelines and extensions do), a target glob outside [a-z0-9-*?] or longer than
// 64 characters, or an action other than read, write and delete.
absl::StatusOr<gofer::v1::Permission> ParsePermission(std::string_view text);

// `permission` in the syntax ParsePermission reads ("runs,objects:read,write").
std::string FormatPermission(const gofer::v1::Permission& permission);

}  // namespace gofer::cli
