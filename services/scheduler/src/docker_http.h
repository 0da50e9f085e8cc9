// HTTP/1.1 to the Docker Engine API over its unix socket, with libcurl. Part of the docker
// backend (only docker_*.cc include libcurl). Whole-response calls for the control plane, and
// pull-driven streams (libcurl's multi interface) for logs, events, pulls and exec sessions,
// so a reader never blocks longer than it asks to.
#pragma once

#include <curl/curl.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gofer::scheduler::docker {

// A complete response.
struct HttpResponse {
  long status = 0;
  std::string body;
};

// One request. `path` starts with "/" and excludes the API version prefix; `query` values are
// escaped here.
struct HttpRequest {
  std::string method = "GET";
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  // Sent as application/json when not empty (or when `method` is POST: "{}" is not implied).
  std::string json_body;
  // Extra headers ("X-Registry-Auth: ..."). Never logged.
  std::vector<std::string> headers;
  // The whole exchange must finish within this (or, for streams, the response headers must
  // arrive within it).
  absl::Duration timeout = absl::Seconds(30);
};

// A response whose body is read piece by piece. Used by one thread at a time, except that
// socket() may be written to from another thread (the exec hijack).
class HttpStream {
 public:
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  // The HTTP status (available once Open returned).
  long status() const { return status_; }

  // Appends the body bytes available now to `out`, waiting up to `max_wait` for some. Returns
  // true while more may follow and false at the end of the body. UNAVAILABLE when the transfer
  // broke.
  absl::StatusOr<bool> Read(absl::Duration max_wait, std::string* out);

  // Reads the rest of the body (for error responses), waiting up to `timeout` in total.
  std::string ReadAll(absl::Duration timeout);

  // The connection's socket, for writing after the request was sent (the Engine API's
  // hijacked exec connection); -1 when unknown.
  int socket() const { return socket_; }

 private:
  friend class DockerHttp;
  HttpStream() = default;
  absl::Status WaitForHeaders(absl::Time deadline);
  absl::Status Pump(absl::Duration max_wait);

  static size_t OnHeader(char* data, size_t size, size_t n, void* self);
  static int OnSocket(void* self, curl_socket_t fd, curlsocktype purpose);
  static size_t OnBody(char* data, size_t size, size_t n, void* self);

  CURLM* multi_ = nullptr;
  CURL* easy_ = nullptr;
  struct curl_slist* headers_ = nullptr;
  std::string request_body_;
  long status_ = 0;
  bool headers_done_ = false;
  bool transfer_done_ = false;
  bool paused_ = false;
  CURLcode result_ = CURLE_OK;
  int socket_ = -1;
  std::string buffer_;
};

// A client of one engine socket. Thread-safe (each call uses its own connection).
class DockerHttp {
 public:
  // `socket_path` is the engine's unix socket; `api_version` like "v1.41".
  DockerHttp(std::string socket_path, std::string api_version);

  // Sends `request` and reads the whole response. UNAVAILABLE (with the socket named) when the
  // engine cannot be reached, the connection broke or the timeout passed.
  absl::StatusOr<HttpResponse> Call(const HttpRequest& request) const;

  // Sends `request` and returns once the response headers arrived; the body is read through the
  // stream. Errors as for Call.
  absl::StatusOr<std::unique_ptr<HttpStream>> Open(const HttpRequest& request) const;

  const std::string& socket_path() const { return socket_path_; }

 private:
  CURL* NewHandle(const HttpRequest& request, struct curl_slist** headers, std::string* body) const;
  std::string Url(const HttpRequest& request) const;

  const std::string socket_path_;
  const std::string api_version_;
};

// The unix socket path of a docker.host value "unix:///run/docker.sock"; INVALID_ARGUMENT for
// any other scheme.
absl::StatusOr<std::string> SocketPathOf(std::string_view host);

}  // namespace gofer::scheduler::docker
