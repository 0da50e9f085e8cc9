#include "gofer/common/validation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer {
namespace {

constexpr size_t kIdentifierMin = 3;
constexpr size_t kIdentifierMax = 64;
constexpr size_t kKeyMax = 256;

bool IsLowerAlnumOrDash(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '/' || c == '-';
}

}  // namespace

std::optional<std::string> IdentifierViolation(std::string_view id) {
  if (id.empty()) {
    return "is required";
  }
  if (id.size() < kIdentifierMin || id.size() > kIdentifierMax) {
    return absl::StrCat("must be ", kIdentifierMin, "-", kIdentifierMax, " characters long (got ",
                        id.size(), ")");
  }
  if (id[0] < 'a' || id[0] > 'z') {
    return "must start with a lowercase letter";
  }
  for (char c : id) {
    if (!IsLowerAlnumOrDash(c)) {
      return "may contain only lowercase letters, digits and '-'";
    }
  }
  return std::nullopt;
}

std::optional<std::string> KeyViolation(std::string_view key) {
  if (key.empty()) {
    return "is required";
  }
  if (key.size() > kKeyMax) {
    return absl::StrCat("must be at most ", kKeyMax, " characters long (got ", key.size(), ")");
  }
  for (char c : key) {
    if (!IsKeyChar(c)) {
      return "may contain only letters, digits, '.', '_', '/' and '-'";
    }
  }
  if (key.front() == '/' || key.back() == '/') {
    return "must not start or end with '/'";
  }
  for (absl::string_view segment : absl::StrSplit(ToAbsl(key), '/')) {
    if (segment.empty()) {
      return "must not contain an empty segment ('//')";
    }
    if (segment == "." || segment == "..") {
      return "must not contain '.' or '..' segments";
    }
  }
  return std::nullopt;
}

absl::Status ValidateIdentifier(std::string_view field, std::string_view value) {
  Violations v;
  v.CheckIdentifier(field, value);
  return v.ToStatus();
}

void Violations::Add(std::string field, std::string description) {
  list_.push_back({std::move(field), std::move(description)});
}

void Violations::CheckIdentifier(std::string_view field, std::string_view value) {
  if (auto why = IdentifierViolation(value)) {
    Add(std::string(field), *std::move(why));
  }
}

void Violations::CheckKey(std::string_view field, std::string_view value) {
  if (auto why = KeyViolation(value)) {
    Add(std::string(field), *std::move(why));
  }
}

absl::Status Violations::ToStatus() const {
  return list_.empty() ? absl::OkStatus() : InvalidArgumentError(list_);
}

}  // namespace gofer
