#include "gofer/pg/listener.h"

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/notification>

#include "gofer/common/errors.h"
#include "gofer/pg/errors.h"

namespace gofer::pg {
namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& channel, int* count)
      : pqxx::notification_receiver(conn, channel), count_(count) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override { ++*count_; }

 private:
  int* count_;
};

}  // namespace

struct Listener::State {
  std::string dsn;
  std::string channel;
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;
  int count = 0;

  absl::Status Connect() {
    receiver.reset();
    conn.reset();
    try {
      conn = std::make_unique<pqxx::connection>(dsn);
      receiver = std::make_unique<Receiver>(*conn, channel, &count);
      conn->get_notifs();  // Issues the LISTEN now rather than on the first wait.
      return absl::OkStatus();
    } catch (...) {
      receiver.reset();
      conn.reset();
      absl::Status s = StatusFromCurrentException();
      return absl::IsUnavailable(s) ? s : absl::UnavailableError(s.message());
    }
  }
};

Listener::Listener(std::unique_ptr<State> state) : state_(std::move(state)) {}

Listener::~Listener() {
  if (state_ != nullptr) {
    state_->receiver.reset();
  }
}

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(std::string dsn, std::string channel) {
  auto state = std::make_unique<State>();
  state->dsn = std::move(dsn);
  state->channel = std::move(channel);
  if (absl::Status s = state->Connect(); !s.ok()) {
    return s;
  }
  return std::unique_ptr<Listener>(new Listener(std::move(state)));
}

absl::StatusOr<bool> Listener::Wait(absl::Duration timeout) {
  if (state_->conn == nullptr || !state_->conn->is_open()) {
    if (absl::Status s = state_->Connect(); !s.ok()) {
      return s;
    }
    return true;  // Anything may have been missed while disconnected.
  }
  state_->count = 0;
  try {
    const int64_t us = std::max<int64_t>(0, absl::ToInt64Microseconds(timeout));
    state_->conn->await_notification(us / 1000000, us % 1000000);
    if (state_->count == 0) {
      state_->conn->get_notifs();
    }
  } catch (...) {
    state_->receiver.reset();
    state_->conn.reset();
    absl::Status s = state_->Connect();
    if (!s.ok()) {
      return s;
    }
    return true;
  }
  return state_->count > 0;
}

absl::Status Notify(const std::string& dsn, const std::string& channel,
                    const std::string& payload) {
  try {
    pqxx::connection conn(dsn);
    pqxx::nontransaction tx(conn);
    tx.exec_params("SELECT pg_notify($1, $2)", channel, payload);
    return absl::OkStatus();
  } catch (...) {
    return StatusFromCurrentException();
  }
}

}  // namespace gofer::pg
