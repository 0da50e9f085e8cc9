#include "gofer/pg/migrations.h"

#include <openssl/sha.h>

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gofer/common/errors.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/pg/transaction.h"

namespace gofer::pg {

std::string MigrationChecksum(std::string_view sql) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(sql.data()), sql.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<MigrationResult> ApplyMigrations(Pool& pool, const MigrationSet& set,
                                                std::string_view schema) {
  for (size_t i = 1; i < set.migrations.size(); ++i) {
    if (set.migrations[i].version <= set.migrations[i - 1].version) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migrations of ", set.schema, " are not in strictly increasing version order"));
    }
  }
  const std::string schema_name(schema);
  MigrationResult result;
  absl::Status status = Transact(pool, [&](pqxx::work& tx) -> absl::Status {
    result = MigrationResult{};
    const std::string quoted = tx.quote_name(schema_name);
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('gofer.migrations:' || $1)::bigint)",
                   schema_name);
    tx.exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", quoted));
    tx.exec(absl::StrCat("CREATE TABLE IF NOT EXISTS ", quoted,
                         ".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                         "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"));
    std::map<int, std::string> applied;
    for (const auto& row : tx.exec(absl::StrCat("SELECT version, checksum FROM ", quoted,
                                                ".schema_migrations ORDER BY version"))) {
      applied[row[0].as<int>()] = row[1].as<std::string>();
      result.current_version = row[0].as<int>();
    }
    for (const Migration& m : set.migrations) {
      const std::string checksum = MigrationChecksum(m.sql);
      if (auto it = applied.find(m.version); it != applied.end()) {
        if (it->second != checksum) {
          return WithErrorInfo(
              absl::FailedPreconditionError(
                  absl::StrCat("migration ", m.version, " (", m.name, ") of schema ", schema_name,
                               " was changed after it was applied; add a new migration instead")),
              ErrorReason::kFailedPrecondition);
        }
        continue;
      }
      tx.exec(absl::StrCat("SET LOCAL search_path TO ", quoted));
      tx.exec(m.sql);
      tx.exec_params(
          absl::StrCat("INSERT INTO ", quoted,
                       ".schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"),
          m.version, m.name, checksum);
      result.applied.push_back(m.version);
      result.current_version = std::max(result.current_version, m.version);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return status;
  }
  return result;
}

}  // namespace gofer::pg
