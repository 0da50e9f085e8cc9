// The in-memory fake of SecretStorage for logic and service tests. It keeps the same contract
// as PgSecretStorage (the conformance suite runs against both) and records its audit events in
// memory instead of the outbox.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "secret_storage.h"

namespace gofer::secret_store {

// An audit event the fake recorded.
struct RecordedEvent {
  std::string kind;  // "secret.put", "secret.deleted"
  SecretRef ref;
  std::string actor;
};

// A SecretStorage in a map. Thread-safe.
class InMemorySecretStorage final : public SecretStorage {
 public:
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

  // The events recorded so far, oldest first.
  std::vector<RecordedEvent> events() const;

  // Replaces the stored envelope of `ref` (tests simulate tampering and stale rows with it).
  // NOT_FOUND when it does not exist.
  absl::Status OverwriteEnvelope(const SecretRef& ref, const Envelope& envelope);

 private:
  mutable absl::Mutex mu_;
  std::map<SecretRef, SecretRecord> records_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gofer::secret_store
