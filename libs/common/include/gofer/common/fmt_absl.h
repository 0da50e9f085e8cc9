// fmt (and so spdlog) formatting for Abseil types: absl::string_view (status messages),
// absl::Status ("NOT_FOUND: ...") and absl::Duration ("1.5s").
#pragma once

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(absl::string_view s, Context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

template <>
struct fmt::formatter<absl::Status> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(const absl::Status& s, Context& ctx) const {
    const std::string text = s.ToString();
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text), ctx);
  }
};

template <>
struct fmt::formatter<absl::Duration> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(absl::Duration d, Context& ctx) const {
    const std::string text = absl::FormatDuration(d);
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text), ctx);
  }
};
