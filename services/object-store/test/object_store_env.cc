#include "object_store_env.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/transaction>

#include <algorithm>

#include "config.h"
#include "gofer/pg/migrations.h"
#include "gofer/pg/transaction.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"

namespace gofer::object_store::testing {

Limits SmallLimits() {
  return {.max_pipeline_object_bytes = 64 << 10,
          .max_run_object_bytes = 64 << 10,
          .max_extension_object_bytes = 64 << 10,
          .max_task_log_object_bytes = 16 << 10,
          .pipeline_objects = 100,
          .part_size = 4096,
          .upload_ttl = absl::Hours(1),
          .gc_grace = absl::ZeroDuration()};
}

ObjectRef PipelineRef(const std::string& key, const std::string& pipeline_id) {
  return {Scope::kPipeline, "team-a", pipeline_id, 0, "", key};
}

ObjectRef RunRef(const std::string& key, int64_t run_id, Scope scope) {
  return {scope, "team-a", "build", run_id, "", key};
}

ObjectRef ExtensionRef(const std::string& key) {
  return {Scope::kExtension, "", "", 0, "ext-cron", key};
}

ObjectStoreEnv::ObjectStoreEnv(Limits limits, absl::Time clock_start)
    : pool_(objects_schema_.MakePool(12)), outbox_(events_schema_.name()), clock_(clock_start) {
  GOFER_REQUIRE_OK(
      pg::ApplyMigrations(*pool_, gofer::ObjectStoreMigrations(), objects_schema_.name()));
  GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool_, gofer::EventsMigrations(), events_schema_.name()));
  auto blobs = FilesystemBlobStore::Create(dir_.path());
  GOFER_REQUIRE_OK(blobs);
  blobs_ = *std::move(blobs);
  catalog_ = std::make_unique<ObjectCatalog>(*pool_, outbox_);
  manager_ = std::make_unique<ObjectManager>(*catalog_, *blobs_, clock_, ids_, limits);
}

absl::StatusOr<CommitResult> ObjectStoreEnv::TryPut(const ObjectRef& ref,
                                                    const std::string& content, bool force,
                                                    int64_t size, const std::string& sha256,
                                                    size_t chunk) {
  auto session = manager_->BeginPut({ref, force, size, sha256}, {"token:test"});
  if (!session.ok()) {
    return session.status();
  }
  for (size_t at = 0; at < content.size(); at += chunk) {
    if (absl::Status s = (*session)->Append(std::string_view(content).substr(at, chunk)); !s.ok()) {
      return s;
    }
  }
  return (*session)->Finish();
}

CommitResult ObjectStoreEnv::Put(const ObjectRef& ref, const std::string& content, bool force) {
  auto result = TryPut(ref, content, force);
  GOFER_REQUIRE_OK(result);
  return *std::move(result);
}

absl::StatusOr<std::string> ObjectStoreEnv::TryRead(const ObjectRef& ref, int64_t offset,
                                                    int64_t length, size_t step) {
  auto read = manager_->Open(ref, offset, length);
  if (!read.ok()) {
    return read.status();
  }
  std::string all;
  std::string piece;
  while (true) {
    if (absl::Status s = (*read)->Next(step, &piece); !s.ok()) {
      return s;
    }
    if (piece.empty()) {
      return all;
    }
    all += piece;
  }
}

std::string ObjectStoreEnv::Read(const ObjectRef& ref, int64_t offset, int64_t length) {
  auto content = TryRead(ref, offset, length);
  GOFER_REQUIRE_OK(content);
  return *std::move(content);
}

int64_t ObjectStoreEnv::QueryInt(const std::string& sql) {
  auto value = pg::TransactValue<int64_t>(*pool_, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return tx.exec1(sql)[0].as<int64_t>();
  });
  GOFER_REQUIRE_OK(value);
  return *value;
}

int64_t ObjectStoreEnv::Refcount(const std::string& sha256) {
  REQUIRE(IsSha256Hex(sha256));
  return QueryInt("SELECT coalesce((SELECT refcount FROM blobs WHERE sha256 = '" + sha256 +
                  "'), -1)");
}

int64_t ObjectStoreEnv::RefcountMismatches() {
  return QueryInt(
      "SELECT count(*) FROM blobs b WHERE b.refcount <> "
      "(SELECT count(*) FROM objects o WHERE o.sha256 = b.sha256) + "
      "(SELECT count(*) FROM upload_parts p WHERE p.sha256 = b.sha256)");
}

std::vector<events::Event> ObjectStoreEnv::EventsOfKind(const std::string& kind, size_t n) {
  std::vector<events::Event> found;
  const bool ready = gofer::testing::Eventually([&] {
    auto page = outbox_.Read(*pool_, {}, {.kind = kind}, 1000);
    GOFER_REQUIRE_OK(page);
    found = page->events;
    return found.size() >= n;
  });
  INFO("events of kind " << kind << ": " << found.size() << ", expected " << n);
  REQUIRE(ready);
  return found;
}

std::string ObjectStoreEnv::DetailOf(const events::Event& event, const std::string& field) {
  const nlohmann::json details = nlohmann::json::parse(event.details);
  const nlohmann::json& value = details.at(field);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace gofer::object_store::testing
