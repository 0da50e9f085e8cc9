// Identifier and key rules (F-VAL-1), and a collector that turns every broken rule of a
// request into one INVALID_ARGUMENT.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gofer/common/errors.h"

namespace gofer {

// Identifiers chosen by users (namespace, pipeline, task, role, extension, subscription ids):
// 3–64 characters of [a-z0-9-], starting with a letter. Returns why `id` breaks the rule, or
// nullopt when it is valid.
std::optional<std::string> IdentifierViolation(std::string_view id);

// Secret and object keys: 1–256 characters of [A-Za-z0-9._/-]; no "." or ".." segment, no
// empty segment, and no leading or trailing "/" (so every key names one file-like path).
// Returns why `key` breaks the rule, or nullopt when it is valid.
std::optional<std::string> KeyViolation(std::string_view key);

// OK, or INVALID_ARGUMENT naming `field` when `value` is not a valid identifier.
absl::Status ValidateIdentifier(std::string_view field, std::string_view value);

// Collects the violations of one request, then reports them all at once.
//
//   Violations v;
//   v.CheckIdentifier("namespace_id", req.namespace_id());
//   v.CheckKey("key", req.key());
//   GOFER_RETURN_IF_ERROR(v.ToStatus());
//
// Not thread-safe; use one per request.
class Violations {
 public:
  // Records a violation of `field`.
  void Add(std::string field, std::string description);

  // Records a violation when `value` is not a valid identifier.
  void CheckIdentifier(std::string_view field, std::string_view value);

  // Records a violation when `value` is not a valid key.
  void CheckKey(std::string_view field, std::string_view value);

  bool empty() const { return list_.empty(); }
  const std::vector<FieldViolation>& list() const { return list_; }

  // OK when nothing was recorded, otherwise InvalidArgumentError(list()).
  absl::Status ToStatus() const;

 private:
  std::vector<FieldViolation> list_;
};

}  // namespace gofer
