#include "rbac.h"

#include <algorithm>

#include <fmt/format.h>

namespace gofer::api_gateway {
namespace {

bool TakesTarget(std::string_view kind) {
  return kind == "namespaces" || kind == "pipelines" || kind == "extensions";
}

struct Resource {
  std::string_view kind;
  std::string_view glob;  // empty: any target
};

Resource Split(std::string_view resource) {
  const size_t colon = resource.find(':');
  if (colon == std::string_view::npos) {
    return {resource, {}};
  }
  return {resource.substr(0, colon), resource.substr(colon + 1)};
}

// Whether a grant's target glob covers `target`. The target "*" stands for every id (a list
// across all namespaces): only a glob matching every id covers it, not one that merely matches
// the text "*" (such as "?").
bool Covers(std::string_view glob, std::string_view target) {
  if (target == "*") {
    return glob.find_first_not_of('*') == std::string_view::npos;
  }
  return GlobMatch(glob, target);
}

// Whether one grant's resources cover `kind` (with `target`, when not empty).
bool CoversKind(const Permission& p, std::string_view kind, std::string_view target) {
  for (const std::string& r : p.resources) {
    const Resource res = Split(r);
    if (res.kind == kind && (target.empty() || res.glob.empty() || Covers(res.glob, target))) {
      return true;
    }
  }
  return false;
}

bool HasAction(const Permission& p, Action action) {
  return std::find(p.actions.begin(), p.actions.end(), action) != p.actions.end();
}

bool HasAll(const Permission& p) {
  return std::find(p.resources.begin(), p.resources.end(), "all") != p.resources.end();
}

}  // namespace

const std::vector<std::string>& ResourceKinds() {
  static const auto* const kKinds = new std::vector<std::string>{
      "all",    "namespaces", "pipelines", "configs",        "deployments", "runs",
      "tasks",  "objects",    "secrets",   "global_secrets", "extensions",  "subscriptions",
      "tokens", "roles",      "events",    "system"};
  return *kKinds;
}

std::optional<std::string> ResourceViolation(std::string_view resource) {
  const Resource res = Split(resource);
  const auto& kinds = ResourceKinds();
  if (std::find(kinds.begin(), kinds.end(), res.kind) == kinds.end()) {
    return fmt::format("unknown resource kind '{}'", res.kind);
  }
  if (resource.find(':') != std::string_view::npos) {
    if (!TakesTarget(res.kind)) {
      return fmt::format("'{}' takes no target (only namespaces, pipelines and extensions do)",
                         res.kind);
    }
    if (res.glob.empty() || res.glob.size() > 64) {
      return "a target glob must be 1-64 characters";
    }
    for (char c : res.glob) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*' || c == '?')) {
        return "a target glob may contain only [a-z0-9-], * and ?";
      }
    }
  }
  return std::nullopt;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool Allows(const std::vector<Permission>& permissions, const Need& need) {
  // One grant must cover everything the need names: its action, kind, namespace and pipeline.
  // Grants are never mixed (a kind from one grant with a namespace from another would let a
  // token holding two scoped roles act outside both scopes).
  for (const Permission& p : permissions) {
    if (!HasAction(p, need.action)) {
      continue;
    }
    if (HasAll(p)) {
      return true;
    }
    if (need.admin_only) {
      continue;
    }
    if (CoversKind(p, need.kind, need.target) &&
        (need.namespace_id.empty() || CoversKind(p, "namespaces", need.namespace_id)) &&
        (need.pipeline_id.empty() || CoversKind(p, "pipelines", need.pipeline_id))) {
      return true;
    }
  }
  return false;
}

std::string DescribeNeed(const Need& need) {
  std::string out = fmt::format("{} on {}", ActionName(need.action), need.kind);
  if (!need.target.empty()) {
    out += fmt::format(" '{}'", need.target);
  }
  if (!need.namespace_id.empty()) {
    out += fmt::format(" in namespace '{}'", need.namespace_id);
  }
  if (!need.pipeline_id.empty()) {
    out += fmt::format(", pipeline '{}'", need.pipeline_id);
  }
  if (need.admin_only) {
    out += " (admin only)";
  }
  return out;
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kRead:
      return "read";
    case Action::kWrite:
      return "write";
    case Action::kDelete:
      return "delete";
  }
  return "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  if (name == "read") return Action::kRead;
  if (name == "write") return Action::kWrite;
  if (name == "delete") return Action::kDelete;
  return std::nullopt;
}

}  // namespace gofer::api_gateway
