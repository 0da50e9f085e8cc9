// A bounded pool of libpqxx connections.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gofer::pg {

struct PoolOptions {
  // libpq connection string or URI ("postgresql://user@127.0.0.1:5432/gofer").
  std::string dsn;
  // Most connections open at once.
  int size = 8;
  // How long Acquire waits for a free connection when none is given a deadline.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // search_path of every connection (for example "runqueue"); empty keeps the server default.
  std::string search_path;
  // Server-side statement_timeout of every connection; zero disables it.
  absl::Duration statement_timeout = absl::Seconds(30);
  // application_name shown in pg_stat_activity.
  std::string application_name = "gofer";
  // Run on every new connection after the settings above (for example to prepare statements).
  // May throw pqxx exceptions; the connection is then discarded and Acquire fails.
  std::function<void(pqxx::connection&)> on_connect;
};

class Pool;

// Exclusive use of one pooled connection; returns it to the pool when destroyed.
class Connection {
 public:
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  ~Connection();

  pqxx::connection& get() { return *conn_; }
  pqxx::connection* operator->() { return conn_.get(); }

  // Drops the connection instead of reusing it (after a broken_connection).
  void MarkBroken() { broken_ = true; }

 private:
  friend class Pool;
  Connection(Pool* pool, std::unique_ptr<pqxx::connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}

  Pool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  bool broken_ = false;
};

// Hands out connections, opening them lazily up to `size`. Broken connections are dropped and
// replaced on a later Acquire, so the pool recovers by itself after Postgres restarts.
// Thread-safe. Connections must be returned before the pool is destroyed.
class Pool {
 public:
  // Validates the options; does not connect (a service may start before Postgres does).
  static absl::StatusOr<std::unique_ptr<Pool>> Create(PoolOptions options);

  ~Pool();

  // A connection, waiting for one until `deadline`. Fails with UNAVAILABLE when Postgres cannot
  // be reached and RESOURCE_EXHAUSTED when every connection stayed busy until the deadline.
  absl::StatusOr<Connection> Acquire(absl::Time deadline);
  absl::StatusOr<Connection> Acquire() { return Acquire(absl::Now() + options_.acquire_timeout); }

  const PoolOptions& options() const { return options_; }

  // Connections open now (idle or in use).
  int open_connections() const;

 private:
  friend class Connection;
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}

  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Open();

  const PoolOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gofer::pg
