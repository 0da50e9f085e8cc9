#include "object_catalog.h"

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <fmt/format.h>

#include "gofer/common/errors.h"
#include "gofer/pg/transaction.h"

namespace gofer::object_store {
namespace {

constexpr char kInfoColumns[] =
    "scope, namespace_id, pipeline_id, run_id, extension_id, key, size, sha256, "
    "(extract(epoch FROM created) * 1000000)::bigint";

constexpr char kRefMatch[] =
    "scope = $1 AND namespace_id = $2 AND pipeline_id = $3 AND run_id = $4 AND "
    "extension_id = $5 AND key = $6";

ObjectInfo InfoFromRow(const pqxx::row& row) {
  ObjectInfo info;
  info.ref.scope = static_cast<Scope>(row[0].as<int>());
  info.ref.namespace_id = row[1].as<std::string>();
  info.ref.pipeline_id = row[2].as<std::string>();
  info.ref.run_id = row[3].as<int64_t>();
  info.ref.extension_id = row[4].as<std::string>();
  info.ref.key = row[5].as<std::string>();
  info.size = row[6].as<int64_t>();
  info.sha256 = row[7].as<std::string>();
  info.created = absl::FromUnixMicros(row[8].as<int64_t>());
  return info;
}

pqxx::result SelectRef(pqxx::work& tx, const ObjectRef& ref, const char* columns, bool lock) {
  return tx.exec_params(fmt::format("SELECT {} FROM objects WHERE {}{}", columns, kRefMatch,
                                    lock ? " FOR UPDATE" : ""),
                        static_cast<int>(ref.scope), ref.namespace_id, ref.pipeline_id, ref.run_id,
                        ref.extension_id, ref.key);
}

// Serialises blob linking and collection of one digest across every replica.
void LockBlob(pqxx::work& tx, const std::string& sha256) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", sha256);
}

// Serialises commits to one ref across replicas. Without it, two writers that both find the
// ref absent both insert: the second upsert overwrites the first's row without releasing its
// blob (a leaked reference) and without honouring force = false. Seed 1 keeps these keys apart
// from the blob locks.
void LockRef(pqxx::work& tx, const ObjectRef& ref) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))",
                 fmt::format("{}/{}/{}/{}/{}/{}", static_cast<int>(ref.scope), ref.namespace_id,
                             ref.pipeline_id, ref.run_id, ref.extension_id, ref.key));
}

// Adds one reference to `digest` (creating its row) and links the blob into place. Returns
// whether the blob was stored before.
absl::StatusOr<bool> Reference(pqxx::work& tx, const BlobDigest& digest, BlobWriter& writer) {
  LockBlob(tx, digest.sha256);
  const pqxx::row row = tx.exec_params1(
      "INSERT INTO blobs (sha256, size, refcount) VALUES ($1, $2, 1) "
      "ON CONFLICT (sha256) DO UPDATE SET refcount = blobs.refcount + 1, unreferenced_since = NULL "
      "RETURNING (xmax = 0)",
      digest.sha256, digest.size);
  // Link even when the row existed: it may have been collected and re-created meanwhile.
  if (absl::Status s = writer.Commit(); !s.ok()) {
    return s;  // the transaction rolls back; the reference is not recorded
  }
  return !row[0].as<bool>();
}

void Release(pqxx::work& tx, const std::string& sha256, int64_t count = 1) {
  tx.exec_params(
      "UPDATE blobs SET refcount = refcount - $2, "
      "unreferenced_since = CASE WHEN refcount - $2 = 0 THEN now() ELSE NULL END "
      "WHERE sha256 = $1",
      sha256, count);
}

void AppendEvent(pqxx::work& tx, const events::Outbox& outbox, const char* kind,
                 const ObjectRef& ref, const Actor& actor, const std::string& details = "{}") {
  if (ref.scope == Scope::kTaskLog) {
    return;  // log chunks are written continuously; runs report their logs through task events
  }
  outbox.Append(tx, {.kind = kind,
                     .namespace_id = ref.namespace_id,
                     .pipeline_id = ref.pipeline_id,
                     .run_id = ref.run_id,
                     .actor = actor.name,
                     .details = details});
}

std::string EventDetails(const ObjectRef& ref, const std::string& sha256, int64_t size) {
  return fmt::format(R"({{"key":"{}","scope":{},"extension_id":"{}","sha256":"{}","size":{}}})",
                     ref.key, static_cast<int>(ref.scope), ref.extension_id, sha256, size);
}

std::vector<ObjectRef> EvictOldest(pqxx::work& tx, const ObjectRef& ref, int64_t limit) {
  std::vector<ObjectRef> evicted;
  const pqxx::result rows = tx.exec_params(
      fmt::format("DELETE FROM objects WHERE id IN (SELECT id FROM objects WHERE scope = 1 AND "
                  "namespace_id = $1 AND pipeline_id = $2 ORDER BY created DESC, id DESC "
                  "OFFSET $3) RETURNING {}, id",
                  kInfoColumns),
      ref.namespace_id, ref.pipeline_id, limit);
  std::vector<std::pair<int64_t, ObjectInfo>> ordered;
  for (const auto& row : rows) {
    ordered.emplace_back(row[9].as<int64_t>(), InfoFromRow(row));
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return a.second.created != b.second.created ? a.second.created < b.second.created
                                                : a.first < b.first;
  });
  for (const auto& [id, info] : ordered) {
    Release(tx, info.sha256);
    evicted.push_back(info.ref);
  }
  return evicted;
}

}  // namespace

absl::StatusOr<std::optional<ObjectInfo>> ObjectCatalog::Lookup(const ObjectRef& ref) {
  return pg::TransactValue<std::optional<ObjectInfo>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::optional<ObjectInfo>> {
        const pqxx::result rows = SelectRef(tx, ref, kInfoColumns, false);
        if (rows.empty()) {
          return std::optional<ObjectInfo>();
        }
        return std::optional<ObjectInfo>(InfoFromRow(rows[0]));
      },
      {.read_only = true});
}

absl::StatusOr<CommitResult> ObjectCatalog::CommitObject(const ObjectRef& ref,
                                                         const BlobDigest& digest,
                                                         BlobWriter& writer, bool force,
                                                         int64_t pipeline_limit, const Actor& actor,
                                                         const std::string& finish_upload_id) {
  return pg::TransactValue<CommitResult>(
      pool_, [&](pqxx::work& tx) -> absl::StatusOr<CommitResult> {
        CommitResult result;
        if (!finish_upload_id.empty() &&
            tx.exec_params("SELECT 1 FROM uploads WHERE id = $1 AND expires_at > now() FOR UPDATE",
                           finish_upload_id)
                .empty()) {
          return NotFoundError("upload",
                               finish_upload_id);  // aborted, expired or completed meanwhile
        }
        LockRef(tx, ref);
        const pqxx::result existing = SelectRef(tx, ref, "id, sha256", true);
        if (!existing.empty() && !force) {
          return WithErrorInfo(
              absl::AlreadyExistsError(Describe(ref) + " already exists (use force to replace it)"),
              ErrorReason::kResourceExists, {{"resource", "object"}, {"key", ref.key}});
        }
        absl::StatusOr<bool> stored_before = Reference(tx, digest, writer);
        if (!stored_before.ok()) {
          return stored_before.status();
        }
        result.deduplicated = *stored_before;
        const pqxx::row row = tx.exec_params1(
            fmt::format(
                "INSERT INTO objects (scope, namespace_id, pipeline_id, run_id, extension_id, "
                "key, sha256, size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT (scope, namespace_id, pipeline_id, run_id, extension_id, key) "
                "DO UPDATE SET sha256 = EXCLUDED.sha256, size = EXCLUDED.size, created = now() "
                "RETURNING {}",
                kInfoColumns),
            static_cast<int>(ref.scope), ref.namespace_id, ref.pipeline_id, ref.run_id,
            ref.extension_id, ref.key, digest.sha256, digest.size);
        result.info = InfoFromRow(row);
        if (!existing.empty()) {
          Release(tx, existing[0][1].as<std::string>());
        }
        if (ref.scope == Scope::kPipeline && pipeline_limit > 0) {
          result.evicted = EvictOldest(tx, ref, pipeline_limit);
        }
        if (!finish_upload_id.empty()) {
          for (const auto& part :
               tx.exec_params("DELETE FROM upload_parts WHERE upload_id = $1 RETURNING sha256",
                              finish_upload_id)) {
            Release(tx, part[0].as<std::string>());
          }
          tx.exec_params("DELETE FROM uploads WHERE id = $1", finish_upload_id);
        }
        AppendEvent(tx, outbox_, "object.put", ref, actor,
                    EventDetails(ref, digest.sha256, digest.size));
        for (const ObjectRef& gone : result.evicted) {
          AppendEvent(tx, outbox_, "object.evicted", gone, actor, EventDetails(gone, "", 0));
        }
        return result;
      });
}

absl::Status ObjectCatalog::Delete(const ObjectRef& ref, const Actor& actor) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    const pqxx::result rows = tx.exec_params(
        fmt::format("DELETE FROM objects WHERE {} RETURNING sha256, size", kRefMatch),
        static_cast<int>(ref.scope), ref.namespace_id, ref.pipeline_id, ref.run_id,
        ref.extension_id, ref.key);
    if (rows.empty()) {
      return ObjectNotFound(ref);
    }
    Release(tx, rows[0][0].as<std::string>());
    AppendEvent(tx, outbox_, "object.deleted", ref, actor,
                EventDetails(ref, rows[0][0].as<std::string>(), rows[0][1].as<int64_t>()));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ObjectInfo>> ObjectCatalog::List(const ObjectRef& owner,
                                                            const std::string& prefix,
                                                            const std::string& after, int limit) {
  return pg::TransactValue<std::vector<ObjectInfo>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<ObjectInfo>> {
        std::vector<ObjectInfo> out;
        const pqxx::result rows = tx.exec_params(
            fmt::format(
                "SELECT {} FROM objects WHERE scope = $1 AND namespace_id = $2 AND "
                "pipeline_id = $3 AND run_id = $4 AND extension_id = $5 AND key COLLATE \"C\" > $6 "
                "AND starts_with(key, $7) ORDER BY key COLLATE \"C\" LIMIT $8",
                kInfoColumns),
            static_cast<int>(owner.scope), owner.namespace_id, owner.pipeline_id, owner.run_id,
            owner.extension_id, after, prefix, limit);
        for (const auto& row : rows) {
          out.push_back(InfoFromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<int64_t> ObjectCatalog::DeleteRunObjects(const std::string& namespace_id,
                                                        const std::string& pipeline_id,
                                                        int64_t up_to_run_id,
                                                        bool include_task_logs,
                                                        const Actor& actor) {
  return pg::TransactValue<int64_t>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    const pqxx::result rows = tx.exec_params(
        "WITH gone AS (DELETE FROM objects WHERE namespace_id = $1 AND pipeline_id = $2 AND "
        "run_id <= $3 AND (scope = 2 OR (scope = 4 AND $4)) RETURNING sha256) "
        "SELECT sha256, count(*) FROM gone GROUP BY sha256",
        namespace_id, pipeline_id, up_to_run_id, include_task_logs);
    int64_t deleted = 0;
    for (const auto& row : rows) {
      Release(tx, row[0].as<std::string>(), row[1].as<int64_t>());
      deleted += row[1].as<int64_t>();
    }
    if (deleted > 0) {
      outbox_.Append(tx, {.kind = "object.run_objects_expired",
                          .namespace_id = namespace_id,
                          .pipeline_id = pipeline_id,
                          .actor = actor.name,
                          .details = fmt::format(R"({{"up_to_run_id":{},"deleted":{}}})",
                                                 up_to_run_id, deleted)});
    }
    return deleted;
  });
}

absl::StatusOr<int> ObjectCatalog::CollectGarbage(BlobStore& blobs, absl::Duration grace,
                                                  int limit) {
  auto candidates = pg::TransactValue<std::vector<std::string>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> out;
        for (const auto& row : tx.exec_params(
                 "SELECT sha256 FROM blobs WHERE refcount = 0 AND unreferenced_since <= "
                 "now() - make_interval(secs => $1) ORDER BY unreferenced_since LIMIT $2",
                 absl::ToDoubleSeconds(grace), limit)) {
          out.push_back(row[0].as<std::string>());
        }
        return out;
      },
      {.read_only = true});
  if (!candidates.ok()) {
    return candidates.status();
  }
  int collected = 0;
  for (const std::string& sha : *candidates) {
    bool deleted = false;
    absl::Status s = pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
      deleted = false;
      LockBlob(tx, sha);
      // Re-checked under the lock: a writer may have referenced it since.
      if (tx.exec_params("DELETE FROM blobs WHERE sha256 = $1 AND refcount = 0 RETURNING 1", sha)
              .empty()) {
        return absl::OkStatus();
      }
      deleted = true;
      return blobs.Delete(sha);  // an error rolls the row back: retried next round
    });
    if (!s.ok()) {
      return s;
    }
    collected += deleted ? 1 : 0;
  }
  return collected;
}

absl::Status ObjectCatalog::CreateUpload(const Upload& u) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(
        "INSERT INTO uploads (id, scope, namespace_id, pipeline_id, run_id, extension_id, key, "
        "force, size, sha256, part_size, part_count, expires_at) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7, $8, $9, $10, $11, $12, to_timestamp($13::double precision / 1000000))",
        u.id, static_cast<int>(u.ref.scope), u.ref.namespace_id, u.ref.pipeline_id, u.ref.run_id,
        u.ref.extension_id, u.ref.key, u.force, u.size, u.sha256, u.part_size, u.part_count,
        absl::ToUnixMicros(u.expires));
    return absl::OkStatus();
  });
}

absl::StatusOr<Upload> ObjectCatalog::GetUpload(const std::string& id) {
  return pg::TransactValue<Upload>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<Upload> {
        const pqxx::result rows = tx.exec_params(
            "SELECT scope, namespace_id, pipeline_id, run_id, extension_id, key, force, size, "
            "sha256, part_size, part_count, (extract(epoch FROM expires_at) * 1000000)::bigint "
            "FROM uploads WHERE id = $1 AND expires_at > now()",
            id);
        if (rows.empty()) {
          return NotFoundError("upload", id);
        }
        const pqxx::row r = rows[0];
        Upload u{.id = id,
                 .ref = {static_cast<Scope>(r[0].as<int>()), r[1].as<std::string>(),
                         r[2].as<std::string>(), r[3].as<int64_t>(), r[4].as<std::string>(),
                         r[5].as<std::string>()},
                 .force = r[6].as<bool>(),
                 .size = r[7].as<int64_t>(),
                 .sha256 = r[8].as<std::string>(),
                 .part_size = r[9].as<int64_t>(),
                 .part_count = r[10].as<int>(),
                 .expires = absl::FromUnixMicros(r[11].as<int64_t>())};
        for (const auto& part : tx.exec_params(
                 "SELECT part_number, sha256, size FROM upload_parts WHERE upload_id = $1 "
                 "ORDER BY part_number",
                 id)) {
          u.received_parts.push_back(part[0].as<int>());
          u.part_blobs.push_back({part[1].as<std::string>(), part[2].as<int64_t>()});
        }
        return u;
      },
      {.read_only = true});
}

absl::Status ObjectCatalog::RecordPart(const std::string& id, int part_number,
                                       const BlobDigest& digest, BlobWriter& writer) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    if (tx.exec_params("SELECT 1 FROM uploads WHERE id = $1 AND expires_at > now() FOR UPDATE", id)
            .empty()) {
      return NotFoundError("upload", id);
    }
    if (absl::StatusOr<bool> referenced = Reference(tx, digest, writer); !referenced.ok()) {
      return referenced.status();
    }
    const pqxx::result old =
        tx.exec_params("SELECT sha256 FROM upload_parts WHERE upload_id = $1 AND part_number = $2",
                       id, part_number);
    tx.exec_params(
        "INSERT INTO upload_parts (upload_id, part_number, sha256, size) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (upload_id, part_number) DO UPDATE SET sha256 = EXCLUDED.sha256, "
        "size = EXCLUDED.size",
        id, part_number, digest.sha256, digest.size);
    if (!old.empty()) {
      Release(tx, old[0][0].as<std::string>());
    }
    return absl::OkStatus();
  });
}

absl::Status ObjectCatalog::DeleteUpload(const std::string& id) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    for (const auto& part :
         tx.exec_params("DELETE FROM upload_parts WHERE upload_id = $1 RETURNING sha256", id)) {
      Release(tx, part[0].as<std::string>());
    }
    if (tx.exec_params("DELETE FROM uploads WHERE id = $1 RETURNING 1", id).empty()) {
      return NotFoundError("upload", id);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int> ObjectCatalog::ExpireUploads(int limit) {
  auto expired = pg::TransactValue<std::vector<std::string>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> ids;
        for (const auto& row : tx.exec_params(
                 "SELECT id FROM uploads WHERE expires_at <= now() ORDER BY expires_at LIMIT $1",
                 limit)) {
          ids.push_back(row[0].as<std::string>());
        }
        return ids;
      },
      {.read_only = true});
  if (!expired.ok()) {
    return expired.status();
  }
  int count = 0;
  for (const std::string& id : *expired) {
    absl::Status s = DeleteUpload(id);
    if (s.ok()) {
      ++count;
    } else if (!absl::IsNotFound(s)) {
      return s;
    }
  }
  return count;
}

}  // namespace gofer::object_store
