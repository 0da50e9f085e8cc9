// The secret-store's behaviour, apart from gRPC and Postgres: validates requests, encrypts and
// decrypts through the Keyring, enforces force and namespace-pattern rules, resolves secrets
// for runs and rotates the master key. It sees storage only through SecretStorage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gofer/common/clock.h"
#include "gofer/common/pagination.h"
#include "keyring.h"
#include "secret.h"
#include "secret_storage.h"

namespace gofer::secret_store {

// Limits and batch sizes of a SecretManager.
struct SecretManagerOptions {
  // Largest value accepted by Put (limits.max_value_bytes).
  int64_t max_value_bytes = 64 * 1024;
  // Most secrets one Resolve may name.
  int max_resolve_secrets = 500;
  // Most namespace patterns one global secret may have.
  int max_namespace_patterns = 100;
  // Rows re-wrapped per storage transaction by RotateMasterKey.
  int rotation_batch_size = 100;
  // page_size default and cap of List.
  PageLimits page_limits;
};

// What to store: `namespace_patterns` only (and at least one) for a global secret.
struct PutSecretRequest {
  SecretRef ref;
  std::string value;
  std::vector<std::string> namespace_patterns;
  bool force = false;
};

// What Put stored.
struct PutSecretResult {
  SecretMetadata metadata;
  // False when an existing secret was replaced.
  bool created = false;
};

// What Get found.
struct GetSecretResult {
  SecretMetadata metadata;
  // Set only when the value was asked for.
  std::optional<std::string> value;
};

// One owner's secrets: PIPELINE with namespace_id and pipeline_id, GLOBAL with neither.
struct ListSecretsRequest {
  SecretScope scope = SecretScope::kUnspecified;
  std::string namespace_id;
  std::string pipeline_id;
  int32_t page_size = 0;
  std::string page_token;
};

// One page of List.
struct ListSecretsResult {
  std::vector<SecretMetadata> secrets;
  // Empty on the last page.
  std::string next_page_token;
};

// A secret named relative to the pipeline resolving it.
struct SecretName {
  SecretScope scope = SecretScope::kUnspecified;
  std::string key;
};

// The secrets a task of namespace_id/pipeline_id refers to.
struct ResolveSecretsRequest {
  std::string namespace_id;
  std::string pipeline_id;
  std::vector<SecretName> secrets;
};

// One answer of Resolve.
struct ResolvedSecret {
  SecretScope scope = SecretScope::kUnspecified;
  std::string key;
  std::string value;
};

// What RotateMasterKey did.
struct RotationResult {
  // Rows this call re-wrapped under the primary key.
  int64_t rewrapped = 0;
  std::string primary_key_id;
};

// The secret-store's use cases. Thread-safe: it holds no mutable state of its own (storage,
// keyring and clock are thread-safe).
class SecretManager {
 public:
  // `storage`, `keyring` and `clock` must outlive the manager.
  SecretManager(SecretStorage& storage, const Keyring& keyring, const Clock& clock,
                SecretManagerOptions options = {});

  // Validates `request` (INVALID_ARGUMENT listing every violation), seals the value under a
  // fresh data key and stores it. ALREADY_EXISTS when the secret exists and !force. `actor`
  // (the caller) goes into the audit event.
  absl::StatusOr<PutSecretResult> Put(const PutSecretRequest& request, std::string_view actor);

  // The secret's metadata, and its value when `include_value`. INVALID_ARGUMENT for a bad ref,
  // NOT_FOUND when it does not exist; with the value, FAILED_PRECONDITION when its master key
  // is not in the keyring and DATA_LOSS when it fails authentication.
  absl::StatusOr<GetSecretResult> Get(const SecretRef& ref, bool include_value);

  // One page of one owner's secrets (metadata only) in key order. INVALID_ARGUMENT for bad
  // owners, sizes or tokens.
  absl::StatusOr<ListSecretsResult> List(const ListSecretsRequest& request);

  // Deletes the secret. INVALID_ARGUMENT for a bad ref, NOT_FOUND when it does not exist.
  absl::Status Delete(const SecretRef& ref, std::string_view actor);

  // The values of the secrets a task of namespace_id/pipeline_id refers to, in request order.
  // PERMISSION_DENIED naming every global secret whose patterns do not match the namespace
  // (ErrorInfo metadata "keys", plus "missing_keys" for those that do not exist); otherwise
  // NOT_FOUND naming every missing secret (metadata "keys"). Decryption fails like Get.
  absl::StatusOr<std::vector<ResolvedSecret>> Resolve(const ResolveSecretsRequest& request);

  // Re-wraps every data key not under the primary master key, in batches, each row only if it
  // is unchanged since read. Idempotent. After re-wrapping all it can: FAILED_PRECONDITION
  // naming the key ids this keyring lacks (metadata "key_ids"), or DATA_LOSS naming the
  // secrets whose data keys failed authentication.
  absl::StatusOr<RotationResult> RotateMasterKey();

 private:
  // One batch of RotateMasterKey: re-wraps what it can and records what it cannot.
  absl::StatusOr<int64_t> RewrapBatch(const std::vector<SecretRecord>& batch,
                                      std::vector<std::string>* unknown_key_ids,
                                      std::vector<std::string>* corrupt);

  SecretStorage& storage_;
  const Keyring& keyring_;
  const Clock& clock_;
  const SecretManagerOptions options_;
};

}  // namespace gofer::secret_store
