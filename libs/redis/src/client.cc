#include "gofer/redis/client.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gofer/common/errors.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::redis {
namespace {

Reply Convert(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        elements.push_back(Convert(r->element[i]));
      }
      return Reply::Array(std::move(elements));
    }
    default:
      return Reply::Nil();
  }
}

absl::StatusOr<Reply> TakeReply(redisReply* raw) {
  Reply reply = Convert(raw);
  freeReplyObject(raw);
  if (reply.type == Reply::Type::kError) {
    return StatusFromErrorReply(reply.str);
  }
  return reply;
}

absl::Status Unavailable(std::string message) {
  return WithErrorInfo(absl::UnavailableError(std::move(message)),
                       ErrorReason::kDependencyUnavailable);
}

}  // namespace

absl::Status ParseAddress(const std::string& address, Options* options) {
  if (address.rfind("unix:", 0) == 0) {
    if (address.size() == 5) {
      return absl::InvalidArgumentError("redis address unix: needs a path");
    }
    options->unix_socket = address.substr(5);
    return absl::OkStatus();
  }
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(ToAbsl(std::string_view(address).substr(colon + 1)), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address must be host:port or unix:/path, got \"", address, "\""));
  }
  options->host = address.substr(0, colon);
  options->port = port;
  options->unix_socket.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Options& options) {
  redisContext* ctx = options.unix_socket.empty()
                          ? redisConnectWithTimeout(options.host.c_str(), options.port,
                                                    absl::ToTimeval(options.connect_timeout))
                          : redisConnectUnixWithTimeout(options.unix_socket.c_str(),
                                                        absl::ToTimeval(options.connect_timeout));
  const std::string where = options.unix_socket.empty()
                                ? absl::StrCat(options.host, ":", options.port)
                                : options.unix_socket;
  if (ctx == nullptr) {
    return Unavailable(absl::StrCat("redis ", where, ": cannot allocate a connection"));
  }
  if (ctx->err != 0) {
    std::string message = absl::StrCat("redis ", where, ": ", ctx->errstr);
    redisFree(ctx);
    return Unavailable(std::move(message));
  }
  redisSetTimeout(ctx, absl::ToTimeval(options.command_timeout));
  if (options.unix_socket.empty()) {
    redisEnableKeepAlive(ctx);
  }
  std::unique_ptr<Connection> conn(new Connection(ctx));
  if (!options.password.empty()) {
    if (auto r = conn->Command({"AUTH", options.password}); !r.ok()) {
      return r.status();
    }
  }
  if (options.db != 0) {
    if (auto r = conn->Command({"SELECT", absl::StrCat(options.db)}); !r.ok()) {
      return r.status();
    }
  }
  return conn;
}

Connection::~Connection() { redisFree(ctx_); }

absl::Status Connection::IoError(const char* what) {
  broken_ = true;
  return Unavailable(
      absl::StrCat("redis ", what, ": ", ctx_->err != 0 ? ctx_->errstr : "connection lost"));
}

absl::StatusOr<Reply> Connection::Command(const std::vector<std::string>& argv) {
  if (broken_) {
    return Unavailable("redis: connection is broken");
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data());
  if (raw == nullptr) {
    return IoError(argv.empty() ? "command" : argv[0].c_str());
  }
  return TakeReply(static_cast<redisReply*>(raw));
}

absl::StatusOr<std::vector<absl::StatusOr<Reply>>> Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (broken_) {
    return Unavailable("redis: connection is broken");
  }
  for (const auto& argv : commands) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data()) !=
        REDIS_OK) {
      return IoError("pipeline");
    }
  }
  std::vector<absl::StatusOr<Reply>> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      return IoError("pipeline");
    }
    replies.push_back(TakeReply(static_cast<redisReply*>(raw)));
  }
  return replies;
}

bool Connection::PeerClosed() const {
  if (broken_) {
    return true;
  }
  char byte;
  const ssize_t n = recv(ctx_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) {
    return true;  // orderly shutdown by the server
  }
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
}

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(Options options) {
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis pool size must be >= 1, got ", options.pool_size));
  }
  if (options.unix_socket.empty() && (options.host.empty() || options.port <= 0)) {
    return absl::InvalidArgumentError("redis host and port are required");
  }
  return std::unique_ptr<Pool>(new Pool(std::move(options)));
}

Pool::~Pool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

int64_t Pool::connects() const {
  absl::MutexLock lock(&mu_);
  return connects_;
}

absl::StatusOr<std::unique_ptr<Connection>> Pool::Acquire() {
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.pool_size;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline)) {
      return WithErrorInfo(absl::ResourceExhaustedError(absl::StrCat(
                               "all ", options_.pool_size, " redis connections stayed busy")),
                           ErrorReason::kOverloaded);
    }
    while (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->PeerClosed()) {
        return conn;
      }
      --open_;  // Closed by the server while idle: drop it and look further.
    }
    ++open_;
  }
  auto conn = Connection::Open(options_);
  absl::MutexLock lock(&mu_);
  if (conn.ok()) {
    ++connects_;
  } else {
    --open_;
  }
  return conn;
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  absl::MutexLock lock(&mu_);
  if (conn->broken()) {
    --open_;
    return;
  }
  idle_.push_back(std::move(conn));
}

absl::StatusOr<Reply> Pool::Command(const std::vector<std::string>& argv) {
  auto conn = Acquire();
  if (!conn.ok()) {
    return conn.status();
  }
  absl::StatusOr<Reply> reply = (*conn)->Command(argv);
  Release(*std::move(conn));
  return reply;
}

absl::StatusOr<std::vector<absl::StatusOr<Reply>>> Pool::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  auto conn = Acquire();
  if (!conn.ok()) {
    return conn.status();
  }
  auto replies = (*conn)->Pipeline(commands);
  Release(*std::move(conn));
  return replies;
}

}  // namespace gofer::redis
