// Master keys and AES-256-GCM envelope encryption (OpenSSL EVP).
//
// Every value is encrypted under a fresh random 32-byte data key with a random 12-byte nonce and
// the secret's canonical name as additional authenticated data (AAD), so a ciphertext copied to
// another row fails authentication. The data key is encrypted ("wrapped") under a master key
// with its own nonce and AAD "<key_id>:<canonical name>". A stored envelope is therefore
// (nonce || ciphertext || tag, nonce || wrapped data key || tag, key_id), and rotating the master
// key re-wraps only the 60-byte data keys, never the values.
//
// Keys and plaintexts never appear in messages; data keys are wiped after use.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "secret.h"

namespace gofer::secret_store {

// An AES-256 master key and its id. The key bytes are wiped when the object is destroyed.
class MasterKey {
 public:
  static constexpr size_t kSize = 32;

  // The key held by `content`: 64 hex characters or the base64 of 32 bytes, optionally
  // followed by one newline. INVALID_ARGUMENT otherwise, saying what was expected and never
  // quoting the content.
  static absl::StatusOr<MasterKey> Parse(std::string_view content);

  // Reads and parses the key file at `path`. INVALID_ARGUMENT naming the file (never its
  // content) when it cannot be read or does not hold a key.
  static absl::StatusOr<MasterKey> FromFile(const std::string& path);

  // A key with these 32 raw bytes (for tests and generated keys); aborts on another size.
  static MasterKey FromBytes(std::string bytes);

  MasterKey(const MasterKey& other) = default;
  MasterKey(MasterKey&& other) noexcept = default;
  MasterKey& operator=(const MasterKey&) = delete;
  MasterKey& operator=(MasterKey&&) = delete;
  ~MasterKey();

  // First 16 hex characters of the key's SHA-256: names the key in rows, logs and errors.
  const std::string& id() const { return id_; }

 private:
  friend class Keyring;
  explicit MasterKey(std::string bytes);

  std::string bytes_;
  std::string id_;
};

// The master keys of one replica: the primary (wraps new data keys) and previous ones (only
// unwrap, during a rotation). Immutable after construction, so thread-safe.
class Keyring {
 public:
  // A keyring whose new writes use `primary`. A previous key equal to the primary is ignored.
  Keyring(MasterKey primary, std::vector<MasterKey> previous);

  // Loads the primary key file and the previous key files. INVALID_ARGUMENT with one field
  // violation per bad file (fields "encryption.master_key_file" and
  // "encryption.previous_master_key_files[i]"), each naming the file.
  static absl::StatusOr<Keyring> FromFiles(const std::string& primary_file,
                                           const std::vector<std::string>& previous_files);

  // The id of the primary key.
  const std::string& primary_key_id() const { return primary_id_; }

  // Every key id this keyring holds, the primary first.
  std::vector<std::string> key_ids() const;

  // Encrypts `plaintext` under a fresh data key wrapped by the primary key, bound to `name`
  // (the secret's canonical name). INTERNAL only if OpenSSL fails.
  absl::StatusOr<Envelope> Seal(std::string_view plaintext, std::string_view name) const;

  // Decrypts `envelope` sealed for `name`. FAILED_PRECONDITION (reason FAILED_PRECONDITION,
  // metadata key_id) when its key id is not in this keyring; DATA_LOSS "secret <name> failed
  // authentication" when the envelope was altered, moved to another name or wrapped by another
  // key with the same id.
  absl::StatusOr<std::string> Open(const Envelope& envelope, std::string_view name) const;

  // The same envelope with its data key re-wrapped under the primary key (the ciphertext is
  // unchanged). Fails like Open when the data key cannot be unwrapped.
  absl::StatusOr<Envelope> Rewrap(const Envelope& envelope, std::string_view name) const;

 private:
  // The data key of `envelope`, unwrapped.
  absl::StatusOr<std::string> Unwrap(const Envelope& envelope, std::string_view name) const;
  // `data_key` wrapped under the primary key for `name`.
  absl::StatusOr<std::string> Wrap(std::string_view data_key, std::string_view name) const;

  std::string primary_id_;
  std::map<std::string, MasterKey> keys_;  // by id
};

}  // namespace gofer::secret_store
