#include "gofer/pipeline/interpolation.h"

#include <fmt/format.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/common/validation.h"

namespace gofer::pipeline {
namespace {

struct KindName {
  Interpolation::Kind kind;
  std::string_view name;
};

constexpr std::array<KindName, 4> kKinds = {{
    {Interpolation::Kind::kPipelineSecret, "pipeline_secret"},
    {Interpolation::Kind::kGlobalSecret, "global_secret"},
    {Interpolation::Kind::kPipelineObject, "pipeline_object"},
    {Interpolation::Kind::kRunObject, "run_object"},
}};

constexpr std::string_view kExpectedKinds =
    "pipeline_secret, global_secret, pipeline_object or run_object";

bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view Trim(std::string_view s) { return ToStd(absl::StripAsciiWhitespace(ToAbsl(s))); }

// Parses `value` (trimmed) as one interpolation whose kind word spans [start, open) and whose
// "{{" starts at `open`.
absl::StatusOr<std::optional<Interpolation>> ParseWhole(std::string_view value, size_t start,
                                                        size_t open, Interpolation::Kind kind) {
  const std::string_view word = value.substr(start, open - start);
  if (start != 0) {
    return absl::InvalidArgumentError(
        fmt::format("{}{{{{...}}}} must be the whole value, not part of a longer text", word));
  }
  const size_t close = value.find("}}", open + 2);
  if (close == std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("unterminated \"{{{{\" after {} (expected {}{{{{key}}}})", word, word));
  }
  if (close + 2 != value.size()) {
    return absl::InvalidArgumentError(
        fmt::format("unexpected text after the closing \"}}}}\" of {}{{{{...}}}}", word));
  }
  std::string key(Trim(value.substr(open + 2, close - open - 2)));
  if (auto why = KeyViolation(key)) {
    return absl::InvalidArgumentError(fmt::format("{} key \"{}\" {}", word, key, *why));
  }
  return Interpolation{kind, std::move(key)};
}

}  // namespace

std::string_view InterpolationKindName(Interpolation::Kind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) {
      return k.name;
    }
  }
  return "unknown";
}

absl::StatusOr<std::optional<Interpolation>> ParseInterpolation(std::string_view value) {
  const std::string_view v = Trim(value);
  for (size_t open = v.find("{{"); open != std::string_view::npos; open = v.find("{{", open + 2)) {
    size_t start = open;
    while (start > 0 && IsWordChar(v[start - 1])) {
      --start;
    }
    const std::string word = absl::AsciiStrToLower(ToAbsl(v.substr(start, open - start)));
    for (const KindName& k : kKinds) {
      if (word == k.name) {
        return ParseWhole(v, start, open, k.kind);
      }
    }
    if (absl::StrContains(word, "secret") || absl::StrContains(word, "object")) {
      return absl::InvalidArgumentError(
          fmt::format("unknown interpolation \"{}{{{{\" (expected {})",
                      v.substr(start, open - start), kExpectedKinds));
    }
  }
  return std::nullopt;
}

}  // namespace gofer::pipeline
