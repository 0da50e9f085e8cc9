// Docker's multiplexed stream format (logs and exec output of containers without a TTY): each
// frame is an 8-byte header — stream type (0 stdin, 1 stdout, 2 stderr), three zero bytes, the
// payload length as a big-endian uint32 — then the payload. Part of the docker backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gofer::scheduler::docker {

// One demultiplexed frame.
struct Frame {
  uint8_t stream = 0;  // 0 stdin, 1 stdout, 2 stderr
  std::string payload;
};

// Splits a byte stream, fed in arbitrary pieces, into frames. Not thread-safe.
class FrameDemuxer {
 public:
  // Appends bytes received from the engine.
  void Feed(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete frame, or nullopt when more bytes are needed. INTERNAL when the header
  // is malformed (an unknown stream type or non-zero padding), after which the stream is
  // unusable.
  absl::StatusOr<std::optional<Frame>> Next();

  // Bytes received but not yet returned in a frame (a partial frame at the end of a stream).
  size_t pending() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
};

// Splits a log payload written with `timestamps=1` ("2026-01-01T00:00:00.123456789Z data") into
// its time and data. INTERNAL when the prefix is not an RFC 3339 time.
absl::StatusOr<std::pair<absl::Time, std::string_view>> SplitTimestamp(std::string_view payload);

// Docker's `since`/`until` query format: seconds since the epoch with nanoseconds,
// "1767225600.000000001".
std::string UnixTimeParameter(absl::Time t);

}  // namespace gofer::scheduler::docker
