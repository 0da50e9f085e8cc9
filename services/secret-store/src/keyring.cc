#include "keyring.h"

#include <errno.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/id_generator.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::secret_store {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kSealOverhead = kNonceSize + kTagSize;
constexpr size_t kMaxKeyFileBytes = 4096;

// A string wiped when it goes out of scope (data keys).
struct Wiped {
  std::string bytes;
  ~Wiped() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

absl::Status OpenSslError(std::string_view what) {
  return absl::InternalError(fmt::format("AES-256-GCM {} failed in OpenSSL", what));
}

// AES-256-GCM of `plaintext` under `key` with a fresh random nonce: nonce || ciphertext || tag.
absl::StatusOr<std::string> GcmSeal(std::string_view key, std::string_view plaintext,
                                    std::string_view aad) {
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out = SecureRandomBytes(kNonceSize);
  out.resize(kSealOverhead + plaintext.size());
  int len = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(out)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), Bytes(out) + kNonceSize, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), Bytes(out) + kNonceSize + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          Bytes(out) + kNonceSize + plaintext.size()) != 1) {
    return OpenSslError("encryption");
  }
  return out;
}

// The inverse of GcmSeal. DATA_LOSS (with no detail) when `sealed` is malformed or fails
// authentication under `key` and `aad`.
absl::StatusOr<std::string> GcmOpen(std::string_view key, std::string_view sealed,
                                    std::string_view aad) {
  if (sealed.size() < kSealOverhead) {
    return absl::DataLossError("truncated");
  }
  const size_t size = sealed.size() - kSealOverhead;
  std::string tag(sealed.substr(kNonceSize + size));
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(size, '\0');
  int len = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(sealed)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), Bytes(out), &len, Bytes(sealed) + kNonceSize,
                        static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, Bytes(tag)) != 1) {
    return OpenSslError("decryption");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), Bytes(out) + len, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::DataLossError("authentication failed");
  }
  return out;
}

std::string KeyId(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(Bytes(bytes), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool IsBase64(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
      return false;
    }
  }
  return true;
}

// The AAD of a wrapped data key: binds it to its master key id and its secret.
std::string WrapAad(std::string_view key_id, std::string_view name) {
  return fmt::format("{}:{}", key_id, name);
}

absl::Status AuthenticationError(std::string_view name) {
  return WithErrorInfo(absl::DataLossError(fmt::format("secret {} failed authentication", name)),
                       ErrorReason::kInternalError, {{"secret", std::string(name)}});
}

}  // namespace

MasterKey::MasterKey(std::string bytes) : bytes_(std::move(bytes)), id_(KeyId(bytes_)) {}

MasterKey::~MasterKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

MasterKey MasterKey::FromBytes(std::string bytes) {
  if (bytes.size() != kSize) {
    std::abort();  // A programming error: callers pass generated 32-byte keys.
  }
  return MasterKey(std::move(bytes));
}

absl::StatusOr<MasterKey> MasterKey::Parse(std::string_view content) {
  if (content.size() >= 1 && content.back() == '\n') {
    content.remove_suffix(1);
    if (!content.empty() && content.back() == '\r') {
      content.remove_suffix(1);
    }
  }
  Wiped raw;
  if (content.size() == 2 * kSize && IsHex(content)) {
    raw.bytes = absl::HexStringToBytes(ToAbsl(content));
  } else if (IsBase64(content) && absl::Base64Unescape(ToAbsl(content), &raw.bytes) &&
             raw.bytes.size() == kSize) {
    // base64 of 32 bytes.
  } else {
    return absl::InvalidArgumentError(fmt::format(
        "must hold a 32-byte key as 64 hex characters or as base64 (optionally followed by a "
        "newline), but holds {} bytes that are neither; generate one with `openssl rand -hex 32`",
        content.size()));
  }
  return MasterKey(raw.bytes);
}

absl::StatusOr<MasterKey> MasterKey::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        fmt::format("master key file {}: cannot read it: {}", path, strerror(errno)));
  }
  Wiped content;
  content.bytes.resize(kMaxKeyFileBytes + 1);
  in.read(content.bytes.data(), static_cast<std::streamsize>(content.bytes.size()));
  content.bytes.resize(static_cast<size_t>(in.gcount()));
  if (content.bytes.size() > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(
        fmt::format("master key file {}: is too large to hold a key", path));
  }
  auto key = Parse(content.bytes);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("master key file {}: {}", path, key.status().message()));
  }
  return key;
}

Keyring::Keyring(MasterKey primary, std::vector<MasterKey> previous) : primary_id_(primary.id()) {
  keys_.emplace(primary.id(), std::move(primary));
  for (MasterKey& key : previous) {
    keys_.emplace(key.id(), std::move(key));  // a duplicate id keeps the first
  }
}

absl::StatusOr<Keyring> Keyring::FromFiles(const std::string& primary_file,
                                           const std::vector<std::string>& previous_files) {
  std::vector<FieldViolation> violations;
  absl::StatusOr<MasterKey> primary = MasterKey::FromFile(primary_file);
  if (!primary.ok()) {
    violations.push_back({"encryption.master_key_file", std::string(primary.status().message())});
  }
  std::vector<MasterKey> previous;
  for (size_t i = 0; i < previous_files.size(); ++i) {
    absl::StatusOr<MasterKey> key = MasterKey::FromFile(previous_files[i]);
    if (!key.ok()) {
      violations.push_back({fmt::format("encryption.previous_master_key_files[{}]", i),
                            std::string(key.status().message())});
    } else {
      previous.push_back(*std::move(key));
    }
  }
  if (!violations.empty()) {
    return InvalidArgumentError(std::move(violations));
  }
  return Keyring(*std::move(primary), std::move(previous));
}

std::vector<std::string> Keyring::key_ids() const {
  std::vector<std::string> ids{primary_id_};
  for (const auto& [id, key] : keys_) {
    if (id != primary_id_) {
      ids.push_back(id);
    }
  }
  return ids;
}

absl::StatusOr<std::string> Keyring::Wrap(std::string_view data_key, std::string_view name) const {
  const MasterKey& primary = keys_.at(primary_id_);
  return GcmSeal(primary.bytes_, data_key, WrapAad(primary_id_, name));
}

absl::StatusOr<std::string> Keyring::Unwrap(const Envelope& envelope, std::string_view name) const {
  auto it = keys_.find(envelope.key_id);
  if (it == keys_.end()) {
    return WithErrorInfo(
        absl::FailedPreconditionError(fmt::format(
            "secret {} is wrapped under master key {}, which this replica does not have; add "
            "that key's file to encryption.previous_master_key_files",
            name, envelope.key_id)),
        ErrorReason::kFailedPrecondition, {{"key_id", envelope.key_id}});
  }
  absl::StatusOr<std::string> data_key =
      GcmOpen(it->second.bytes_, envelope.wrapped_key, WrapAad(envelope.key_id, name));
  if (absl::IsDataLoss(data_key.status()) ||
      (data_key.ok() && data_key->size() != MasterKey::kSize)) {
    return AuthenticationError(name);
  }
  return data_key;
}

absl::StatusOr<Envelope> Keyring::Seal(std::string_view plaintext, std::string_view name) const {
  Wiped data_key{SecureRandomBytes(MasterKey::kSize)};
  auto ciphertext = GcmSeal(data_key.bytes, plaintext, name);
  if (!ciphertext.ok()) {
    return ciphertext.status();
  }
  auto wrapped = Wrap(data_key.bytes, name);
  if (!wrapped.ok()) {
    return wrapped.status();
  }
  return Envelope{*std::move(ciphertext), *std::move(wrapped), primary_id_};
}

absl::StatusOr<std::string> Keyring::Open(const Envelope& envelope, std::string_view name) const {
  auto unwrapped = Unwrap(envelope, name);
  if (!unwrapped.ok()) {
    return unwrapped.status();
  }
  Wiped data_key{*std::move(unwrapped)};
  absl::StatusOr<std::string> plaintext = GcmOpen(data_key.bytes, envelope.ciphertext, name);
  if (absl::IsDataLoss(plaintext.status())) {
    return AuthenticationError(name);
  }
  return plaintext;
}

absl::StatusOr<Envelope> Keyring::Rewrap(const Envelope& envelope, std::string_view name) const {
  auto unwrapped = Unwrap(envelope, name);
  if (!unwrapped.ok()) {
    return unwrapped.status();
  }
  Wiped data_key{*std::move(unwrapped)};
  auto wrapped = Wrap(data_key.bytes, name);
  if (!wrapped.ok()) {
    return wrapped.status();
  }
  return Envelope{envelope.ciphertext, *std::move(wrapped), primary_id_};
}

}  // namespace gofer::secret_store
