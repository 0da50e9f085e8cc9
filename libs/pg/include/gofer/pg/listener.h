// LISTEN/NOTIFY on a dedicated connection: wakes a poller when something committed.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gofer::pg {

// Listens on one channel. Notifications are wake-ups, not data: after Wait returns true the
// caller re-reads what it polls (so nothing is lost when notifications are coalesced, or
// missed while the connection was down). Not thread-safe; one thread waits on it.
class Listener {
 public:
  // Connects and LISTENs on `channel`. UNAVAILABLE when Postgres cannot be reached.
  static absl::StatusOr<std::unique_ptr<Listener>> Create(std::string dsn, std::string channel);
  ~Listener();

  // Waits up to `timeout`. Returns true when a notification arrived or the connection had to
  // be re-established (either way the caller should poll), false on timeout, and UNAVAILABLE
  // when Postgres cannot be reached (the next call tries again).
  absl::StatusOr<bool> Wait(absl::Duration timeout);

 private:
  struct State;
  explicit Listener(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Sends a notification on `channel` outside any transaction (mostly for tests; in a
// transaction, use `SELECT pg_notify(channel, payload)` so it is sent on commit).
absl::Status Notify(const std::string& dsn, const std::string& channel, const std::string& payload);

}  // namespace gofer::pg
