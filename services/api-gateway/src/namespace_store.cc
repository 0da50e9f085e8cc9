#include "namespace_store.h"

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <fmt/format.h>

#include "gofer/common/errors.h"
#include "gofer/pg/transaction.h"

namespace gofer::api_gateway {
namespace {

constexpr char kColumns[] =
    "id, name, description, (extract(epoch FROM created) * 1000000)::bigint, "
    "(extract(epoch FROM modified) * 1000000)::bigint";

NamespaceRecord FromRow(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
          absl::FromUnixMicros(r[3].as<int64_t>()), absl::FromUnixMicros(r[4].as<int64_t>())};
}

void Event(pqxx::work& tx, const events::Outbox& outbox, const char* kind, const std::string& id,
           const std::string& actor) {
  outbox.Append(tx, {.kind = kind, .namespace_id = id, .actor = actor});
}

}  // namespace

absl::StatusOr<NamespaceRecord> NamespaceStore::Create(const NamespaceRecord& ns,
                                                       const std::string& actor) {
  return pg::TransactValue<NamespaceRecord>(
      pool_, [&](pqxx::work& tx) -> absl::StatusOr<NamespaceRecord> {
        const pqxx::result rows = tx.exec_params(
            fmt::format("INSERT INTO namespaces (id, name, description) VALUES ($1, $2, $3) "
                        "ON CONFLICT (id) DO NOTHING RETURNING {}",
                        kColumns),
            ns.id, ns.name, ns.description);
        if (rows.empty()) {
          return AlreadyExistsError("namespace", ns.id);
        }
        Event(tx, outbox_, "namespace.created", ns.id, actor);
        return FromRow(rows[0]);
      });
}

absl::StatusOr<NamespaceRecord> NamespaceStore::Get(const std::string& id) {
  return pg::TransactValue<NamespaceRecord>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<NamespaceRecord> {
        const pqxx::result rows =
            tx.exec_params(fmt::format("SELECT {} FROM namespaces WHERE id = $1", kColumns), id);
        if (rows.empty()) {
          return NotFoundError("namespace", id);
        }
        return FromRow(rows[0]);
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<NamespaceRecord>> NamespaceStore::List(const std::string& after,
                                                                  int limit) {
  return pg::TransactValue<std::vector<NamespaceRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<NamespaceRecord>> {
        std::vector<NamespaceRecord> out;
        for (const auto& row :
             tx.exec_params(fmt::format("SELECT {} FROM namespaces WHERE id COLLATE \"C\" > $1 "
                                        "ORDER BY id COLLATE \"C\" LIMIT $2",
                                        kColumns),
                            after, limit)) {
          out.push_back(FromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<std::pair<NamespaceRecord, bool>> NamespaceStore::Update(
    const std::string& id, const std::optional<std::string>& name,
    const std::optional<std::string>& description, const std::string& actor) {
  using Result = std::pair<NamespaceRecord, bool>;
  return pg::TransactValue<Result>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    const pqxx::result rows = tx.exec_params(
        fmt::format("SELECT {} FROM namespaces WHERE id = $1 FOR UPDATE", kColumns), id);
    if (rows.empty()) {
      return NotFoundError("namespace", id);
    }
    NamespaceRecord ns = FromRow(rows[0]);
    if ((!name || *name == ns.name) && (!description || *description == ns.description)) {
      return Result{ns, false};
    }
    const pqxx::row row = tx.exec_params1(
        fmt::format("UPDATE namespaces SET name = $2, description = $3, modified = now() "
                    "WHERE id = $1 RETURNING {}",
                    kColumns),
        id, name.value_or(ns.name), description.value_or(ns.description));
    Event(tx, outbox_, "namespace.updated", id, actor);
    return Result{FromRow(row), true};
  });
}

absl::Status NamespaceStore::Delete(const std::string& id, const std::string& actor) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    if (tx.exec_params("DELETE FROM namespaces WHERE id = $1 RETURNING 1", id).empty()) {
      return NotFoundError("namespace", id);
    }
    Event(tx, outbox_, "namespace.deleted", id, actor);
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> NamespaceStore::RunsPaused() {
  return pg::TransactValue<bool>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<bool> {
        return tx.exec("SELECT value = 'true' FROM system_flags WHERE key = 'runs_paused'")[0][0]
            .as<bool>();
      },
      {.read_only = true});
}

absl::StatusOr<bool> NamespaceStore::SetRunsPaused(bool paused, const std::string& actor) {
  return pg::TransactValue<bool>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<bool> {
    const pqxx::result r = tx.exec_params(
        "UPDATE system_flags SET value = $1 WHERE key = 'runs_paused' AND value <> $1 RETURNING 1",
        paused ? "true" : "false");
    if (r.empty()) {
      return false;
    }
    outbox_.Append(tx,
                   {.kind = paused ? "system.runs_paused" : "system.runs_resumed", .actor = actor});
    return true;
  });
}

absl::StatusOr<SystemCounts> NamespaceStore::Counts() {
  return pg::TransactValue<SystemCounts>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<SystemCounts> {
        const pqxx::row r = tx.exec1(fmt::format(
            "SELECT (SELECT count(*) FROM namespaces), (SELECT count(*) FROM pipelines), "
            "(SELECT count(*) FROM tokens WHERE expires IS NULL OR expires > now()), "
            "(SELECT count(*) FROM {}.events)",
            tx.quote_name(outbox_.schema())));
        return SystemCounts{r[0].as<int64_t>(), r[1].as<int64_t>(), r[2].as<int64_t>(),
                            r[3].as<int64_t>()};
      },
      {.read_only = true});
}

}  // namespace gofer::api_gateway
