#include "object_ref.h"

#include <fmt/format.h>

#include "gofer/common/errors.h"

namespace gofer::object_store {
namespace {

bool Known(Scope scope) {
  return scope == Scope::kPipeline || scope == Scope::kRun || scope == Scope::kExtension ||
         scope == Scope::kTaskLog;
}

const char* ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kPipeline:
      return "pipeline";
    case Scope::kRun:
      return "run";
    case Scope::kExtension:
      return "extension";
    case Scope::kTaskLog:
      return "task log";
  }
  return "unknown";
}

}  // namespace

void CheckRef(const ObjectRef& ref, const std::string& field, Violations& v, bool owner_only) {
  if (!Known(ref.scope)) {
    v.Add(field + ".scope", "must be PIPELINE, RUN, EXTENSION or TASK_LOG");
    return;
  }
  const bool by_pipeline = ref.scope != Scope::kExtension;
  const bool by_run = ref.scope == Scope::kRun || ref.scope == Scope::kTaskLog;
  if (by_pipeline) {
    v.CheckIdentifier(field + ".namespace_id", ref.namespace_id);
    v.CheckIdentifier(field + ".pipeline_id", ref.pipeline_id);
    if (!ref.extension_id.empty()) {
      v.Add(field + ".extension_id", "must be empty for this scope");
    }
  } else {
    v.CheckIdentifier(field + ".extension_id", ref.extension_id);
    // Each forbidden field is named on its own, so the client learns which one to clear.
    if (!ref.namespace_id.empty()) {
      v.Add(field + ".namespace_id", "must be empty for extension objects");
    }
    if (!ref.pipeline_id.empty()) {
      v.Add(field + ".pipeline_id", "must be empty for extension objects");
    }
  }
  if (by_run && ref.run_id < 1) {
    v.Add(field + ".run_id", "must be a run number (>= 1)");
  } else if (!by_run && ref.run_id != 0) {
    v.Add(field + ".run_id", "must be 0 for this scope");
  }
  if (owner_only) {
    if (!ref.key.empty()) {
      v.Add(field + ".key", "must be empty: the parent names an owner, not an object");
    }
  } else {
    v.CheckKey(field + ".key", ref.key);
  }
}

std::string Describe(const ObjectRef& ref) {
  switch (ref.scope) {
    case Scope::kPipeline:
      return fmt::format("pipeline object '{}' of pipeline '{}' in namespace '{}'", ref.key,
                         ref.pipeline_id, ref.namespace_id);
    case Scope::kRun:
    case Scope::kTaskLog:
      return fmt::format("{} object '{}' of run {} of pipeline '{}' in namespace '{}'",
                         ScopeName(ref.scope), ref.key, ref.run_id, ref.pipeline_id,
                         ref.namespace_id);
    case Scope::kExtension:
      return fmt::format("extension object '{}' of extension '{}'", ref.key, ref.extension_id);
  }
  return "object";
}

absl::Status ObjectNotFound(const ObjectRef& ref) {
  return WithErrorInfo(absl::NotFoundError(Describe(ref) + " not found"),
                       ErrorReason::kResourceNotFound,
                       {{"resource", "object"},
                        {"key", ref.key},
                        {"scope", ScopeName(ref.scope)},
                        {"namespace_id", ref.namespace_id},
                        {"pipeline_id", ref.pipeline_id},
                        {"run_id", std::to_string(ref.run_id)},
                        {"extension_id", ref.extension_id}});
}

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) {
    return false;
  }
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace gofer::object_store
