#include "role_permissions.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::cli {
namespace {

bool TakesTarget(std::string_view kind) {
  return kind == "namespaces" || kind == "pipelines" || kind == "extensions";
}

// Why `resource` is not a resource string, or "" when it is one.
std::string ResourceProblem(std::string_view resource) {
  const size_t colon = resource.find(':');
  const std::string_view kind = resource.substr(0, colon);
  const auto& kinds = PermissionKinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    return fmt::format("unknown resource '{}' (one of: {})", kind, absl::StrJoin(kinds, ", "));
  }
  if (colon == std::string_view::npos) {
    return "";
  }
  if (!TakesTarget(kind)) {
    return fmt::format("'{}' takes no target (only namespaces, pipelines and extensions do)", kind);
  }
  const std::string_view glob = resource.substr(colon + 1);
  if (glob.empty() || glob.size() > 64) {
    return fmt::format("the target of '{}' must be 1-64 characters", resource);
  }
  for (char c : glob) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*' || c == '?')) {
      return fmt::format("the target '{}' may contain only a-z, 0-9, '-', '*' and '?'", glob);
    }
  }
  return "";
}

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("'{}': {}; write {}", text, why, kPermissionSyntax));
}

}  // namespace

const std::vector<std::string>& PermissionKinds() {
  static const auto* const kKinds = new std::vector<std::string>{
      "all",    "namespaces", "pipelines", "configs",        "deployments", "runs",
      "tasks",  "objects",    "secrets",   "global_secrets", "extensions",  "subscriptions",
      "tokens", "roles",      "events",    "system"};
  return *kKinds;
}

absl::StatusOr<gofer::v1::Permission> ParsePermission(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Invalid(text, "no actions (they follow the last ':')");
  }
  const std::string_view resources = text.substr(0, colon);
  const std::string_view actions = text.substr(colon + 1);
  gofer::v1::Permission permission;
  for (absl::string_view part : absl::StrSplit(ToAbsl(resources), ',')) {
    const std::string_view resource = ToStd(absl::StripAsciiWhitespace(part));
    if (resource.empty()) {
      return Invalid(text, "an empty resource");
    }
    if (std::string why = ResourceProblem(resource); !why.empty()) {
      return Invalid(text, why);
    }
    permission.add_resources(std::string(resource));
  }
  for (absl::string_view part : absl::StrSplit(ToAbsl(actions), ',')) {
    const std::string_view action = ToStd(absl::StripAsciiWhitespace(part));
    gofer::v1::Action value;
    if (action == "read") {
      value = gofer::v1::ACTION_READ;
    } else if (action == "write") {
      value = gofer::v1::ACTION_WRITE;
    } else if (action == "delete") {
      value = gofer::v1::ACTION_DELETE;
    } else {
      return Invalid(text, action.empty() ? std::string("an empty action")
                                          : fmt::format("unknown action '{}' (read, write or "
                                                        "delete)",
                                                        action));
    }
    if (std::find(permission.actions().begin(), permission.actions().end(), value) ==
        permission.actions().end()) {
      permission.add_actions(value);
    }
  }
  return permission;
}

std::string FormatPermission(const gofer::v1::Permission& permission) {
  std::vector<std::string> actions;
  for (int action : permission.actions()) {
    switch (action) {
      case gofer::v1::ACTION_READ:
        actions.push_back("read");
        break;
      case gofer::v1::ACTION_WRITE:
        actions.push_back("write");
        break;
      case gofer::v1::ACTION_DELETE:
        actions.push_back("delete");
        break;
      default:
        actions.push_back("?");
    }
  }
  return fmt::format("{}:{}", absl::StrJoin(permission.resources(), ","),
                     absl::StrJoin(actions, ","));
}

}  // namespace gofer::cli
