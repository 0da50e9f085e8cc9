#include "gofer/pg/pool.h"

#include <pqxx/nontransaction>

#include "absl/strings/str_cat.h"
#include "gofer/common/errors.h"
#include "gofer/pg/errors.h"

namespace gofer::pg {

Connection::Connection(Connection&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), broken_(other.broken_) {
  other.pool_ = nullptr;
}

Connection::~Connection() {
  if (pool_ != nullptr && conn_ != nullptr) {
    pool_->Release(std::move(conn_), broken_ || !conn_->is_open());
  }
}

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(PoolOptions options) {
  if (options.dsn.empty()) {
    return absl::InvalidArgumentError("postgres dsn is empty");
  }
  if (options.size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("postgres pool size must be >= 1, got ", options.size));
  }
  return std::unique_ptr<Pool>(new Pool(std::move(options)));
}

Pool::~Pool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

int Pool::open_connections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> Pool::Open() {
  try {
    auto conn = std::make_unique<pqxx::connection>(options_.dsn);
    pqxx::nontransaction tx(*conn);
    if (!options_.search_path.empty()) {
      tx.exec(absl::StrCat("SET search_path TO ", options_.search_path));
    }
    tx.exec(absl::StrCat("SET statement_timeout = ",
                         absl::ToInt64Milliseconds(options_.statement_timeout)));
    tx.exec(absl::StrCat("SET application_name = ", tx.quote(options_.application_name)));
    tx.commit();
    if (options_.on_connect) {
      options_.on_connect(*conn);
    }
    return conn;
  } catch (...) {
    absl::Status s = StatusFromCurrentException();
    if (absl::IsInternal(s)) {
      // A connection attempt that fails is an availability problem, whatever libpq says.
      return WithErrorInfo(absl::UnavailableError(s.message()),
                           ErrorReason::kDependencyUnavailable);
    }
    return s;
  }
}

absl::StatusOr<Connection> Pool::Acquire(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    auto can_proceed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.size;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&can_proceed), deadline)) {
      return WithErrorInfo(absl::ResourceExhaustedError(absl::StrCat(
                               "all ", options_.size, " postgres connections stayed busy")),
                           ErrorReason::kOverloaded);
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Connection(this, std::move(conn));
    }
    ++open_;  // Reserve a slot, then connect without holding the lock.
  }
  auto opened = Open();
  if (!opened.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return opened.status();
  }
  return Connection(this, *std::move(opened));
}

void Pool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  absl::MutexLock lock(&mu_);
  if (broken) {
    --open_;
    return;  // conn closes as it goes out of scope
  }
  idle_.push_back(std::move(conn));
}

}  // namespace gofer::pg
