#include "docker_frames.h"

#include <fmt/format.h>

#include "gofer/common/string_view_bridge.h"

namespace gofer::scheduler::docker {

namespace {
constexpr size_t kHeaderSize = 8;
}  // namespace

absl::StatusOr<std::optional<Frame>> FrameDemuxer::Next() {
  if (pending() < kHeaderSize) {
    return std::nullopt;
  }
  const auto* header = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  if (header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
    return absl::InternalError(
        fmt::format("malformed stream frame header (type byte {})", static_cast<int>(header[0])));
  }
  const uint32_t length = (uint32_t{header[4]} << 24) | (uint32_t{header[5]} << 16) |
                          (uint32_t{header[6]} << 8) | uint32_t{header[7]};
  if (pending() < kHeaderSize + length) {
    return std::nullopt;
  }
  Frame frame{header[0], buffer_.substr(consumed_ + kHeaderSize, length)};
  consumed_ += kHeaderSize + length;
  // Compact once the consumed prefix dominates, so a long stream does not grow the buffer.
  if (consumed_ > 64 * 1024 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return frame;
}

absl::StatusOr<std::pair<absl::Time, std::string_view>> SplitTimestamp(std::string_view payload) {
  const size_t space = payload.find(' ');
  if (space == std::string_view::npos) {
    return absl::InternalError("log line without a timestamp");
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(payload.substr(0, space)), &time, &error)) {
    return absl::InternalError(fmt::format("log line with a malformed timestamp: {}", error));
  }
  return std::make_pair(time, payload.substr(space + 1));
}

std::string UnixTimeParameter(absl::Time t) {
  const int64_t nanos = absl::ToUnixNanos(t);
  return fmt::format("{}.{:09d}", nanos / 1000000000, nanos % 1000000000);
}

}  // namespace gofer::scheduler::docker
