// The object store's rules: validation, size limits per scope, checksums, content-addressed
// storage through a BlobStore, metadata through ObjectCatalog, multipart uploads and garbage
// collection. No proto or gRPC types. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob_store.h"
#include "gofer/common/clock.h"
#include "gofer/common/id_generator.h"
#include "object_catalog.h"
#include "object_ref.h"

namespace gofer::object_store {

struct Limits {
  // Largest object per scope, in bytes.
  int64_t max_pipeline_object_bytes = int64_t{1} << 30;
  int64_t max_run_object_bytes = int64_t{1} << 30;
  int64_t max_extension_object_bytes = int64_t{1} << 30;
  int64_t max_task_log_object_bytes = int64_t{64} << 20;
  // Objects kept per pipeline; storing one more evicts the oldest.
  int64_t pipeline_objects = 50;
  // Part size of multipart uploads (every part but the last).
  int64_t part_size = int64_t{16} << 20;
  // How long an unfinished multipart upload lives.
  absl::Duration upload_ttl = absl::Hours(24);
  // How long an unreferenced blob stays before collection (covers readers in flight).
  absl::Duration gc_grace = absl::Minutes(10);
};

// The header of a single-stream upload.
struct PutRequest {
  ObjectRef ref;
  bool force = false;
  int64_t size = -1;   // expected size, or -1
  std::string sha256;  // expected digest (lowercase hex), or empty
};

// Receives the bytes of one upload (a whole object or one part). Not thread-safe.
class UploadSink {
 public:
  virtual ~UploadSink() = default;
  // Adds bytes. RESOURCE_EXHAUSTED (LIMIT_EXCEEDED) past the size limit, INVALID_ARGUMENT past
  // the declared size.
  virtual absl::Status Append(std::string_view chunk) = 0;
};

// An object upload in progress.
class PutSession : public UploadSink {
 public:
  // Checks size and digest, then stores the object. Call once, after the last Append.
  virtual absl::StatusOr<CommitResult> Finish() = 0;
};

// One part of a multipart upload in progress.
class PartSession : public UploadSink {
 public:
  // Checks the part's size and records it; returns its digest.
  virtual absl::StatusOr<BlobDigest> Finish() = 0;
};

// Streams a byte range of an object.
class ObjectRead {
 public:
  virtual ~ObjectRead() = default;
  virtual const ObjectInfo& info() const = 0;
  // The next at most `max` bytes of the range; empty at its end.
  virtual absl::Status Next(size_t max, std::string* out) = 0;
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::string next_page_token;
};

struct GcStats {
  int blobs_collected = 0;
  int uploads_expired = 0;
};

class ObjectManager {
 public:
  // All references must outlive the manager.
  ObjectManager(ObjectCatalog& catalog, BlobStore& blobs, Clock& clock, IdGenerator& ids,
                Limits limits);

  // Validates `request` (INVALID_ARGUMENT listing every violation), refuses an existing
  // object without force (ALREADY_EXISTS), and starts receiving its bytes.
  absl::StatusOr<std::unique_ptr<PutSession>> BeginPut(const PutRequest& request, Actor actor);

  // Metadata of `ref`; NOT_FOUND naming it.
  absl::StatusOr<ObjectInfo> Stat(const ObjectRef& ref);

  // Opens bytes [offset, offset + length) of `ref` (length 0: to the end). OUT_OF_RANGE when
  // offset is past the end.
  absl::StatusOr<std::unique_ptr<ObjectRead>> Open(const ObjectRef& ref, int64_t offset,
                                                   int64_t length);

  // A page of `owner`'s objects in key order.
  absl::StatusOr<ListPage> List(const ObjectRef& owner, const std::string& key_prefix,
                                int32_t page_size, const std::string& page_token);

  absl::Status Delete(const ObjectRef& ref, const Actor& actor);

  absl::StatusOr<int64_t> DeleteRunObjects(const std::string& namespace_id,
                                           const std::string& pipeline_id, int64_t up_to_run_id,
                                           bool include_task_logs, const Actor& actor);

  // Multipart uploads.
  absl::StatusOr<Upload> CreateUpload(const ObjectRef& ref, bool force, int64_t size,
                                      const std::string& sha256);
  absl::StatusOr<std::unique_ptr<PartSession>> BeginPart(const std::string& upload_id,
                                                         int32_t part_number);
  absl::StatusOr<Upload> GetUpload(const std::string& upload_id);
  // Assembles the parts in order (FAILED_PRECONDITION naming missing parts), checks size and
  // digest (INVALID_ARGUMENT; the upload stays for a retry), and stores the object.
  absl::StatusOr<CommitResult> CompleteUpload(const std::string& upload_id, const Actor& actor);
  absl::Status AbortUpload(const std::string& upload_id);

  // Collects unreferenced blobs past the grace period and expired uploads (up to `limit` of
  // each).
  absl::StatusOr<GcStats> CollectGarbage(int limit = 500);

  const Limits& limits() const { return limits_; }

  // The size limit of `scope`.
  int64_t MaxBytes(Scope scope) const;

 private:
  ObjectCatalog& catalog_;
  BlobStore& blobs_;
  Clock& clock_;
  IdGenerator& ids_;
  const Limits limits_;
};

}  // namespace gofer::object_store
