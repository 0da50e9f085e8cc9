// Where secrets are kept: a small interface holding encrypted records only (the storage never
// sees a plaintext value or a key), so another backend (Vault KV v2) can replace Postgres.
// PgSecretStorage is the real one, InMemorySecretStorage the fake for logic tests; one
// conformance suite (test/secret_storage_conformance.h) runs against both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "secret.h"

namespace gofer::secret_store {

// What Put did.
struct PutOutcome {
  // The record as stored: on a replace, `created` is the existing secret's.
  SecretRecord record;
  // True when the secret did not exist before.
  bool created = false;
};

// One conditional re-wrap of a data key: applied only while the row still holds `old`.
struct RewrapUpdate {
  SecretRef ref;
  std::string old_wrapped_key;
  std::string old_key_id;
  std::string new_wrapped_key;
  std::string new_key_id;
};

// Stores encrypted secret records. Implementations are thread-safe. Every mutation records an
// audit event ("secret.put", "secret.deleted") naming the ref and `actor`, never the value,
// atomically with the change where the backend allows.
class SecretStorage {
 public:
  virtual ~SecretStorage() = default;

  // Stores `record` (its `created` and `modified` are the write's time). When the secret
  // exists, fails ALREADY_EXISTS (SecretExistsError) unless `force`, which replaces the value,
  // envelope, patterns and modified time and keeps `created`.
  virtual absl::StatusOr<PutOutcome> Put(const SecretRecord& record, bool force,
                                         std::string_view actor) = 0;

  // The record of `ref`; NOT_FOUND (SecretNotFoundError) when it does not exist.
  virtual absl::StatusOr<SecretRecord> Get(const SecretRef& ref) = 0;

  // The records of `refs` read at one point in time, in the same order; nullopt for each ref
  // that does not exist.
  virtual absl::StatusOr<std::vector<std::optional<SecretRecord>>> GetMany(
      const std::vector<SecretRef>& refs) = 0;

  // Up to `limit` secrets of one owner (scope, namespace_id, pipeline_id; a global scope has
  // empty ids) with keys bytewise greater than `after_key`, in key order. The records' envelopes
  // carry only the key_id (no ciphertext or wrapped key).
  virtual absl::StatusOr<std::vector<SecretRecord>> List(SecretScope scope,
                                                         std::string_view namespace_id,
                                                         std::string_view pipeline_id,
                                                         std::string_view after_key, int limit) = 0;

  // Deletes `ref`; NOT_FOUND (SecretNotFoundError) when it does not exist.
  virtual absl::Status Delete(const SecretRef& ref, std::string_view actor) = 0;

  // Up to `limit` records whose key_id differs from `key_id`, after `after` (none: from the
  // start) in SecretRef order. The envelopes carry the wrapped key and key id (no ciphertext).
  virtual absl::StatusOr<std::vector<SecretRecord>> ListNotWrappedBy(
      std::string_view key_id, const std::optional<SecretRef>& after, int limit) = 0;

  // Applies each update whose row still holds its old wrapped key and key id (rows written or
  // deleted since they were read are left alone), atomically. Returns how many were applied.
  // Re-wrapping changes no value, so it records no event and keeps `modified`.
  virtual absl::StatusOr<int64_t> Rewrap(const std::vector<RewrapUpdate>& updates) = 0;
};

}  // namespace gofer::secret_store
