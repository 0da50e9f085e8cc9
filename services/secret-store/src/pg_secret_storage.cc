#include "pg_secret_storage.h"

#include <pqxx/binarystring>
#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>

#include <nlohmann/json.hpp>

#include "absl/strings/str_replace.h"
#include "gofer/common/errors.h"
#include "gofer/pg/transaction.h"

namespace gofer::secret_store {
namespace {

// Every column of a row, timestamps as Unix microseconds.
constexpr char kColumns[] =
    "scope, namespace_id, pipeline_id, key, ciphertext, wrapped_key, key_id, namespace_patterns, "
    "(extract(epoch FROM created) * 1000000)::bigint, "
    "(extract(epoch FROM modified) * 1000000)::bigint";

// The same without the ciphertext and wrapped key (empty bytea in their place).
constexpr char kMetadataColumns[] =
    "scope, namespace_id, pipeline_id, key, ''::bytea, ''::bytea, key_id, namespace_patterns, "
    "(extract(epoch FROM created) * 1000000)::bigint, "
    "(extract(epoch FROM modified) * 1000000)::bigint";

constexpr char kWherePk[] =
    " WHERE scope = $1 AND namespace_id = $2 AND pipeline_id = $3 AND key = $4";

// The maximum attempts of Put's insert-or-update against concurrent deletes.
constexpr int kPutAttempts = 3;

std::string Scope(const SecretRef& ref) { return std::string(ScopeName(ref.scope)); }

SecretScope ParseScope(std::string_view name) {
  return name == "global" ? SecretScope::kGlobal : SecretScope::kPipeline;
}

// A timestamptz literal with microseconds, exact both ways.
std::string Timestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t, absl::UTCTimeZone());
}

// A text[] literal: every element quoted, with '"' and '\' escaped.
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "\"" : ",\"";
    out += absl::StrReplaceAll(items[i], {{"\\", "\\\\"}, {"\"", "\\\""}});
    out += "\"";
  }
  return out + "}";
}

std::vector<std::string> ParseArray(const pqxx::field& field) {
  std::vector<std::string> out;
  pqxx::array_parser parser = field.as_array();
  for (auto next = parser.get_next(); next.first != pqxx::array_parser::done;
       next = parser.get_next()) {
    if (next.first == pqxx::array_parser::string_value) {
      out.push_back(std::move(next.second));
    }
  }
  return out;
}

SecretRecord FromRow(const pqxx::row& row) {
  SecretRecord r;
  r.ref = {ParseScope(row[0].as<std::string>()), row[1].as<std::string>(), row[2].as<std::string>(),
           row[3].as<std::string>()};
  r.envelope = {pqxx::binarystring(row[4]).str(), pqxx::binarystring(row[5]).str(),
                row[6].as<std::string>()};
  r.namespace_patterns = ParseArray(row[7]);
  r.created = absl::FromUnixMicros(row[8].as<int64_t>());
  r.modified = absl::FromUnixMicros(row[9].as<int64_t>());
  return r;
}

// The audit event of a change to `ref`: names the secret, never its value.
events::Event AuditEvent(std::string kind, const SecretRef& ref, std::string_view actor,
                         nlohmann::json details) {
  details["scope"] = Scope(ref);
  details["key"] = ref.key;
  return {.kind = std::move(kind),
          .namespace_id = ref.namespace_id,
          .pipeline_id = ref.pipeline_id,
          .actor = actor.empty() ? std::string("unknown") : std::string(actor),
          .details = details.dump()};
}

// Inserts `r` unless it exists; returns whether it inserted.
bool Insert(pqxx::work& tx, const SecretRecord& r) {
  return !tx.exec_params(
                "INSERT INTO secrets (scope, namespace_id, pipeline_id, key, ciphertext, "
                "wrapped_key, key_id, namespace_patterns, created, modified) VALUES ($1, $2, $3, "
                "$4, $5, $6, $7, $8::text[], $9::timestamptz, $10::timestamptz) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                Scope(r.ref), r.ref.namespace_id, r.ref.pipeline_id, r.ref.key,
                pqxx::binarystring(r.envelope.ciphertext),
                pqxx::binarystring(r.envelope.wrapped_key), r.envelope.key_id,
                ArrayLiteral(r.namespace_patterns), Timestamp(r.created), Timestamp(r.modified))
              .empty();
}

// Replaces the existing row of `r.ref`; returns its created time, or nullopt when it is gone.
std::optional<absl::Time> Replace(pqxx::work& tx, const SecretRecord& r) {
  const pqxx::result rows = tx.exec_params(
      std::string("UPDATE secrets SET ciphertext = $5, wrapped_key = $6, key_id = $7, "
                  "namespace_patterns = $8::text[], modified = $9::timestamptz") +
          kWherePk + " RETURNING (extract(epoch FROM created) * 1000000)::bigint",
      Scope(r.ref), r.ref.namespace_id, r.ref.pipeline_id, r.ref.key,
      pqxx::binarystring(r.envelope.ciphertext), pqxx::binarystring(r.envelope.wrapped_key),
      r.envelope.key_id, ArrayLiteral(r.namespace_patterns), Timestamp(r.modified));
  if (rows.empty()) {
    return std::nullopt;
  }
  return absl::FromUnixMicros(rows[0][0].as<int64_t>());
}

std::optional<SecretRecord> Select(pqxx::work& tx, const SecretRef& ref) {
  const pqxx::result rows =
      tx.exec_params(std::string("SELECT ") + kColumns + " FROM secrets" + kWherePk, Scope(ref),
                     ref.namespace_id, ref.pipeline_id, ref.key);
  if (rows.empty()) {
    return std::nullopt;
  }
  return FromRow(rows[0]);
}

}  // namespace

PgSecretStorage::PgSecretStorage(pg::Pool& pool, std::string events_schema)
    : pool_(pool), outbox_(std::move(events_schema)) {}

absl::StatusOr<PutOutcome> PgSecretStorage::Put(const SecretRecord& record, bool force,
                                                std::string_view actor) {
  return pg::TransactValue<PutOutcome>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<PutOutcome> {
    PutOutcome outcome{record, true};
    // Insert, else replace: a row deleted between the two is inserted on the next round.
    for (int attempt = 0;; ++attempt) {
      if (Insert(tx, record)) {
        break;
      }
      if (!force) {
        return SecretExistsError(record.ref);
      }
      if (std::optional<absl::Time> created = Replace(tx, record)) {
        outcome = {record, false};
        outcome.record.created = *created;
        break;
      }
      if (attempt + 1 >= kPutAttempts) {
        return WithErrorInfo(absl::AbortedError("the secret changed concurrently; retry"),
                             ErrorReason::kConflict);
      }
    }
    outbox_.Append(tx, AuditEvent("secret.put", record.ref, actor,
                                  {{"created", outcome.created},
                                   {"namespace_patterns", record.namespace_patterns},
                                   {"key_id", record.envelope.key_id}}));
    return outcome;
  });
}

absl::StatusOr<SecretRecord> PgSecretStorage::Get(const SecretRef& ref) {
  auto select = [&](pqxx::work& tx) -> absl::StatusOr<SecretRecord> {
    std::optional<SecretRecord> record = Select(tx, ref);
    if (!record.has_value()) {
      return SecretNotFoundError(ref);
    }
    return *std::move(record);
  };
  return pg::TransactValue<SecretRecord>(pool_, select, {.read_only = true});
}

absl::StatusOr<std::vector<std::optional<SecretRecord>>> PgSecretStorage::GetMany(
    const std::vector<SecretRef>& refs) {
  using Records = std::vector<std::optional<SecretRecord>>;
  // One snapshot for all the reads (refs are few: a task's secret references).
  return pg::TransactValue<Records>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<Records> {
        Records out;
        out.reserve(refs.size());
        for (const SecretRef& ref : refs) {
          out.push_back(Select(tx, ref));
        }
        return out;
      },
      {.isolation = pg::Isolation::kRepeatableRead, .read_only = true});
}

absl::StatusOr<std::vector<SecretRecord>> PgSecretStorage::List(SecretScope scope,
                                                                std::string_view namespace_id,
                                                                std::string_view pipeline_id,
                                                                std::string_view after_key,
                                                                int limit) {
  using Records = std::vector<SecretRecord>;
  return pg::TransactValue<Records>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<Records> {
        const pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kMetadataColumns +
                " FROM secrets WHERE scope = $1 AND namespace_id = $2 AND pipeline_id = $3"
                " AND key > $4 ORDER BY key LIMIT $5",
            std::string(ScopeName(scope)), std::string(namespace_id), std::string(pipeline_id),
            std::string(after_key), limit);
        Records out;
        for (const auto& row : rows) {
          out.push_back(FromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::Status PgSecretStorage::Delete(const SecretRef& ref, std::string_view actor) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    const pqxx::result rows =
        tx.exec_params(std::string("DELETE FROM secrets") + kWherePk + " RETURNING 1", Scope(ref),
                       ref.namespace_id, ref.pipeline_id, ref.key);
    if (rows.empty()) {
      return SecretNotFoundError(ref);
    }
    outbox_.Append(tx, AuditEvent("secret.deleted", ref, actor, nlohmann::json::object()));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SecretRecord>> PgSecretStorage::ListNotWrappedBy(
    std::string_view key_id, const std::optional<SecretRef>& after, int limit) {
  using Records = std::vector<SecretRecord>;
  const SecretRef from = after.value_or(SecretRef{});
  return pg::TransactValue<Records>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<Records> {
        const pqxx::result rows = tx.exec_params(
            "SELECT scope, namespace_id, pipeline_id, key, ''::bytea, wrapped_key, key_id, "
            "namespace_patterns, (extract(epoch FROM created) * 1000000)::bigint, "
            "(extract(epoch FROM modified) * 1000000)::bigint FROM secrets "
            "WHERE key_id <> $1 AND ($2 OR (scope, namespace_id, pipeline_id, key) > ($3, $4, $5, "
            "$6)) ORDER BY scope, namespace_id, pipeline_id, key LIMIT $7",
            std::string(key_id), !after.has_value(), Scope(from), from.namespace_id,
            from.pipeline_id, from.key, limit);
        Records out;
        for (const auto& row : rows) {
          out.push_back(FromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<int64_t> PgSecretStorage::Rewrap(const std::vector<RewrapUpdate>& updates) {
  return pg::TransactValue<int64_t>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    int64_t applied = 0;
    for (const RewrapUpdate& u : updates) {
      const pqxx::result rows =
          tx.exec_params(std::string("UPDATE secrets SET wrapped_key = $5, key_id = $6") +
                             kWherePk + " AND wrapped_key = $7 AND key_id = $8",
                         Scope(u.ref), u.ref.namespace_id, u.ref.pipeline_id, u.ref.key,
                         pqxx::binarystring(u.new_wrapped_key), u.new_key_id,
                         pqxx::binarystring(u.old_wrapped_key), u.old_key_id);
      applied += rows.affected_rows();
    }
    return applied;
  });
}

}  // namespace gofer::secret_store
