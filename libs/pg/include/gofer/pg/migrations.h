// Versioned schema migrations, embedded in each binary and applied at start.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gofer/pg/pool.h"

namespace gofer::pg {

// One schema change. `sql` runs with search_path set to the target schema, so it names its
// tables unqualified. It runs inside a transaction (so no CREATE INDEX CONCURRENTLY).
struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The migrations of one component (a service, or a shared library such as events), applied
// to one schema in version order. Generated from SQL files by gofer_embed_migrations().
struct MigrationSet {
  // The default schema; ApplyMigrations may target another (tests use a fresh one per case).
  std::string schema;
  std::vector<Migration> migrations;
};

struct MigrationResult {
  // Versions this call applied (empty when another replica had applied them).
  std::vector<int> applied;
  // The newest version in the schema afterwards.
  int current_version = 0;
};

// Creates `schema` if needed and applies the set's pending migrations in one transaction
// holding an advisory lock on the schema, so replicas starting together apply each migration
// exactly once (the others wait, then find nothing to do). Records each version with a SHA-256
// checksum of its SQL. Fails with FAILED_PRECONDITION when an applied migration's SQL changed
// since, with INVALID_ARGUMENT when versions are not strictly increasing, and with the mapped
// Postgres error (nothing applied) when a migration fails. Versions in the database that this
// binary does not know (a newer replica ran) are accepted, for rolling upgrades.
absl::StatusOr<MigrationResult> ApplyMigrations(Pool& pool, const MigrationSet& set,
                                                std::string_view schema);

// SHA-256 of `sql` in lowercase hex.
std::string MigrationChecksum(std::string_view sql);

}  // namespace gofer::pg
