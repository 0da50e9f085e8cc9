#include "gofer/events/outbox.h"

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gofer/common/errors.h"
#include "gofer/pg/transaction.h"
#include "nlohmann/json.hpp"

namespace gofer::events {
namespace {

std::string QuoteIdentifier(const std::string& name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}

constexpr char kColumns[] =
    "id, tx::text, kind, namespace_id, pipeline_id, run_id, task_id, actor, details::text, "
    "(extract(epoch FROM emitted_at) * 1000000)::bigint";

Event FromRow(const pqxx::row& row, Cursor* cursor) {
  Event e;
  e.id = row[0].as<int64_t>();
  uint64_t tx = 0;
  (void)absl::SimpleAtoi(row[1].as<std::string>(), &tx);
  e.kind = row[2].as<std::string>();
  e.namespace_id = row[3].as<std::string>();
  e.pipeline_id = row[4].as<std::string>();
  e.run_id = row[5].as<int64_t>();
  e.task_id = row[6].as<std::string>();
  e.actor = row[7].as<std::string>();
  e.details = row[8].as<std::string>();
  e.emitted_at = absl::FromUnixMicros(row[9].as<int64_t>());
  *cursor = {tx, e.id};
  return e;
}

}  // namespace

Outbox::Outbox(std::string schema)
    : schema_(std::move(schema)), table_(absl::StrCat(QuoteIdentifier(schema_), ".events")) {}

int64_t Outbox::Append(pqxx::work& tx, const Event& event) const {
  const pqxx::row row = tx.exec_params1(
      absl::StrCat("INSERT INTO ", table_,
                   " (kind, namespace_id, pipeline_id, run_id, task_id, actor, details) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id"),
      event.kind, event.namespace_id, event.pipeline_id, event.run_id, event.task_id, event.actor,
      event.details.empty() ? std::string("{}") : event.details);
  tx.exec_params("SELECT pg_notify($1, '')", std::string(kChannel));
  return row[0].as<int64_t>();
}

void Outbox::AppendAll(pqxx::work& tx, const std::vector<Event>& events) const {
  if (events.empty()) {
    return;
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const Event& e : events) {
    rows.push_back({{"kind", e.kind},
                    {"namespace_id", e.namespace_id},
                    {"pipeline_id", e.pipeline_id},
                    {"run_id", e.run_id},
                    {"task_id", e.task_id},
                    {"actor", e.actor},
                    {"details", nlohmann::json::parse(e.details.empty() ? "{}" : e.details)}});
  }
  tx.exec_params(
      absl::StrCat(
          "WITH ins AS (INSERT INTO ", table_,
          " (kind, namespace_id, pipeline_id, run_id, task_id, actor, details) "
          "SELECT e.kind, e.namespace_id, e.pipeline_id, e.run_id, e.task_id, e.actor, e.details "
          "FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (kind text, namespace_id text, "
          "pipeline_id text, run_id bigint, task_id text, actor text, details jsonb)) "
          "WITH ORDINALITY AS e(kind, namespace_id, pipeline_id, run_id, task_id, actor, details, "
          "ord) "
          "ORDER BY e.ord RETURNING 1) "
          "SELECT pg_notify($2, '') WHERE EXISTS (SELECT 1 FROM ins)"),
      rows.dump(), std::string(kChannel));
}

absl::StatusOr<Page> Outbox::Read(pg::Pool& pool, Cursor after, const Filter& filter,
                                  int limit) const {
  Page page;
  page.next = after;
  absl::Status status = pg::Transact(
      pool,
      [&](pqxx::work& tx) -> absl::Status {
        page.events.clear();
        page.next = after;
        const pqxx::result rows = tx.exec_params(
            absl::StrCat(
                "SELECT ", kColumns, " FROM ", table_,
                " WHERE (tx, id) > ($1::text::xid8, $2)"
                "   AND tx < pg_snapshot_xmin(pg_current_snapshot())"
                "   AND ($3 = '' OR namespace_id = $3) AND ($4 = '' OR pipeline_id = $4)"
                "   AND ($5::bigint = 0 OR run_id = $5::bigint)"
                "   AND ($6 = '' OR kind = $6 OR (right($6, 1) = '.' AND starts_with(kind, $6)))"
                " ORDER BY tx, id LIMIT $7"),
            absl::StrCat(after.tx), after.id, filter.namespace_id, filter.pipeline_id,
            filter.run_id, filter.kind, limit);
        for (const auto& row : rows) {
          page.events.push_back(FromRow(row, &page.next));
        }
        return absl::OkStatus();
      },
      {.read_only = true});
  if (!status.ok()) {
    return status;
  }
  return page;
}

absl::StatusOr<Cursor> Outbox::Head(pg::Pool& pool) const {
  return pg::TransactValue<Cursor>(
      pool,
      [&](pqxx::work& tx) -> absl::StatusOr<Cursor> {
        const pqxx::result rows =
            tx.exec(absl::StrCat("SELECT tx::text, id FROM ", table_,
                                 " WHERE tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx "
                                 "DESC, id DESC LIMIT 1"));
        Cursor cursor;
        if (!rows.empty()) {
          (void)absl::SimpleAtoi(rows[0][0].as<std::string>(), &cursor.tx);
          cursor.id = rows[0][1].as<int64_t>();
        }
        return cursor;
      },
      {.read_only = true});
}

absl::StatusOr<Cursor> Outbox::CursorOf(pg::Pool& pool, int64_t id) const {
  return pg::TransactValue<Cursor>(
      pool,
      [&](pqxx::work& tx) -> absl::StatusOr<Cursor> {
        const pqxx::result rows =
            tx.exec_params(absl::StrCat("SELECT tx::text FROM ", table_, " WHERE id = $1"), id);
        if (rows.empty()) {
          return NotFoundError("event", absl::StrCat(id));
        }
        Cursor cursor{0, id};
        (void)absl::SimpleAtoi(rows[0][0].as<std::string>(), &cursor.tx);
        return cursor;
      },
      {.read_only = true});
}

absl::StatusOr<int64_t> Outbox::PruneBefore(pg::Pool& pool, absl::Time cutoff) const {
  return pg::TransactValue<int64_t>(pool, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    const pqxx::result r = tx.exec_params(
        absl::StrCat("DELETE FROM ", table_,
                     " WHERE emitted_at < to_timestamp($1::double precision / 1000000)"),
        absl::ToUnixMicros(cutoff));
    return static_cast<int64_t>(r.affected_rows());
  });
}

}  // namespace gofer::events
