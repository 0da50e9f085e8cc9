#include "gofer/pg/transaction.h"

#include <pqxx/except>

#include <random>
#include <thread>

#include "gofer/pg/errors.h"

namespace gofer::pg {
namespace {

thread_local int last_attempts = 0;

const char* IsolationStatement(Isolation isolation, bool read_only) {
  switch (isolation) {
    case Isolation::kReadCommitted:
      return read_only ? "SET TRANSACTION ISOLATION LEVEL READ COMMITTED READ ONLY" : nullptr;
    case Isolation::kRepeatableRead:
      return read_only ? "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"
                       : "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kSerializable:
      return read_only ? "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE READ ONLY"
                       : "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE";
  }
  return nullptr;
}

void Backoff(const TransactOptions& options, int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  absl::Duration cap = options.base_backoff * (int64_t{1} << std::min(attempt, 20));
  cap = std::min(cap, options.max_backoff);
  std::uniform_int_distribution<int64_t> dist(0, absl::ToInt64Microseconds(cap));
  std::this_thread::sleep_for(std::chrono::microseconds(dist(rng)));
}

enum class Outcome { kDone, kRetry };

// One attempt. Sets `*status`; says whether another attempt may help.
Outcome Attempt(Pool& pool, const TransactionBody& body, const TransactOptions& options,
                absl::Status* status) {
  absl::StatusOr<Connection> conn =
      options.deadline == absl::InfinitePast() ? pool.Acquire() : pool.Acquire(options.deadline);
  if (!conn.ok()) {
    *status = conn.status();
    return Outcome::kDone;
  }
  bool committing = false;
  try {
    pqxx::work tx(conn->get());
    if (const char* set = IsolationStatement(options.isolation, options.read_only)) {
      tx.exec(set);
    }
    *status = body(tx);
    if (!status->ok()) {
      tx.abort();
      return Outcome::kDone;
    }
    committing = true;
    tx.commit();
    return Outcome::kDone;
  } catch (const pqxx::in_doubt_error&) {
    conn->MarkBroken();
    *status = StatusFromCurrentException();
    return Outcome::kDone;
  } catch (const pqxx::broken_connection&) {
    conn->MarkBroken();
    *status = StatusFromCurrentException();
    return committing ? Outcome::kDone : Outcome::kRetry;
  } catch (const pqxx::serialization_failure&) {
    *status = StatusFromCurrentException();
    return Outcome::kRetry;
  } catch (const pqxx::deadlock_detected&) {
    *status = StatusFromCurrentException();
    return Outcome::kRetry;
  } catch (...) {
    *status = StatusFromCurrentException();
    if (absl::IsUnavailable(*status)) {
      conn->MarkBroken();
      return committing ? Outcome::kDone : Outcome::kRetry;
    }
    return absl::IsAborted(*status) ? Outcome::kRetry : Outcome::kDone;
  }
}

}  // namespace

absl::Status Transact(Pool& pool, const TransactionBody& body, const TransactOptions& options) {
  absl::Status status;
  const int max_attempts = std::max(1, options.max_attempts);
  for (int attempt = 1;; ++attempt) {
    last_attempts = attempt;
    if (Attempt(pool, body, options, &status) == Outcome::kDone || attempt >= max_attempts) {
      return status;
    }
    if (options.deadline != absl::InfinitePast() && absl::Now() >= options.deadline) {
      return status;
    }
    Backoff(options, attempt);
  }
}

int LastTransactAttempts() { return last_attempts; }

absl::Status ReadStatement(Pool& pool, const StatementBody& body) {
  absl::Status status;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    absl::StatusOr<Connection> conn = pool.Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    try {
      pqxx::nontransaction tx(conn->get());
      return body(tx);
    } catch (const pqxx::broken_connection&) {
      conn->MarkBroken();
      status = StatusFromCurrentException();
    } catch (...) {
      status = StatusFromCurrentException();
      if (!absl::IsUnavailable(status)) {
        return status;
      }
      conn->MarkBroken();
    }
  }
  return status;
}

}  // namespace gofer::pg
