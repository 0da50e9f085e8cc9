// The docker backend's LogReader: GET /containers/{id}/logs?timestamps=1, demultiplexed, with
// the offset applied by skipping bytes (the engine replays the stored log from its start).
#include <fmt/format.h>

#include "docker_api.h"
#include "docker_frames.h"
#include "gofer/common/status_macros.h"

namespace gofer::scheduler::docker {
namespace {

class DockerLogReader final : public LogReader {
 public:
  DockerLogReader(std::unique_ptr<HttpStream> stream, int64_t skip)
      : stream_(std::move(stream)), skip_(skip) {}

  absl::StatusOr<bool> Read(absl::Duration max_wait, size_t max_bytes,
                            std::vector<LogChunk>* out) override {
    size_t taken = 0;
    GOFER_RETURN_IF_ERROR(Drain(max_bytes, out, &taken));
    if (taken > 0) {
      return true;
    }
    if (ended_) {
      return false;
    }
    std::string raw;
    GOFER_ASSIGN_OR_RETURN(bool more, stream_->Read(max_wait, &raw));
    demuxer_.Feed(raw);
    ended_ = !more;
    GOFER_RETURN_IF_ERROR(Drain(max_bytes, out, &taken));
    return taken > 0 || !ended_;
  }

 private:
  // Moves complete frames into `out` until `max_bytes` of data were taken.
  absl::Status Drain(size_t max_bytes, std::vector<LogChunk>* out, size_t* taken) {
    while (*taken < max_bytes) {
      GOFER_ASSIGN_OR_RETURN(std::optional<Frame> frame, demuxer_.Next());
      if (!frame.has_value()) {
        return absl::OkStatus();
      }
      GOFER_ASSIGN_OR_RETURN(auto split, SplitTimestamp(frame->payload));
      std::string_view data = split.second;
      if (skip_ > 0) {
        const size_t skipped = std::min<size_t>(static_cast<size_t>(skip_), data.size());
        skip_ -= static_cast<int64_t>(skipped);
        position_ += static_cast<int64_t>(skipped);
        data.remove_prefix(skipped);
      }
      if (data.empty()) {
        continue;
      }
      out->push_back(LogChunk{frame->stream == 2 ? OutputStream::kStderr : OutputStream::kStdout,
                              split.first, position_, std::string(data)});
      position_ += static_cast<int64_t>(data.size());
      *taken += data.size();
    }
    return absl::OkStatus();
  }

  std::unique_ptr<HttpStream> stream_;
  FrameDemuxer demuxer_;
  int64_t skip_;
  int64_t position_ = 0;
  bool ended_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogReader>> OpenDockerLogs(const DockerHttp& http,
                                                          std::string_view id,
                                                          const LogOptions& options,
                                                          absl::Duration timeout) {
  GOFER_ASSIGN_OR_RETURN(nlohmann::json inspect, InspectManaged(http, id, timeout));
  HttpRequest request{.path = fmt::format("/containers/{}/logs", inspect.value("Id", "")),
                      .query = {{"stdout", "1"},
                                {"stderr", "1"},
                                {"timestamps", "1"},
                                {"follow", options.follow ? "1" : "0"}},
                      .timeout = timeout};
  if (options.since != absl::InfinitePast()) {
    request.query.emplace_back("since", UnixTimeParameter(options.since));
  }
  GOFER_ASSIGN_OR_RETURN(std::unique_ptr<HttpStream> stream, http.Open(request));
  if (stream->status() != 200) {
    return StatusFromResponse({stream->status(), stream->ReadAll(timeout)}, "container", id);
  }
  return std::make_unique<DockerLogReader>(std::move(stream), options.offset);
}

}  // namespace gofer::scheduler::docker
