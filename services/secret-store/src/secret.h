// The secret-store's domain types: how a secret is named, what is stored about it (encrypted),
// and the rules for names and namespace patterns. No proto or pqxx types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace gofer::secret_store {

// Who a secret belongs to. kUnspecified is never valid in a request.
enum class SecretScope { kUnspecified, kPipeline, kGlobal };

// "pipeline", "global" or "unspecified" (as stored in Postgres and shown in messages).
std::string_view ScopeName(SecretScope scope);

// Names one secret. A global secret has empty namespace_id and pipeline_id.
struct SecretRef {
  SecretScope scope = SecretScope::kUnspecified;
  std::string namespace_id;
  std::string pipeline_id;
  std::string key;

  friend bool operator==(const SecretRef&, const SecretRef&) = default;
  // Orders by (scope name, namespace_id, pipeline_id, key) bytewise: the order storages scan in.
  friend bool operator<(const SecretRef& a, const SecretRef& b);
};

// The pipeline secret `key` of namespace_id/pipeline_id.
SecretRef PipelineRef(std::string namespace_id, std::string pipeline_id, std::string key);
// The global secret `key`.
SecretRef GlobalRef(std::string key);

// The canonical text of `ref`: "pipeline/<ns>/<pipeline>/<key>" or "global/<key>". It is the
// additional authenticated data of the value's encryption (so a ciphertext moved to another row
// fails authentication) and how messages name the secret.
std::string CanonicalName(const SecretRef& ref);

// A value sealed by envelope encryption (see keyring.h). Holds no plaintext.
struct Envelope {
  // nonce (12) || AES-256-GCM ciphertext of the value under the data key || tag (16).
  std::string ciphertext;
  // nonce (12) || the data key encrypted under the master key || tag (16).
  std::string wrapped_key;
  // Which master key wrapped the data key.
  std::string key_id;

  friend bool operator==(const Envelope&, const Envelope&) = default;
};

// Everything a storage holds about one secret: encrypted records only.
struct SecretRecord {
  SecretRef ref;
  // Global secrets: globs over namespace ids allowed to use it.
  std::vector<std::string> namespace_patterns;
  Envelope envelope;
  absl::Time created;
  absl::Time modified;
};

// A secret's metadata as clients see it (no value, no ciphertext).
struct SecretMetadata {
  SecretRef ref;
  std::vector<std::string> namespace_patterns;
  absl::Time created;
  absl::Time modified;
  std::string key_id;
};

// The metadata part of `record`.
SecretMetadata MetadataOf(const SecretRecord& record);

// NOT_FOUND naming `ref` ("pipeline secret 'k' not found in namespace 'ns', pipeline 'p'" or
// "global secret 'k' not found"), reason RESOURCE_NOT_FOUND. Every storage returns this.
absl::Status SecretNotFoundError(const SecretRef& ref);

// ALREADY_EXISTS naming `ref` and telling how to replace it, reason RESOURCE_EXISTS with
// metadata resource, id (the key), namespace_id and pipeline_id for pipeline secrets.
absl::Status SecretExistsError(const SecretRef& ref);

// Why `pattern` is not a valid namespace pattern (1–64 of [a-z0-9-*?]), or nullopt.
std::optional<std::string> NamespacePatternViolation(std::string_view pattern);

// Whether `namespace_id` matches the glob `pattern` ('*' any run of characters, '?' one).
bool MatchesNamespacePattern(std::string_view pattern, std::string_view namespace_id);

// Whether any of `patterns` matches `namespace_id`.
bool NamespaceAllowed(const std::vector<std::string>& patterns, std::string_view namespace_id);

}  // namespace gofer::secret_store
