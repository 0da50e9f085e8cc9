// The docker backend's ExecSession: POST /containers/{id}/exec, then POST /exec/{id}/start,
// whose connection the engine hijacks: after the 200 answer the connection carries the
// command's output (raw with a TTY, multiplexed frames without) one way and its stdin the
// other. libcurl reads the output; stdin is written to the same socket (libcurl has no API
// for an upgraded HTTP/1.1 connection), and half-closing the socket closes stdin.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "docker_api.h"
#include "docker_frames.h"
#include "docker_json.h"
#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"

namespace gofer::scheduler::docker {
namespace {

using nlohmann::json;

class DockerExecSession final : public ExecSession {
 public:
  DockerExecSession(const DockerHttp& http, std::string exec_id, bool tty,
                    std::unique_ptr<HttpStream> stream, absl::Duration timeout)
      : http_(http),
        exec_id_(std::move(exec_id)),
        tty_(tty),
        stream_(std::move(stream)),
        fd_(stream_->socket()),
        timeout_(timeout) {}

  absl::Status WriteStdin(std::string_view data) override {
    absl::MutexLock lock(&write_mu_);
    if (stdin_closed_) {
      return absl::FailedPreconditionError("stdin is closed");
    }
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        pollfd p{fd_, POLLOUT, 0};
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout_)));
      } else {
        return absl::UnavailableError(
            fmt::format("writing to the exec session: {}", std::strerror(errno)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CloseStdin() override {
    absl::MutexLock lock(&write_mu_);
    if (!stdin_closed_) {
      stdin_closed_ = true;
      shutdown(fd_, SHUT_WR);
    }
    return absl::OkStatus();
  }

  absl::Status Resize(TerminalSize size) override {
    if (!tty_ || size.rows == 0 || size.columns == 0) {
      return absl::OkStatus();
    }
    GOFER_ASSIGN_OR_RETURN(HttpResponse response,
                           http_.Call({.method = "POST",
                                       .path = fmt::format("/exec/{}/resize", exec_id_),
                                       .query = {{"h", std::to_string(size.rows)},
                                                 {"w", std::to_string(size.columns)}},
                                       .timeout = timeout_}));
    return response.status < 300 ? absl::OkStatus()
                                 : StatusFromResponse(response, "exec session", exec_id_);
  }

  absl::StatusOr<bool> ReadOutput(absl::Duration max_wait, std::vector<ExecOutput>* out) override {
    std::string raw;
    GOFER_ASSIGN_OR_RETURN(bool more, stream_->Read(max_wait, &raw));
    if (tty_) {
      if (!raw.empty()) {
        out->push_back({OutputStream::kStdout, std::move(raw)});
      }
      return more;
    }
    demuxer_.Feed(raw);
    while (true) {
      GOFER_ASSIGN_OR_RETURN(std::optional<Frame> frame, demuxer_.Next());
      if (!frame.has_value()) {
        break;
      }
      out->push_back({frame->stream == 2 ? OutputStream::kStderr : OutputStream::kStdout,
                      std::move(frame->payload)});
    }
    return more;
  }

  absl::StatusOr<int> ExitCode() override {
    // The engine may close the stream a moment before it records the exit code.
    const absl::Time deadline = absl::Now() + timeout_;
    while (true) {
      GOFER_ASSIGN_OR_RETURN(
          HttpResponse response,
          http_.Call({.path = fmt::format("/exec/{}/json", exec_id_), .timeout = timeout_}));
      if (response.status != 200) {
        return StatusFromResponse(response, "exec session", exec_id_);
      }
      const json state = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      if (!state.is_object()) {
        return absl::InternalError("the engine's exec description is not JSON");
      }
      if (!state.value("Running", false) && state["ExitCode"].is_number()) {
        return state["ExitCode"].get<int>();
      }
      if (absl::Now() > deadline) {
        return absl::UnavailableError("the engine did not report the exec's exit code in time");
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

 private:
  const DockerHttp& http_;
  const std::string exec_id_;
  const bool tty_;
  std::unique_ptr<HttpStream> stream_;
  const int fd_;
  const absl::Duration timeout_;
  FrameDemuxer demuxer_;
  absl::Mutex write_mu_;
  bool stdin_closed_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ExecSession>> StartDockerExec(const DockerHttp& http,
                                                             const ExecSpec& spec,
                                                             absl::Duration timeout) {
  GOFER_ASSIGN_OR_RETURN(json inspect, InspectManaged(http, spec.container, timeout));
  if (inspect["State"].value("Status", "") != "running") {
    return WithErrorInfo(
        absl::FailedPreconditionError(fmt::format("container '{}' is not running", spec.container)),
        ErrorReason::kFailedPrecondition);
  }
  GOFER_ASSIGN_OR_RETURN(
      HttpResponse created,
      http.Call({.method = "POST",
                 .path = fmt::format("/containers/{}/exec", inspect.value("Id", "")),
                 .json_body = ExecCreateBody(spec).dump(),
                 .timeout = timeout}));
  if (created.status != 201 && created.status != 200) {
    return StatusFromResponse(created, "container", spec.container);
  }
  const json body = json::parse(created.body, nullptr, /*allow_exceptions=*/false);
  const std::string exec_id = body.is_object() ? body.value("Id", "") : "";
  if (exec_id.empty()) {
    return absl::InternalError("the engine did not return an exec id");
  }
  GOFER_ASSIGN_OR_RETURN(std::unique_ptr<HttpStream> stream,
                         http.Open({.method = "POST",
                                    .path = fmt::format("/exec/{}/start", exec_id),
                                    .json_body = json{{"Detach", false}, {"Tty", spec.tty}}.dump(),
                                    .timeout = timeout}));
  if (stream->status() != 200 && stream->status() != 101) {
    return StatusFromResponse({stream->status(), stream->ReadAll(timeout)}, "exec session",
                              exec_id);
  }
  auto session =
      std::make_unique<DockerExecSession>(http, exec_id, spec.tty, std::move(stream), timeout);
  if (spec.tty) {
    (void)session->Resize(spec.size);  // best effort: the command runs whatever the size
  }
  return session;
}

}  // namespace gofer::scheduler::docker
