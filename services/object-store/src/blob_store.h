// Content-addressed blob storage: the bytes of objects, named by their SHA-256. The metadata
// (which objects reference which blob, refcounts) lives in Postgres (ObjectCatalog); a blob
// store only keeps bytes. Implementations: FilesystemBlobStore (a volume, the default) and
// InMemoryBlobStore (tests); an S3-compatible one can follow. blob_store_conformance.h holds
// the suite every implementation passes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gofer::object_store {

// The identity of stored bytes.
struct BlobDigest {
  std::string sha256;  // lowercase hex
  int64_t size = 0;
};

// Streams the bytes of one new blob. Destroying it before Commit discards the bytes.
// Not thread-safe.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;

  // Appends `data`. UNAVAILABLE/INTERNAL when the medium fails.
  virtual absl::Status Append(std::string_view data) = 0;

  // Makes the bytes durable (not yet visible) and returns their digest. Call once.
  virtual absl::StatusOr<BlobDigest> Finish() = 0;

  // Makes the finished blob readable under its digest. When a blob with that digest exists
  // already it is kept and this copy discarded (same bytes). Idempotent. Callers hold the
  // digest's catalog lock so a concurrent Delete of the same digest cannot interleave.
  virtual absl::Status Commit() = 0;
};

// Reads one stored blob. Thread-compatible.
class BlobReader {
 public:
  virtual ~BlobReader() = default;

  // Size of the blob in bytes.
  virtual int64_t size() const = 0;

  // Reads up to `max` bytes at `offset` into `out` (replacing its content); an empty `out`
  // means the end. OUT_OF_RANGE when offset > size.
  virtual absl::Status ReadAt(int64_t offset, size_t max, std::string* out) = 0;
};

// A store of blobs. Thread-safe.
class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Starts a new blob.
  virtual absl::StatusOr<std::unique_ptr<BlobWriter>> NewBlob() = 0;

  // Opens the blob `sha256`; NOT_FOUND when it is not stored.
  virtual absl::StatusOr<std::unique_ptr<BlobReader>> Open(const std::string& sha256) = 0;

  // Whether the blob `sha256` is stored.
  virtual absl::StatusOr<bool> Exists(const std::string& sha256) = 0;

  // Deletes the blob `sha256`; OK when it is not stored. Open readers may keep reading.
  virtual absl::Status Delete(const std::string& sha256) = 0;
};

}  // namespace gofer::object_store
