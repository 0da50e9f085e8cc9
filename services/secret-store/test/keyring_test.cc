// Master key files and AES-256-GCM envelope encryption: round trips, tampering, AAD binding,
// unknown and wrong keys, re-wrapping, and key file parsing errors that never quote the key.
#include "keyring.h"

#include <stdlib.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gofer/common/errors.h"
#include "gofer/common/id_generator.h"
#include "gofer/testing/status.h"

namespace gofer::secret_store {
namespace {

MasterKey NewKey() { return MasterKey::FromBytes(SecureRandomBytes(MasterKey::kSize)); }

const std::string kName = "pipeline/prod/build/db_password";
const std::string kValue = std::string("hunter2\0with-a-nul", 18);

// A temporary directory removed at the end of the test case.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gofer-keys-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }

  std::string Write(const std::string& name, const std::string& content) const {
    const std::string file = path + "/" + name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
};

std::string FlipByte(std::string s, size_t at) {
  s[at] = static_cast<char>(s[at] ^ 0x01);
  return s;
}

}  // namespace

TEST_CASE("A sealed value opens back to the same bytes") {
  const Keyring keyring(NewKey(), {});
  auto envelope = keyring.Seal(kValue, kName);
  GOFER_REQUIRE_OK(envelope);
  CHECK(envelope->key_id == keyring.primary_key_id());
  CHECK(envelope->ciphertext.size() == kValue.size() + 28);
  CHECK(envelope->wrapped_key.size() == 60);
  CHECK(envelope->ciphertext.find("hunter2") == std::string::npos);
  auto opened = keyring.Open(*envelope, kName);
  GOFER_REQUIRE_OK(opened);
  CHECK(*opened == kValue);
}

TEST_CASE("Sealing the same value twice uses a fresh data key and nonce each time") {
  const Keyring keyring(NewKey(), {});
  auto a = keyring.Seal(kValue, kName);
  auto b = keyring.Seal(kValue, kName);
  GOFER_REQUIRE_OK(a);
  GOFER_REQUIRE_OK(b);
  CHECK(a->ciphertext != b->ciphertext);
  CHECK(a->wrapped_key != b->wrapped_key);
}

TEST_CASE("A tampered ciphertext or wrapped key fails authentication as DATA_LOSS") {
  const Keyring keyring(NewKey(), {});
  const Envelope sealed = *keyring.Seal(kValue, kName);
  std::vector<Envelope> tampered;
  for (size_t at : {size_t{0}, size_t{12}, sealed.ciphertext.size() - 1}) {  // nonce, body, tag
    tampered.push_back({FlipByte(sealed.ciphertext, at), sealed.wrapped_key, sealed.key_id});
  }
  for (size_t at : {size_t{0}, size_t{20}, size_t{59}}) {
    tampered.push_back({sealed.ciphertext, FlipByte(sealed.wrapped_key, at), sealed.key_id});
  }
  tampered.push_back({sealed.ciphertext.substr(0, 10), sealed.wrapped_key, sealed.key_id});
  tampered.push_back({sealed.ciphertext, "", sealed.key_id});
  for (const Envelope& envelope : tampered) {
    const auto opened = keyring.Open(envelope, kName);
    GOFER_REQUIRE_CODE(opened, absl::StatusCode::kDataLoss);
    CHECK(opened.status().message() == "secret " + kName + " failed authentication");
  }
}

TEST_CASE("A ciphertext moved to another secret's name fails authentication") {
  const Keyring keyring(NewKey(), {});
  const Envelope sealed = *keyring.Seal(kValue, kName);
  for (const std::string other :
       {"pipeline/prod/build/other", "global/db_password", "pipeline/prod/deploy/db_password"}) {
    GOFER_REQUIRE_CODE(keyring.Open(sealed, other), absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("An envelope under a master key the keyring lacks is FAILED_PRECONDITION naming it") {
  const Keyring writer(NewKey(), {});
  const Keyring reader(NewKey(), {});
  const Envelope sealed = *writer.Seal(kValue, kName);
  const auto opened = reader.Open(sealed, kName);
  GOFER_REQUIRE_CODE(opened, absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(opened.status().message()).find(writer.primary_key_id()) != std::string::npos);
  CHECK(GetErrorDetails(opened.status()).metadata.at("key_id") == writer.primary_key_id());
  GOFER_REQUIRE_CODE(reader.Rewrap(sealed, kName), absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("A wrong key presenting the right key id fails authentication, not with garbage") {
  const Keyring writer(NewKey(), {});
  const Keyring reader(NewKey(), {});
  Envelope sealed = *writer.Seal(kValue, kName);
  sealed.key_id = reader.primary_key_id();
  GOFER_REQUIRE_CODE(reader.Open(sealed, kName), absl::StatusCode::kDataLoss);
}

TEST_CASE("Rewrap moves the data key under the primary and keeps the ciphertext") {
  const MasterKey old_key = NewKey();
  const MasterKey new_key = NewKey();
  const Keyring before(old_key, {});
  const Keyring during(new_key, {old_key});
  const Keyring after(new_key, {});
  const Envelope sealed = *before.Seal(kValue, kName);
  auto rewrapped = during.Rewrap(sealed, kName);
  GOFER_REQUIRE_OK(rewrapped);
  CHECK(rewrapped->key_id == new_key.id());
  CHECK(rewrapped->ciphertext == sealed.ciphertext);
  CHECK(rewrapped->wrapped_key != sealed.wrapped_key);
  CHECK(*after.Open(*rewrapped, kName) == kValue);
  CHECK(*during.Open(sealed, kName) == kValue);  // the old form still opens during a rotation
  GOFER_REQUIRE_CODE(after.Open(sealed, kName), absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("A keyring lists its key ids with the primary first and ignores a repeated key") {
  const MasterKey a = NewKey();
  const MasterKey b = NewKey();
  const Keyring keyring(a, {b, a});
  const std::vector<std::string> ids = keyring.key_ids();
  REQUIRE(ids.size() == 2);
  CHECK(ids[0] == a.id());
  CHECK(ids[1] == b.id());
}

TEST_CASE("A key id is the first 16 hex characters of the key's SHA-256") {
  const MasterKey zero = MasterKey::FromBytes(std::string(32, '\0'));
  // sha256(32 zero bytes) = 66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925
  CHECK(zero.id() == "66687aadf862bd77");
}

TEST_CASE("A key parses from 64 hex characters or base64, with an optional trailing newline") {
  const std::string raw = SecureRandomBytes(32);
  const std::string id = MasterKey::FromBytes(raw).id();
  const std::string hex = absl::BytesToHexString(raw);
  const std::string base64 = absl::Base64Escape(raw);
  for (const std::string& content :
       {hex, hex + "\n", hex + "\r\n", absl::AsciiStrToUpper(hex), base64, base64 + "\n"}) {
    auto key = MasterKey::Parse(content);
    GOFER_REQUIRE_OK(key);
    CHECK(key->id() == id);
  }
}

TEST_CASE("A key file that does not hold exactly one 32-byte key is rejected without quoting it") {
  const std::string hex = absl::BytesToHexString(SecureRandomBytes(32));
  const std::vector<std::string> bad = {
      "",
      hex.substr(0, 63),
      hex + "0",
      "zz" + hex.substr(2),
      hex + "\n\n",
      " " + hex,
      absl::Base64Escape(SecureRandomBytes(31)),
      absl::Base64Escape(SecureRandomBytes(33)),
      "changemechangemechangemechangeme",  // the original's default: 32 characters, not a key
  };
  for (const std::string& content : bad) {
    const auto key = MasterKey::Parse(content);
    GOFER_REQUIRE_CODE(key, absl::StatusCode::kInvalidArgument);
    if (!content.empty()) {
      CHECK(std::string(key.status().message()).find(content) == std::string::npos);
    }
  }
}

TEST_CASE("Loading key files names each bad file under its configuration key") {
  TempDir dir;
  const std::string good = dir.Write("good", absl::BytesToHexString(SecureRandomBytes(32)) + "\n");
  const std::string bad = dir.Write("bad", "not-a-key-at-all");
  const std::string missing = dir.path + "/missing";
  auto loaded = Keyring::FromFiles(good, {bad, good});
  GOFER_REQUIRE_CODE(loaded, absl::StatusCode::kInvalidArgument);
  auto violations = GetFieldViolations(loaded.status());
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].field == "encryption.previous_master_key_files[0]");
  CHECK(violations[0].description.find(bad) != std::string::npos);
  CHECK(violations[0].description.find("not-a-key-at-all") == std::string::npos);

  loaded = Keyring::FromFiles(missing, {bad});
  violations = GetFieldViolations(loaded.status());
  REQUIRE(violations.size() == 2);
  CHECK(violations[0].field == "encryption.master_key_file");
  CHECK(violations[0].description.find(missing) != std::string::npos);

  auto keyring = Keyring::FromFiles(good, {});
  GOFER_REQUIRE_OK(keyring);
  CHECK(keyring->primary_key_id().size() == 16);
}

}  // namespace gofer::secret_store
