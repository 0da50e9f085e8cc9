// The transactional outbox: every state change appends its event in the same transaction, so
// an event exists if and only if its change committed. Readers follow the log in a gap-free
// order and are woken by NOTIFY.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/transaction>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/pg/migrations.h"
#include "gofer/pg/pool.h"

namespace gofer {

// The events schema's migrations (schema "events"), applied by every service that appends.
const pg::MigrationSet& EventsMigrations();

namespace events {

// One state change.
struct Event {
  // Assigned by Append; increasing in insertion order (not commit order: see Cursor).
  int64_t id = 0;
  // Dotted kind, e.g. "pipeline.registered", "run.started", "task.completed".
  std::string kind;
  // What it is about; empty/zero when not applicable.
  std::string namespace_id;
  std::string pipeline_id;
  int64_t run_id = 0;
  std::string task_id;
  // Who caused it: "token:<name>", "run-queue:<replica>@epoch-<n>", "system".
  std::string actor;
  // A JSON object with the kind's details. Never holds secret values.
  std::string details = "{}";
  // Set by the database at append.
  absl::Time emitted_at;
};

// A position in the delivery order. Events are delivered in (transaction id, event id) order,
// and only when every older transaction has ended, so following a cursor never skips an event
// that committed late. Opaque to clients (encode it in page tokens).
struct Cursor {
  uint64_t tx = 0;
  int64_t id = 0;

  friend bool operator==(const Cursor&, const Cursor&) = default;
};

// Which events to read.
struct Filter {
  std::string namespace_id;
  std::string pipeline_id;
  int64_t run_id = 0;
  // Exact kind, or a prefix ending in '.' ("run." for every run event).
  std::string kind;
};

struct Page {
  std::vector<Event> events;
  // Where the next read continues; equal to the input cursor when nothing was read.
  Cursor next;
};

// The outbox in one schema. Stateless and thread-safe.
class Outbox {
 public:
  // The NOTIFY channel announced on every commit that appended events.
  static constexpr char kChannel[] = "gofer_events";

  explicit Outbox(std::string schema = "events");

  // Appends `event` in the caller's transaction and returns its id. Visible to readers, and
  // announced, only when `tx` commits. Throws libpqxx exceptions like any statement (call it
  // inside a pg::Transact body).
  int64_t Append(pqxx::work& tx, const Event& event) const;

  // Appends `events`, in order, in one statement (one round trip, one announcement) — for
  // transactions that record several changes. Nothing happens for an empty list.
  void AppendAll(pqxx::work& tx, const std::vector<Event>& events) const;

  // Up to `limit` stable events after `after` that match `filter`, in delivery order.
  absl::StatusOr<Page> Read(pg::Pool& pool, Cursor after, const Filter& filter, int limit) const;

  // The cursor just after the newest stable event: watching from here sees only new events.
  absl::StatusOr<Cursor> Head(pg::Pool& pool) const;

  // The cursor of event `id`, to resume after it. NOT_FOUND when it does not exist (pruned).
  absl::StatusOr<Cursor> CursorOf(pg::Pool& pool, int64_t id) const;

  // Deletes events emitted before `cutoff`; returns how many.
  absl::StatusOr<int64_t> PruneBefore(pg::Pool& pool, absl::Time cutoff) const;

  const std::string& schema() const { return schema_; }

 private:
  std::string schema_;
  std::string table_;  // quoted "schema".events
};

}  // namespace events
}  // namespace gofer
