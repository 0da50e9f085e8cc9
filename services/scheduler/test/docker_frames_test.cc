// The Engine API's multiplexed stream format and log timestamps, on hand-made byte streams.
#include <catch2/catch.hpp>

#include <string>

#include "docker_frames.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler::docker {
namespace {

std::string FrameBytes(uint8_t stream, const std::string& payload) {
  std::string header = {static_cast<char>(stream), 0, 0, 0};
  const auto n = static_cast<uint32_t>(payload.size());
  header += {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
             static_cast<char>(n)};
  return header + payload;
}

}  // namespace

TEST_CASE("FrameDemuxer splits stdout and stderr frames fed one byte at a time") {
  const std::string bytes = FrameBytes(1, "out\n") + FrameBytes(2, "err\n") + FrameBytes(1, "");
  FrameDemuxer demuxer;
  std::vector<Frame> frames;
  for (char c : bytes) {
    demuxer.Feed(std::string(1, c));
    while (true) {
      auto frame = demuxer.Next();
      GOFER_REQUIRE_OK(frame);
      if (!frame->has_value()) {
        break;
      }
      frames.push_back(**frame);
    }
  }
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].stream == 1);
  CHECK(frames[0].payload == "out\n");
  CHECK(frames[1].stream == 2);
  CHECK(frames[1].payload == "err\n");
  CHECK(frames[2].payload.empty());
  CHECK(demuxer.pending() == 0);
}

TEST_CASE("FrameDemuxer reads a frame longer than 65535 bytes from its big-endian length") {
  const std::string payload(70000, 'x');
  FrameDemuxer demuxer;
  demuxer.Feed(FrameBytes(2, payload));
  auto frame = demuxer.Next();
  GOFER_REQUIRE_OK(frame);
  REQUIRE(frame->has_value());
  CHECK((*frame)->payload == payload);
}

TEST_CASE("FrameDemuxer keeps a partial frame until the rest arrives") {
  const std::string bytes = FrameBytes(1, "hello");
  FrameDemuxer demuxer;
  demuxer.Feed(bytes.substr(0, 10));
  auto none = demuxer.Next();
  GOFER_REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
  CHECK(demuxer.pending() == 10);
  demuxer.Feed(bytes.substr(10));
  auto frame = demuxer.Next();
  GOFER_REQUIRE_OK(frame);
  CHECK((*frame)->payload == "hello");
}

TEST_CASE("FrameDemuxer rejects a header with an unknown stream type") {
  FrameDemuxer demuxer;
  demuxer.Feed(std::string("\x07\0\0\0\0\0\0\x01x", 9));
  GOFER_REQUIRE_CODE(demuxer.Next(), absl::StatusCode::kInternal);
}

TEST_CASE("SplitTimestamp separates the RFC 3339 time from the log data") {
  auto split = SplitTimestamp("2026-01-01T00:00:01.000000002Z hello world\n");
  GOFER_REQUIRE_OK(split);
  CHECK(split->first == absl::FromUnixSeconds(1767225601) + absl::Nanoseconds(2));
  CHECK(split->second == "hello world\n");
  GOFER_REQUIRE_CODE(SplitTimestamp("no-time-here"), absl::StatusCode::kInternal);
  GOFER_REQUIRE_CODE(SplitTimestamp("yesterday hello"), absl::StatusCode::kInternal);
}

TEST_CASE("UnixTimeParameter writes seconds with nine decimals") {
  CHECK(UnixTimeParameter(absl::FromUnixSeconds(1767225600) + absl::Nanoseconds(5)) ==
        "1767225600.000000005");
}

}  // namespace gofer::scheduler::docker
