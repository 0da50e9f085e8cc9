#include "secret.h"

#include <fmt/format.h>

#include <tuple>

#include "gofer/common/errors.h"

namespace gofer::secret_store {
namespace {

constexpr size_t kPatternMaxLength = 64;

bool IsPatternChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*' || c == '?';
}

std::string_view ResourceName(const SecretRef& ref) {
  return ref.scope == SecretScope::kGlobal ? "global secret" : "pipeline secret";
}

}  // namespace

std::string_view ScopeName(SecretScope scope) {
  switch (scope) {
    case SecretScope::kPipeline:
      return "pipeline";
    case SecretScope::kGlobal:
      return "global";
    case SecretScope::kUnspecified:
      break;
  }
  return "unspecified";
}

bool operator<(const SecretRef& a, const SecretRef& b) {
  return std::forward_as_tuple(ScopeName(a.scope), a.namespace_id, a.pipeline_id, a.key) <
         std::forward_as_tuple(ScopeName(b.scope), b.namespace_id, b.pipeline_id, b.key);
}

SecretRef PipelineRef(std::string namespace_id, std::string pipeline_id, std::string key) {
  return {SecretScope::kPipeline, std::move(namespace_id), std::move(pipeline_id), std::move(key)};
}

SecretRef GlobalRef(std::string key) { return {SecretScope::kGlobal, "", "", std::move(key)}; }

std::string CanonicalName(const SecretRef& ref) {
  if (ref.scope == SecretScope::kGlobal) {
    return fmt::format("global/{}", ref.key);
  }
  return fmt::format("{}/{}/{}/{}", ScopeName(ref.scope), ref.namespace_id, ref.pipeline_id,
                     ref.key);
}

SecretMetadata MetadataOf(const SecretRecord& record) {
  return {record.ref, record.namespace_patterns, record.created, record.modified,
          record.envelope.key_id};
}

absl::Status SecretNotFoundError(const SecretRef& ref) {
  if (ref.scope == SecretScope::kGlobal) {
    return NotFoundError(ResourceName(ref), ref.key);
  }
  return NotFoundError(ResourceName(ref), ref.key,
                       {{"namespace_id", ref.namespace_id}, {"pipeline_id", ref.pipeline_id}});
}

absl::Status SecretExistsError(const SecretRef& ref) {
  std::map<std::string, std::string> metadata{{"resource", std::string(ResourceName(ref))},
                                              {"id", ref.key}};
  std::string where;
  if (ref.scope != SecretScope::kGlobal) {
    metadata["namespace_id"] = ref.namespace_id;
    metadata["pipeline_id"] = ref.pipeline_id;
    where = fmt::format(" in namespace '{}', pipeline '{}'", ref.namespace_id, ref.pipeline_id);
  }
  return WithErrorInfo(
      absl::AlreadyExistsError(fmt::format("{} '{}'{} already exists (set force to replace it)",
                                           ResourceName(ref), ref.key, where)),
      ErrorReason::kResourceExists, std::move(metadata));
}

std::optional<std::string> NamespacePatternViolation(std::string_view pattern) {
  if (pattern.empty()) {
    return "must not be empty";
  }
  if (pattern.size() > kPatternMaxLength) {
    return fmt::format("must be at most {} characters long (got {})", kPatternMaxLength,
                       pattern.size());
  }
  for (char c : pattern) {
    if (!IsPatternChar(c)) {
      return "may contain only lowercase letters, digits, '-', '*' and '?'";
    }
  }
  return std::nullopt;
}

bool MatchesNamespacePattern(std::string_view pattern, std::string_view namespace_id) {
  // Greedy matching that backtracks to the last '*': linear in practice, never exponential.
  size_t p = 0, s = 0;
  size_t star = std::string_view::npos, star_s = 0;
  while (s < namespace_id.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == namespace_id[s])) {
      ++p;
      ++s;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_s = s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool NamespaceAllowed(const std::vector<std::string>& patterns, std::string_view namespace_id) {
  for (const std::string& pattern : patterns) {
    if (MatchesNamespacePattern(pattern, namespace_id)) {
      return true;
    }
  }
  return false;
}

}  // namespace gofer::secret_store
