// Running a unit of work in one Postgres transaction, with retries of conflicts.
#pragma once

#include <functional>
#include <optional>

#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/pg/pool.h"

namespace gofer::pg {

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

struct TransactOptions {
  Isolation isolation = Isolation::kReadCommitted;
  bool read_only = false;
  // Attempts in all, counting the first. Serialization failures, deadlocks and connections that
  // break before the commit is sent are retried; everything else is returned at once.
  int max_attempts = 5;
  // No attempt starts after this; zero means now + pool acquire_timeout for each attempt.
  absl::Time deadline = absl::InfinitePast();
  // Backoff before attempt n+1 is uniformly random in [0, min(max_backoff, base_backoff * 2^n)].
  absl::Duration base_backoff = absl::Milliseconds(2);
  absl::Duration max_backoff = absl::Milliseconds(100);
};

// The body of a transaction. It runs statements through `tx` and returns OK to commit or an
// error to roll back. It may run more than once, so it must not have effects outside the
// database, and it may throw pqxx exceptions (they are mapped by StatusFromException).
using TransactionBody = std::function<absl::Status(pqxx::work& tx)>;

// Runs `body` in a transaction on a connection from `pool` and commits it. Returns the body's
// error, or the mapped error of the last attempt. When the commit's outcome cannot be known
// (the connection broke during COMMIT) the result is UNAVAILABLE and nothing is retried.
absl::Status Transact(Pool& pool, const TransactionBody& body, const TransactOptions& options = {});

// Transact for a body that produces a value.
template <typename T>
absl::StatusOr<T> TransactValue(Pool& pool,
                                const std::function<absl::StatusOr<T>(pqxx::work&)>& body,
                                const TransactOptions& options = {}) {
  std::optional<T> result;
  absl::Status status = Transact(
      pool,
      [&](pqxx::work& tx) -> absl::Status {
        absl::StatusOr<T> value = body(tx);
        if (!value.ok()) {
          return value.status();
        }
        result = *std::move(value);
        return absl::OkStatus();
      },
      options);
  if (!status.ok()) {
    return status;
  }
  return *std::move(result);
}

// Attempts the last call of Transact on this thread made (for tests and metrics).
int LastTransactAttempts();

using StatementBody = std::function<absl::Status(pqxx::nontransaction& tx)>;

// Runs a body that executes exactly ONE read statement, outside any transaction (autocommit):
// one round trip instead of the four of a read-only Transact (BEGIN, SET TRANSACTION, the
// statement, COMMIT). A body running several statements would not read one snapshot: use
// Transact for those. A connection found broken is replaced and the read tried once more.
absl::Status ReadStatement(Pool& pool, const StatementBody& body);

template <typename T>
absl::StatusOr<T> ReadStatementValue(
    Pool& pool, const std::function<absl::StatusOr<T>(pqxx::nontransaction&)>& body) {
  std::optional<T> result;
  absl::Status status = ReadStatement(pool, [&](pqxx::nontransaction& tx) -> absl::Status {
    absl::StatusOr<T> value = body(tx);
    if (!value.ok()) {
      return value.status();
    }
    result = *std::move(value);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return status;
  }
  return *std::move(result);
}

}  // namespace gofer::pg
