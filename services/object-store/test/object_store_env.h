// The object store's real dependencies for one test case: fresh Postgres schemas for objects
// and events (migrated), a FilesystemBlobStore in a temporary directory, the catalog and an
// ObjectManager, plus helpers to put, read and inspect what is stored.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "filesystem_blob_store.h"
#include "gofer/common/clock.h"
#include "gofer/common/id_generator.h"
#include "gofer/events/outbox.h"
#include "gofer/testing/fixtures.h"
#include "object_catalog.h"
#include "object_manager.h"
#include "temp_dir.h"

namespace gofer::object_store::testing {

// Limits small enough for fast tests: 64 KiB objects (16 KiB task logs), 4 KiB parts, a
// generous pipeline limit and no GC grace.
Limits SmallLimits();

// Refs in namespace "team-a", pipeline "build" (run objects of run `run_id`).
ObjectRef PipelineRef(const std::string& key, const std::string& pipeline_id = "build");
ObjectRef RunRef(const std::string& key, int64_t run_id = 1, Scope scope = Scope::kRun);
ObjectRef ExtensionRef(const std::string& key);

class ObjectStoreEnv {
 public:
  // The manager's clock starts at `clock_start` (the real time by default; expiry of uploads
  // is compared with the database's clock).
  explicit ObjectStoreEnv(Limits limits = SmallLimits(), absl::Time clock_start = absl::Now());

  ObjectManager& manager() { return *manager_; }
  ObjectCatalog& catalog() { return *catalog_; }
  FilesystemBlobStore& blobs() { return *blobs_; }
  pg::Pool& pool() { return *pool_; }
  FakeClock& clock() { return clock_; }
  IdGenerator& ids() { return ids_; }
  const std::string& root() const { return dir_.path(); }

  // Stores `content` at `ref` in chunks of at most `chunk` bytes; the put's result or error.
  absl::StatusOr<CommitResult> TryPut(const ObjectRef& ref, const std::string& content,
                                      bool force = false, int64_t size = -1,
                                      const std::string& sha256 = "", size_t chunk = 1000);
  // TryPut that must succeed.
  CommitResult Put(const ObjectRef& ref, const std::string& content, bool force = false);

  // Bytes [offset, offset + length) of `ref`, read in steps of `step` bytes.
  absl::StatusOr<std::string> TryRead(const ObjectRef& ref, int64_t offset = 0, int64_t length = 0,
                                      size_t step = 777);
  std::string Read(const ObjectRef& ref, int64_t offset = 0, int64_t length = 0);

  // The refcount of blob `sha256` in the catalog, or -1 when it has no row.
  int64_t Refcount(const std::string& sha256);
  // The single integer that `sql` selects (in the objects schema).
  int64_t QueryInt(const std::string& sql);
  // Blobs whose refcount differs from the objects and upload parts referencing them (the
  // catalog's invariant; should be 0).
  int64_t RefcountMismatches();

  // Blob files on disk, and temporary files of writers in progress.
  int BlobFiles() const { return CountFiles(root() + "/blobs"); }
  int TempFiles() const { return CountFiles(root() + "/tmp"); }

  // Waits until `n` events of kind `kind` are readable, then returns every such event in
  // delivery order (fails the test after a generous timeout).
  std::vector<events::Event> EventsOfKind(const std::string& kind, size_t n);
  // The value of `field` in an event's details (a JSON object), as text.
  static std::string DetailOf(const events::Event& event, const std::string& field);

 private:
  TempDir dir_;
  gofer::testing::PgTestSchema objects_schema_{"objects"};
  gofer::testing::PgTestSchema events_schema_{"events"};
  std::unique_ptr<pg::Pool> pool_;
  events::Outbox outbox_;
  std::unique_ptr<FilesystemBlobStore> blobs_;
  FakeClock clock_;
  SequentialIdGenerator ids_{"upload"};
  std::unique_ptr<ObjectCatalog> catalog_;
  std::unique_ptr<ObjectManager> manager_;
};

}  // namespace gofer::object_store::testing
