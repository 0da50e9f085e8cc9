// SecretStorage in Postgres: the `secrets` table of migrations/0001_secrets.sql, with each
// change's audit event appended to the events outbox in the same transaction.
#pragma once

#include <string>

#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"
#include "secret_storage.h"

namespace gofer::secret_store {

// Thread-safe (each call runs its own transaction on a pooled connection).
class PgSecretStorage final : public SecretStorage {
 public:
  // `pool`'s search_path is the secrets schema (it must outlive the storage); events go to the
  // outbox in `events_schema`. Postgres failures come back as pg::StatusFromException maps them.
  PgSecretStorage(pg::Pool& pool, std::string events_schema);

  absl::StatusOr<PutOutcome> Put(const SecretRecord& record, bool force,
                                 std::string_view actor) override;
  absl::StatusOr<SecretRecord> Get(const SecretRef& ref) override;
  absl::StatusOr<std::vector<std::optional<SecretRecord>>> GetMany(
      const std::vector<SecretRef>& refs) override;
  absl::StatusOr<std::vector<SecretRecord>> List(SecretScope scope, std::string_view namespace_id,
                                                 std::string_view pipeline_id,
                                                 std::string_view after_key, int limit) override;
  absl::Status Delete(const SecretRef& ref, std::string_view actor) override;
  absl::StatusOr<std::vector<SecretRecord>> ListNotWrappedBy(std::string_view key_id,
                                                             const std::optional<SecretRef>& after,
                                                             int limit) override;
  absl::StatusOr<int64_t> Rewrap(const std::vector<RewrapUpdate>& updates) override;

 private:
  pg::Pool& pool_;
  events::Outbox outbox_;
};

}  // namespace gofer::secret_store
