#include "docker_http.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/match.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::scheduler::docker {
namespace {

// A stream whose reader falls behind stops reading from the socket (libcurl's pause) once this
// much is buffered, so a fast producer cannot grow the scheduler's memory without bound.
constexpr size_t kPauseAbove = 4 << 20;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
}

long Millis(absl::Duration d) {
  return static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

size_t AppendTo(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

absl::Status TransferError(const std::string& socket, CURLcode code) {
  if (code == CURLE_COULDNT_CONNECT) {
    return absl::UnavailableError(fmt::format("cannot reach the container engine at {}", socket));
  }
  return absl::UnavailableError(
      fmt::format("container engine at {}: {}", socket, curl_easy_strerror(code)));
}

}  // namespace

absl::StatusOr<std::string> SocketPathOf(std::string_view host) {
  constexpr std::string_view kScheme = "unix://";
  if (!absl::StartsWith(ToAbsl(host), ToAbsl(kScheme)) || host.size() == kScheme.size()) {
    return absl::InvalidArgumentError(
        fmt::format("docker.host must be unix:///path/to/docker.sock, not '{}'", host));
  }
  return std::string(host.substr(kScheme.size()));
}

DockerHttp::DockerHttp(std::string socket_path, std::string api_version)
    : socket_path_(std::move(socket_path)), api_version_(std::move(api_version)) {
  InitCurlOnce();
}

std::string DockerHttp::Url(const HttpRequest& request) const {
  std::string url = fmt::format("http://docker/{}{}", api_version_, request.path);
  char separator = '?';
  for (const auto& [key, value] : request.query) {
    char* escaped = curl_easy_escape(nullptr, value.data(), static_cast<int>(value.size()));
    url += fmt::format("{}{}={}", separator, key, escaped);
    curl_free(escaped);
    separator = '&';
  }
  return url;
}

CURL* DockerHttp::NewHandle(const HttpRequest& request, struct curl_slist** headers,
                            std::string* body) const {
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(easy, CURLOPT_URL, Url(request).c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, Millis(request.timeout));
  if (request.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    *body = request.json_body;
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body->c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.json_body.empty()) {
    *headers = curl_slist_append(*headers, "Content-Type: application/json");
  }
  for (const std::string& header : request.headers) {
    *headers = curl_slist_append(*headers, header.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
  return easy;
}

absl::StatusOr<HttpResponse> DockerHttp::Call(const HttpRequest& request) const {
  struct curl_slist* headers = nullptr;
  std::string body;
  CURL* easy = NewHandle(request, &headers, &body);
  HttpResponse response;
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, Millis(request.timeout));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &AppendTo);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &response.body);
  const CURLcode code = curl_easy_perform(easy);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    return TransferError(socket_path_, code);
  }
  return response;
}

absl::StatusOr<std::unique_ptr<HttpStream>> DockerHttp::Open(const HttpRequest& request) const {
  std::unique_ptr<HttpStream> stream(new HttpStream());
  stream->easy_ = NewHandle(request, &stream->headers_, &stream->request_body_);
  curl_easy_setopt(stream->easy_, CURLOPT_HEADERFUNCTION, &HttpStream::OnHeader);
  curl_easy_setopt(stream->easy_, CURLOPT_HEADERDATA, stream.get());
  curl_easy_setopt(stream->easy_, CURLOPT_WRITEFUNCTION, &HttpStream::OnBody);
  curl_easy_setopt(stream->easy_, CURLOPT_WRITEDATA, stream.get());
  curl_easy_setopt(stream->easy_, CURLOPT_SOCKOPTFUNCTION, &HttpStream::OnSocket);
  curl_easy_setopt(stream->easy_, CURLOPT_SOCKOPTDATA, stream.get());
  stream->multi_ = curl_multi_init();
  curl_multi_add_handle(stream->multi_, stream->easy_);
  if (absl::Status s = stream->WaitForHeaders(absl::Now() + request.timeout); !s.ok()) {
    return s;
  }
  if (stream->transfer_done_ && stream->result_ != CURLE_OK) {
    return TransferError(socket_path_, stream->result_);
  }
  return stream;
}

HttpStream::~HttpStream() {
  if (multi_ != nullptr) {
    curl_multi_remove_handle(multi_, easy_);
    curl_multi_cleanup(multi_);
  }
  if (easy_ != nullptr) {
    curl_easy_cleanup(easy_);
  }
  curl_slist_free_all(headers_);
}

size_t HttpStream::OnHeader(char* data, size_t size, size_t n, void* self) {
  auto* stream = static_cast<HttpStream*>(self);
  const std::string_view line(data, size * n);
  if (line == "\r\n" || line == "\n") {
    curl_easy_getinfo(stream->easy_, CURLINFO_RESPONSE_CODE, &stream->status_);
    // An informational 1xx block is followed by the real response's headers.
    stream->headers_done_ = stream->status_ >= 200;
  }
  return size * n;
}

size_t HttpStream::OnBody(char* data, size_t size, size_t n, void* self) {
  auto* stream = static_cast<HttpStream*>(self);
  if (stream->buffer_.size() > kPauseAbove) {
    stream->paused_ = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  stream->buffer_.append(data, size * n);
  return size * n;
}

absl::Status HttpStream::Pump(absl::Duration max_wait) {
  int running = 0;
  CURLMcode code = curl_multi_perform(multi_, &running);
  if (code == CURLM_OK && running > 0 && buffer_.empty() && max_wait > absl::ZeroDuration()) {
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(Millis(max_wait)), nullptr);
    code = curl_multi_perform(multi_, &running);
  }
  if (code != CURLM_OK) {
    return absl::UnavailableError(fmt::format("libcurl: {}", curl_multi_strerror(code)));
  }
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg == CURLMSG_DONE) {
      transfer_done_ = true;
      result_ = message->data.result;
      if (!headers_done_) {
        curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status_);
        headers_done_ = true;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status HttpStream::WaitForHeaders(absl::Time deadline) {
  while (!headers_done_ && !transfer_done_) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::UnavailableError("the container engine did not answer in time");
    }
    if (absl::Status s = Pump(std::min(left, absl::Milliseconds(100))); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> HttpStream::Read(absl::Duration max_wait, std::string* out) {
  const absl::Time deadline = absl::Now() + max_wait;
  while (true) {
    if (!buffer_.empty()) {
      out->append(buffer_);
      buffer_.clear();
      if (paused_) {
        paused_ = false;
        curl_easy_pause(easy_, CURLPAUSE_CONT);
      }
      return true;
    }
    if (transfer_done_) {
      if (result_ != CURLE_OK) {
        return absl::UnavailableError(
            fmt::format("the engine's stream broke: {}", curl_easy_strerror(result_)));
      }
      return false;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration() && max_wait > absl::ZeroDuration()) {
      return true;
    }
    if (absl::Status s = Pump(std::max(left, absl::ZeroDuration())); !s.ok()) {
      return s;
    }
    if (max_wait <= absl::ZeroDuration() && buffer_.empty() && !transfer_done_) {
      return true;
    }
  }
}

std::string HttpStream::ReadAll(absl::Duration timeout) {
  std::string all;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto more = Read(absl::Milliseconds(100), &all);
    if (!more.ok() || !*more) {
      break;
    }
  }
  return all;
}

// libcurl reports the socket of a transfer in progress only through this callback
// (CURLINFO_ACTIVESOCKET answers after the transfer), and each stream has a connection of its
// own (its own multi handle and so its own connection cache).
int HttpStream::OnSocket(void* self, curl_socket_t fd, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) {
    static_cast<HttpStream*>(self)->socket_ = static_cast<int>(fd);
  }
  return CURL_SOCKOPT_OK;
}

}  // namespace gofer::scheduler::docker
