#include "in_memory_blob_store.h"

#include <openssl/sha.h>

#include <fmt/format.h>

#include "absl/strings/escaping.h"

namespace gofer::object_store {
namespace {

class MemoryWriter final : public BlobWriter {
 public:
  explicit MemoryWriter(InMemoryBlobStore& store) : store_(store) {}

  absl::Status Append(std::string_view data) override {
    bytes_.append(data.data(), data.size());
    return absl::OkStatus();
  }

  absl::StatusOr<BlobDigest> Finish() override {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes_.data()), bytes_.size(), digest);
    digest_ = {absl::BytesToHexString(
                   absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest))),
               static_cast<int64_t>(bytes_.size())};
    return digest_;
  }

  absl::Status Commit() override {
    if (digest_.sha256.empty()) {
      return absl::FailedPreconditionError("blob committed before Finish");
    }
    store_.Put(digest_.sha256, std::make_shared<const std::string>(bytes_));
    return absl::OkStatus();
  }

 private:
  InMemoryBlobStore& store_;
  std::string bytes_;
  BlobDigest digest_;
};

class MemoryReader final : public BlobReader {
 public:
  explicit MemoryReader(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}

  int64_t size() const override { return static_cast<int64_t>(bytes_->size()); }

  absl::Status ReadAt(int64_t offset, size_t max, std::string* out) override {
    if (offset < 0 || offset > size()) {
      return absl::OutOfRangeError(
          fmt::format("offset {} is past the end ({} bytes)", offset, size()));
    }
    *out = bytes_->substr(static_cast<size_t>(offset), max);
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<const std::string> bytes_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlobWriter>> InMemoryBlobStore::NewBlob() {
  return std::unique_ptr<BlobWriter>(new MemoryWriter(*this));
}

absl::StatusOr<std::unique_ptr<BlobReader>> InMemoryBlobStore::Open(const std::string& sha256) {
  absl::MutexLock lock(&mu_);
  auto it = blobs_.find(sha256);
  if (it == blobs_.end()) {
    return absl::NotFoundError(fmt::format("blob {} is not stored", sha256));
  }
  return std::unique_ptr<BlobReader>(new MemoryReader(it->second));
}

absl::StatusOr<bool> InMemoryBlobStore::Exists(const std::string& sha256) {
  absl::MutexLock lock(&mu_);
  return blobs_.contains(sha256);
}

absl::Status InMemoryBlobStore::Delete(const std::string& sha256) {
  absl::MutexLock lock(&mu_);
  blobs_.erase(sha256);
  return absl::OkStatus();
}

int InMemoryBlobStore::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(blobs_.size());
}

void InMemoryBlobStore::Put(const std::string& sha256, std::shared_ptr<const std::string> bytes) {
  absl::MutexLock lock(&mu_);
  blobs_.emplace(sha256, std::move(bytes));  // an existing blob with the same digest is kept
}

}  // namespace gofer::object_store
