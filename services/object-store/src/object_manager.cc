#include "object_manager.h"

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "gofer/common/errors.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"

namespace gofer::object_store {
namespace {

constexpr size_t kCopyChunk = 1 << 20;

absl::Status TooLarge(int64_t limit) {
  return WithErrorInfo(
      absl::ResourceExhaustedError(fmt::format("object exceeds the size limit of {} bytes", limit)),
      ErrorReason::kLimitExceeded, {{"limit_bytes", std::to_string(limit)}});
}

// Receives bytes into a new blob, enforcing the scope's limit and a declared size.
class BlobSink {
 public:
  BlobSink(std::unique_ptr<BlobWriter> writer, int64_t limit, int64_t expected_size)
      : writer_(std::move(writer)), limit_(limit), expected_size_(expected_size) {}

  absl::Status Append(std::string_view chunk) {
    received_ += static_cast<int64_t>(chunk.size());
    if (received_ > limit_) {
      return TooLarge(limit_);
    }
    if (expected_size_ >= 0 && received_ > expected_size_) {
      return InvalidArgumentError(
          {{"size",
            fmt::format("the content is longer than the declared {} bytes", expected_size_)}});
    }
    return writer_->Append(chunk);
  }

  // Finishes the blob and checks it against the declared size and digest.
  absl::StatusOr<BlobDigest> Finish(const std::string& expected_sha256) {
    GOFER_ASSIGN_OR_RETURN(BlobDigest digest, writer_->Finish());
    if (expected_size_ >= 0 && digest.size != expected_size_) {
      return InvalidArgumentError(
          {{"size", fmt::format("declared {} bytes but {} arrived", expected_size_, digest.size)}});
    }
    if (!expected_sha256.empty() && digest.sha256 != expected_sha256) {
      return InvalidArgumentError(
          {{"sha256", fmt::format("declared {} but the content's SHA-256 is {}", expected_sha256,
                                  digest.sha256)}});
    }
    return digest;
  }

  BlobWriter& writer() { return *writer_; }

 private:
  std::unique_ptr<BlobWriter> writer_;
  const int64_t limit_;
  const int64_t expected_size_;
  int64_t received_ = 0;
};

class ObjectPut final : public PutSession {
 public:
  ObjectPut(ObjectCatalog& catalog, PutRequest request, Actor actor, BlobSink sink,
            int64_t pipeline_limit)
      : catalog_(catalog),
        request_(std::move(request)),
        actor_(std::move(actor)),
        sink_(std::move(sink)),
        pipeline_limit_(pipeline_limit) {}

  absl::Status Append(std::string_view chunk) override { return sink_.Append(chunk); }

  absl::StatusOr<CommitResult> Finish() override {
    GOFER_ASSIGN_OR_RETURN(BlobDigest digest, sink_.Finish(request_.sha256));
    return catalog_.CommitObject(request_.ref, digest, sink_.writer(), request_.force,
                                 pipeline_limit_, actor_);
  }

 private:
  ObjectCatalog& catalog_;
  const PutRequest request_;
  const Actor actor_;
  BlobSink sink_;
  const int64_t pipeline_limit_;
};

class PartPut final : public PartSession {
 public:
  PartPut(ObjectCatalog& catalog, std::string upload_id, int part_number, BlobSink sink)
      : catalog_(catalog),
        upload_id_(std::move(upload_id)),
        part_number_(part_number),
        sink_(std::move(sink)) {}

  absl::Status Append(std::string_view chunk) override { return sink_.Append(chunk); }

  absl::StatusOr<BlobDigest> Finish() override {
    GOFER_ASSIGN_OR_RETURN(BlobDigest digest, sink_.Finish(""));
    GOFER_RETURN_IF_ERROR(catalog_.RecordPart(upload_id_, part_number_, digest, sink_.writer()));
    return digest;
  }

 private:
  ObjectCatalog& catalog_;
  const std::string upload_id_;
  const int part_number_;
  BlobSink sink_;
};

class RangeRead final : public ObjectRead {
 public:
  RangeRead(ObjectInfo info, std::unique_ptr<BlobReader> reader, int64_t offset, int64_t end)
      : info_(std::move(info)), reader_(std::move(reader)), next_(offset), end_(end) {}

  const ObjectInfo& info() const override { return info_; }

  absl::Status Next(size_t max, std::string* out) override {
    const size_t want =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(max), end_ - next_));
    if (want == 0) {
      out->clear();
      return absl::OkStatus();
    }
    GOFER_RETURN_IF_ERROR(reader_->ReadAt(next_, want, out));
    if (out->empty()) {
      return absl::DataLossError(
          fmt::format("blob {} ended before its recorded size", info_.sha256));
    }
    next_ += static_cast<int64_t>(out->size());
    return absl::OkStatus();
  }

 private:
  const ObjectInfo info_;
  std::unique_ptr<BlobReader> reader_;
  int64_t next_;
  const int64_t end_;
};

std::string OwnerFingerprint(const ObjectRef& owner, const std::string& prefix) {
  return fmt::format("{}/{}/{}/{}/{}/{}", static_cast<int>(owner.scope), owner.namespace_id,
                     owner.pipeline_id, owner.run_id, owner.extension_id, prefix);
}

void CheckSha(const std::string& sha256, Violations& v) {
  if (!sha256.empty() && !IsSha256Hex(sha256)) {
    v.Add("sha256", "must be 64 lowercase hex characters");
  }
}

}  // namespace

ObjectManager::ObjectManager(ObjectCatalog& catalog, BlobStore& blobs, Clock& clock,
                             IdGenerator& ids, Limits limits)
    : catalog_(catalog), blobs_(blobs), clock_(clock), ids_(ids), limits_(limits) {}

int64_t ObjectManager::MaxBytes(Scope scope) const {
  switch (scope) {
    case Scope::kPipeline:
      return limits_.max_pipeline_object_bytes;
    case Scope::kRun:
      return limits_.max_run_object_bytes;
    case Scope::kExtension:
      return limits_.max_extension_object_bytes;
    case Scope::kTaskLog:
      return limits_.max_task_log_object_bytes;
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<PutSession>> ObjectManager::BeginPut(const PutRequest& request,
                                                                    Actor actor) {
  Violations v;
  CheckRef(request.ref, "ref", v);
  CheckSha(request.sha256, v);
  if (request.size < -1) {
    v.Add("size", "must be -1 (unknown) or the exact size in bytes");
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  const int64_t limit = MaxBytes(request.ref.scope);
  if (request.size > limit) {
    return TooLarge(limit);
  }
  if (!request.force) {
    GOFER_ASSIGN_OR_RETURN(auto existing, catalog_.Lookup(request.ref));
    if (existing.has_value()) {
      return WithErrorInfo(absl::AlreadyExistsError(Describe(request.ref) +
                                                    " already exists (use force to replace it)"),
                           ErrorReason::kResourceExists,
                           {{"resource", "object"}, {"key", request.ref.key}});
    }
  }
  GOFER_ASSIGN_OR_RETURN(auto writer, blobs_.NewBlob());
  return std::make_unique<ObjectPut>(catalog_, request, std::move(actor),
                                     BlobSink(std::move(writer), limit, request.size),
                                     limits_.pipeline_objects);
}

absl::StatusOr<ObjectInfo> ObjectManager::Stat(const ObjectRef& ref) {
  Violations v;
  CheckRef(ref, "ref", v);
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  GOFER_ASSIGN_OR_RETURN(auto info, catalog_.Lookup(ref));
  if (!info.has_value()) {
    return ObjectNotFound(ref);
  }
  return *info;
}

absl::StatusOr<std::unique_ptr<ObjectRead>> ObjectManager::Open(const ObjectRef& ref,
                                                                int64_t offset, int64_t length) {
  Violations v;
  CheckRef(ref, "ref", v);
  if (offset < 0) {
    v.Add("offset", "must not be negative");
  }
  if (length < 0) {
    v.Add("length", "must not be negative (0 means to the end)");
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  GOFER_ASSIGN_OR_RETURN(ObjectInfo info, Stat(ref));
  if (offset > info.size) {
    return absl::OutOfRangeError(fmt::format("offset {} is past the end of {} ({} bytes)", offset,
                                             Describe(ref), info.size));
  }
  // length may be huge (untrusted): compare against what is left instead of adding.
  const int64_t end = (length == 0 || length >= info.size - offset) ? info.size : offset + length;
  GOFER_ASSIGN_OR_RETURN(auto reader, blobs_.Open(info.sha256));
  return std::make_unique<RangeRead>(std::move(info), std::move(reader), offset, end);
}

absl::StatusOr<ListPage> ObjectManager::List(const ObjectRef& owner, const std::string& key_prefix,
                                             int32_t page_size, const std::string& page_token) {
  Violations v;
  CheckRef(owner, "parent", v, /*owner_only=*/true);
  if (!key_prefix.empty() && key_prefix.size() > 256) {
    v.Add("key_prefix", "must be at most 256 characters");
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  const std::string fingerprint = OwnerFingerprint(owner, key_prefix);
  GOFER_ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(page_size, page_token, fingerprint,
                                                            {.default_size = 100}));
  GOFER_ASSIGN_OR_RETURN(auto objects,
                         catalog_.List(owner, key_prefix, page.after, page.limit + 1));
  ListPage out;
  if (static_cast<int>(objects.size()) > page.limit) {
    objects.resize(page.limit);
    out.next_page_token = MakePageToken(objects.back().ref.key, fingerprint);
  }
  out.objects = std::move(objects);
  return out;
}

absl::Status ObjectManager::Delete(const ObjectRef& ref, const Actor& actor) {
  Violations v;
  CheckRef(ref, "ref", v);
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  return catalog_.Delete(ref, actor);
}

absl::StatusOr<int64_t> ObjectManager::DeleteRunObjects(const std::string& namespace_id,
                                                        const std::string& pipeline_id,
                                                        int64_t up_to_run_id,
                                                        bool include_task_logs,
                                                        const Actor& actor) {
  Violations v;
  v.CheckIdentifier("namespace_id", namespace_id);
  v.CheckIdentifier("pipeline_id", pipeline_id);
  if (up_to_run_id < 1) {
    v.Add("up_to_run_id", "must be a run number (>= 1)");
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  return catalog_.DeleteRunObjects(namespace_id, pipeline_id, up_to_run_id, include_task_logs,
                                   actor);
}

absl::StatusOr<Upload> ObjectManager::CreateUpload(const ObjectRef& ref, bool force, int64_t size,
                                                   const std::string& sha256) {
  Violations v;
  CheckRef(ref, "ref", v);
  CheckSha(sha256, v);
  if (sha256.empty()) {
    v.Add("sha256", "is required for a multipart upload");
  }
  if (size < 0) {
    v.Add("size", "is required (the total size in bytes)");
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  if (size > MaxBytes(ref.scope)) {
    return TooLarge(MaxBytes(ref.scope));
  }
  if (!force) {
    GOFER_ASSIGN_OR_RETURN(auto existing, catalog_.Lookup(ref));
    if (existing.has_value()) {
      return WithErrorInfo(
          absl::AlreadyExistsError(Describe(ref) + " already exists (use force to replace it)"),
          ErrorReason::kResourceExists, {{"resource", "object"}, {"key", ref.key}});
    }
  }
  Upload upload{.id = ids_.NewId(),
                .ref = ref,
                .force = force,
                .size = size,
                .sha256 = sha256,
                .part_size = limits_.part_size,
                .part_count = static_cast<int>(
                    std::max<int64_t>(1, (size + limits_.part_size - 1) / limits_.part_size)),
                .expires = clock_.Now() + limits_.upload_ttl};
  GOFER_RETURN_IF_ERROR(catalog_.CreateUpload(upload));
  return upload;
}

absl::StatusOr<std::unique_ptr<PartSession>> ObjectManager::BeginPart(const std::string& upload_id,
                                                                      int32_t part_number) {
  GOFER_ASSIGN_OR_RETURN(Upload upload, catalog_.GetUpload(upload_id));
  if (part_number < 1 || part_number > upload.part_count) {
    return InvalidArgumentError(
        {{"part_number", fmt::format("must be in 1..{} for this upload", upload.part_count)}});
  }
  const int64_t part_bytes = part_number < upload.part_count
                                 ? upload.part_size
                                 : upload.size - upload.part_size * (upload.part_count - 1);
  GOFER_ASSIGN_OR_RETURN(auto writer, blobs_.NewBlob());
  // The scope's limit, not the part's size, bounds the sink: a part longer than expected is
  // then INVALID_ARGUMENT (field "size"), like a short one, rather than LIMIT_EXCEEDED.
  BlobSink sink(std::move(writer), MaxBytes(upload.ref.scope), part_bytes);
  return std::make_unique<PartPut>(catalog_, upload_id, part_number, std::move(sink));
}

absl::StatusOr<Upload> ObjectManager::GetUpload(const std::string& upload_id) {
  return catalog_.GetUpload(upload_id);
}

absl::StatusOr<CommitResult> ObjectManager::CompleteUpload(const std::string& upload_id,
                                                           const Actor& actor) {
  GOFER_ASSIGN_OR_RETURN(Upload upload, catalog_.GetUpload(upload_id));
  std::vector<std::string> missing;
  for (int part = 1, i = 0; part <= upload.part_count; ++part) {
    if (i < static_cast<int>(upload.received_parts.size()) && upload.received_parts[i] == part) {
      ++i;
    } else {
      missing.push_back(std::to_string(part));
    }
  }
  if (!missing.empty()) {
    return WithErrorInfo(
        absl::FailedPreconditionError(
            fmt::format("upload {} is missing parts {}", upload_id, absl::StrJoin(missing, ", "))),
        ErrorReason::kFailedPrecondition, {{"missing_parts", absl::StrJoin(missing, ",")}});
  }
  GOFER_ASSIGN_OR_RETURN(auto writer, blobs_.NewBlob());
  BlobSink sink(std::move(writer), MaxBytes(upload.ref.scope), upload.size);
  std::string chunk;
  for (const BlobDigest& part : upload.part_blobs) {
    GOFER_ASSIGN_OR_RETURN(auto reader, blobs_.Open(part.sha256));
    for (int64_t offset = 0; offset < reader->size();
         offset += static_cast<int64_t>(chunk.size())) {
      GOFER_RETURN_IF_ERROR(reader->ReadAt(offset, kCopyChunk, &chunk));
      if (chunk.empty()) {
        return absl::DataLossError(
            fmt::format("part blob {} is shorter than recorded", part.sha256));
      }
      GOFER_RETURN_IF_ERROR(sink.Append(chunk));
    }
  }
  GOFER_ASSIGN_OR_RETURN(BlobDigest digest, sink.Finish(upload.sha256));
  return catalog_.CommitObject(upload.ref, digest, sink.writer(), upload.force,
                               limits_.pipeline_objects, actor, upload_id);
}

absl::Status ObjectManager::AbortUpload(const std::string& upload_id) {
  return catalog_.DeleteUpload(upload_id);
}

absl::StatusOr<GcStats> ObjectManager::CollectGarbage(int limit) {
  GcStats stats;
  GOFER_ASSIGN_OR_RETURN(stats.uploads_expired, catalog_.ExpireUploads(limit));
  GOFER_ASSIGN_OR_RETURN(stats.blobs_collected,
                         catalog_.CollectGarbage(blobs_, limits_.gc_grace, limit));
  return stats;
}

}  // namespace gofer::object_store
