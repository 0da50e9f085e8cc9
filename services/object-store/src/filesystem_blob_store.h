// Blobs as files on a volume: <root>/blobs/<first 2 hex>/<sha256>, written through
// <root>/tmp with fsync, then hard-linked into place (atomic, never replacing a blob).
#pragma once

#include <memory>
#include <string>

#include "blob_store.h"

namespace gofer::object_store {

class FilesystemBlobStore final : public BlobStore {
 public:
  // Creates <root>/blobs and <root>/tmp when missing. INVALID_ARGUMENT/INTERNAL when `root`
  // cannot be used.
  static absl::StatusOr<std::unique_ptr<FilesystemBlobStore>> Create(const std::string& root);

  absl::StatusOr<std::unique_ptr<BlobWriter>> NewBlob() override;
  absl::StatusOr<std::unique_ptr<BlobReader>> Open(const std::string& sha256) override;
  absl::StatusOr<bool> Exists(const std::string& sha256) override;
  absl::Status Delete(const std::string& sha256) override;

  // Removes temporary files older than `min_age_seconds` left by writers that died (a crash
  // between write and commit). Returns how many were removed.
  absl::StatusOr<int> SweepTemporaryFiles(int64_t min_age_seconds);

  // The path of blob `sha256` (whether or not it exists).
  std::string PathOf(const std::string& sha256) const;

 private:
  explicit FilesystemBlobStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace gofer::object_store
