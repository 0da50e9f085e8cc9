// Blobs in memory, for logic tests. Passes the same conformance suite as the filesystem store.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "blob_store.h"

namespace gofer::object_store {

class InMemoryBlobStore final : public BlobStore {
 public:
  absl::StatusOr<std::unique_ptr<BlobWriter>> NewBlob() override;
  absl::StatusOr<std::unique_ptr<BlobReader>> Open(const std::string& sha256) override;
  absl::StatusOr<bool> Exists(const std::string& sha256) override;
  absl::Status Delete(const std::string& sha256) override;

  // Blobs stored now.
  int size() const;

  // Stores `bytes` as committed (called by writers).
  void Put(const std::string& sha256, std::shared_ptr<const std::string> bytes);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>> blobs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gofer::object_store
