// Redis connections and a pool over hiredis 0.14 (RESP2, synchronous).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gofer/redis/reply.h"

struct redisContext;

namespace gofer::redis {

struct Options {
  // TCP address; ignored when unix_socket is set.
  std::string host = "127.0.0.1";
  int port = 6379;
  // Path of a unix socket, instead of TCP.
  std::string unix_socket;
  // Logical database (SELECT) used by every connection.
  int db = 0;
  // AUTH password; empty for none. Never logged.
  std::string password;
  absl::Duration connect_timeout = absl::Seconds(1);
  // Read/write timeout of each command; a command that times out breaks its connection.
  absl::Duration command_timeout = absl::Seconds(2);
  // Most connections open at once, and how long Command waits for one.
  int pool_size = 8;
  absl::Duration acquire_timeout = absl::Seconds(2);
};

// Parses "host:port" or "unix:/path" into `options` (other fields untouched).
absl::Status ParseAddress(const std::string& address, Options* options);

// One connection (RAII over redisContext). Not thread-safe.
class Connection {
 public:
  // Connects, authenticates and selects the database. UNAVAILABLE when Redis cannot be reached.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Options& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command (binary-safe arguments) and reads its reply. An error reply becomes its
  // status (StatusFromErrorReply); an I/O error or timeout is UNAVAILABLE and breaks the
  // connection for good.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& argv);

  // Sends all commands at once, then reads every reply (error replies stay in the vector as
  // statuses). An I/O error fails the whole call with UNAVAILABLE and breaks the connection.
  absl::StatusOr<std::vector<absl::StatusOr<Reply>>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // True after an I/O error; the connection must then be discarded.
  bool broken() const { return broken_; }

  // True when the server has closed the socket (checked without blocking), for example after
  // CLIENT KILL, a timeout or a restart.
  bool PeerClosed() const;

 private:
  explicit Connection(redisContext* ctx) : ctx_(ctx) {}
  absl::Status IoError(const char* what);

  redisContext* ctx_;
  bool broken_ = false;
};

// A bounded pool. Idle connections found closed by the server on checkout are replaced
// transparently, so a dropped connection (Redis restarted, CLIENT KILL) is re-established
// without failing a command. A command whose connection breaks while it runs fails with
// UNAVAILABLE (it may or may not have run, so it is not re-sent); the next one reconnects.
// Thread-safe.
class Pool {
 public:
  // Validates the options; connects lazily.
  static absl::StatusOr<std::unique_ptr<Pool>> Create(Options options);
  ~Pool();

  absl::StatusOr<Reply> Command(const std::vector<std::string>& argv);
  absl::StatusOr<std::vector<absl::StatusOr<Reply>>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  const Options& options() const { return options_; }

  // Connections successfully opened over the pool's life (for tests and metrics).
  int64_t connects() const;

 private:
  explicit Pool(Options options) : options_(std::move(options)) {}
  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);

  const Options options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t connects_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gofer::redis
