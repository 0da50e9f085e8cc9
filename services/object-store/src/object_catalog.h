// Object metadata in Postgres: objects, blob reference counts, multipart uploads. Every
// change runs in one transaction (with its event appended to the outbox); the blob-linking
// steps run under the blob's advisory lock so garbage collection never deletes a blob that a
// concurrent writer is about to reference. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "blob_store.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"
#include "object_ref.h"

namespace gofer::object_store {

// The outcome of storing an object.
struct CommitResult {
  ObjectInfo info;
  // The content was already stored (another object, or an earlier version, references it).
  bool deduplicated = false;
  // Pipeline objects evicted to respect the per-pipeline limit, oldest first.
  std::vector<ObjectRef> evicted;
};

// A multipart upload.
struct Upload {
  std::string id;
  ObjectRef ref;
  bool force = false;
  int64_t size = 0;
  std::string sha256;
  int64_t part_size = 0;
  int part_count = 0;
  absl::Time expires;
  // Received parts in ascending order, with their blobs.
  std::vector<int> received_parts;
  std::vector<BlobDigest> part_blobs;
};

// What a store call is for (events and audit).
struct Actor {
  std::string name;  // the caller identity, e.g. "token:ci" or "run-queue"
};

class ObjectCatalog {
 public:
  // `pool`'s search_path must be the objects schema; `outbox` names the events schema.
  ObjectCatalog(pg::Pool& pool, const events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  // The object at `ref`, or nullopt.
  absl::StatusOr<std::optional<ObjectInfo>> Lookup(const ObjectRef& ref);

  // Records `ref` → the finished blob `digest` and links the blob into `blobs` via
  // `writer.Commit()`, replacing an existing object only with `force` (ALREADY_EXISTS
  // otherwise; nothing changes). For pipeline objects, evicts the oldest beyond
  // `pipeline_limit`. With `finish_upload_id`, also deletes that upload and releases its parts
  // in the same transaction.
  absl::StatusOr<CommitResult> CommitObject(const ObjectRef& ref, const BlobDigest& digest,
                                            BlobWriter& writer, bool force, int64_t pipeline_limit,
                                            const Actor& actor,
                                            const std::string& finish_upload_id = "");

  // Deletes `ref` (NOT_FOUND when absent) and releases its blob.
  absl::Status Delete(const ObjectRef& ref, const Actor& actor);

  // Objects of the owner `owner` (a ref with an empty key) with keys starting with `prefix`,
  // after key `after`, in key order, at most `limit`.
  absl::StatusOr<std::vector<ObjectInfo>> List(const ObjectRef& owner, const std::string& prefix,
                                               const std::string& after, int limit);

  // Deletes the run (and optionally task-log) objects of runs ≤ `up_to_run_id`; returns the count.
  absl::StatusOr<int64_t> DeleteRunObjects(const std::string& namespace_id,
                                           const std::string& pipeline_id, int64_t up_to_run_id,
                                           bool include_task_logs, const Actor& actor);

  // Deletes up to `limit` blobs unreferenced for at least `grace` from the catalog and from
  // `blobs`; returns how many.
  absl::StatusOr<int> CollectGarbage(BlobStore& blobs, absl::Duration grace, int limit);

  // Records a new upload (its id must be unique).
  absl::Status CreateUpload(const Upload& upload);

  // The upload `id` with its parts; NOT_FOUND when unknown, completed, aborted or expired.
  absl::StatusOr<Upload> GetUpload(const std::string& id);

  // Records part `part_number` of upload `id` as the finished blob `digest` (linking it via
  // `writer.Commit()`), replacing a previous copy of the part.
  absl::Status RecordPart(const std::string& id, int part_number, const BlobDigest& digest,
                          BlobWriter& writer);

  // Deletes upload `id` and releases its parts (NOT_FOUND when unknown).
  absl::Status DeleteUpload(const std::string& id);

  // Deletes up to `limit` uploads whose expiry passed; returns how many.
  absl::StatusOr<int> ExpireUploads(int limit);

 private:
  pg::Pool& pool_;
  const events::Outbox& outbox_;
};

}  // namespace gofer::object_store
