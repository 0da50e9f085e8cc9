// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view is a
// distinct type from std::string_view. Gofer's APIs use std::string_view; these two helpers
// cross the boundary at absl call sites without copying.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace gofer {

// Views the same bytes as an absl::string_view.
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Views the same bytes as a std::string_view.
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace gofer
