// ObjectManager on real Postgres and a FilesystemBlobStore: round trips, ranges, force,
// checksums, size limits, dedupe, garbage collection, pipeline eviction and events. Each test
// case has fresh schemas and a fresh blob root.
#include "object_manager.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gofer/common/errors.h"
#include "gofer/testing/status.h"
#include "object_store_env.h"
#include "sha256_hasher.h"

namespace gofer::object_store {
namespace {

using testing::ExtensionRef;
using testing::ObjectStoreEnv;
using testing::PatternBytes;
using testing::PipelineRef;
using testing::RunRef;
using testing::Sha256Hex;

std::vector<std::string> FieldsOf(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    fields.push_back(v.field);
  }
  return fields;
}

std::vector<std::string> KeysOf(const std::vector<ObjectRef>& refs) {
  std::vector<std::string> keys;
  for (const ObjectRef& ref : refs) {
    keys.push_back(ref.key);
  }
  return keys;
}

}  // namespace

TEST_CASE("A stored object round-trips through Stat and Open") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(20000, 1);
  const absl::Time before = absl::Now();
  const CommitResult put = env.Put(PipelineRef("dist/app.tar"), content);
  REQUIRE(put.info.ref == PipelineRef("dist/app.tar"));
  REQUIRE(put.info.size == 20000);
  REQUIRE(put.info.sha256 == Sha256Hex(content));
  REQUIRE_FALSE(put.deduplicated);
  REQUIRE(put.evicted.empty());

  auto info = env.manager().Stat(PipelineRef("dist/app.tar"));
  GOFER_REQUIRE_OK(info);
  REQUIRE(info->sha256 == put.info.sha256);
  REQUIRE(info->size == 20000);
  REQUIRE(info->created >= before - absl::Minutes(1));
  REQUIRE(env.Read(PipelineRef("dist/app.tar")) == content);
  REQUIRE(env.BlobFiles() == 1);
  REQUIRE(env.TempFiles() == 0);
  REQUIRE(env.Refcount(put.info.sha256) == 1);
  GOFER_REQUIRE_CODE(env.manager().Stat(PipelineRef("missing")), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(env.manager().Open(PipelineRef("missing"), 0, 0), absl::StatusCode::kNotFound);
}

TEST_CASE("Empty objects and objects of every scope are stored and read back") {
  ObjectStoreEnv env;
  env.Put(RunRef("empty.txt"), "");
  REQUIRE(env.Read(RunRef("empty.txt")).empty());
  env.Put(RunRef("log-0001", 3, Scope::kTaskLog), "task output");
  REQUIRE(env.Read(RunRef("log-0001", 3, Scope::kTaskLog)) == "task output");
  env.Put(ExtensionRef("state.json"), "{}");
  REQUIRE(env.Read(ExtensionRef("state.json")) == "{}");
}

TEST_CASE("Range reads return exactly the requested bytes") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(10000, 2);
  const ObjectRef ref = RunRef("data.bin");
  env.Put(ref, content);
  REQUIRE(env.Read(ref, 100, 50) == content.substr(100, 50));
  REQUIRE(env.Read(ref, 0, 1) == content.substr(0, 1));
  REQUIRE(env.Read(ref, 5000, 0) == content.substr(5000));           // length 0: to the end
  REQUIRE(env.Read(ref, 9990, 100) == content.substr(9990));         // clipped at the end
  REQUIRE(env.Read(ref, 1234, 5000) == content.substr(1234, 5000));  // several steps
  REQUIRE(env.Read(ref, 10000, 0).empty());                          // offset == size
  REQUIRE(env.Read(ref, 10000, 10).empty());
  GOFER_REQUIRE_CODE(env.manager().Open(ref, 10001, 0), absl::StatusCode::kOutOfRange);
  GOFER_REQUIRE_CODE(env.manager().Open(ref, -1, 0), absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(env.manager().Open(ref, 0, -1), absl::StatusCode::kInvalidArgument);
}

TEST_CASE("An existing object is refused without force before any byte and replaced with it") {
  ObjectStoreEnv env;
  const ObjectRef ref = PipelineRef("report.html");
  const CommitResult first = env.Put(ref, "version 1");

  auto refused = env.manager().BeginPut({ref, /*force=*/false, -1, ""}, {"token:test"});
  GOFER_REQUIRE_CODE(refused, absl::StatusCode::kAlreadyExists);
  REQUIRE(GetErrorDetails(refused.status()).reason == "RESOURCE_EXISTS");
  REQUIRE(env.TempFiles() == 0);  // refused before a blob writer was opened

  const CommitResult second = env.Put(ref, "version 2", /*force=*/true);
  REQUIRE(env.Read(ref) == "version 2");
  REQUIRE(env.Refcount(second.info.sha256) == 1);
  REQUIRE(env.Refcount(first.info.sha256) == 0);
  REQUIRE(env.RefcountMismatches() == 0);
}

TEST_CASE("A declared size that the content does not match is rejected and nothing is stored") {
  ObjectStoreEnv env;
  const ObjectRef ref = PipelineRef("sized.bin");
  const std::string content = PatternBytes(3000, 3);

  const auto too_short = env.TryPut(ref, content, false, 3001);
  GOFER_REQUIRE_CODE(too_short, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(too_short.status()) == std::vector<std::string>{"size"});
  const auto too_long = env.TryPut(ref, content, false, 2999);
  GOFER_REQUIRE_CODE(too_long, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(too_long.status()) == std::vector<std::string>{"size"});

  GOFER_REQUIRE_CODE(env.manager().Stat(ref), absl::StatusCode::kNotFound);
  REQUIRE(env.QueryInt("SELECT count(*) FROM blobs") == 0);
  REQUIRE(env.BlobFiles() == 0);
  REQUIRE(env.TempFiles() == 0);
  GOFER_REQUIRE_OK(env.TryPut(ref, content, false, 3000));
}

TEST_CASE("A SHA-256 that the content does not match is rejected and nothing is stored") {
  ObjectStoreEnv env;
  const ObjectRef ref = PipelineRef("checked.bin");
  const std::string content = PatternBytes(5000, 4);

  const auto mismatch = env.TryPut(ref, content, false, 5000, Sha256Hex("other content"));
  GOFER_REQUIRE_CODE(mismatch, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(mismatch.status()) == std::vector<std::string>{"sha256"});
  GOFER_REQUIRE_CODE(env.manager().Stat(ref), absl::StatusCode::kNotFound);
  REQUIRE(env.QueryInt("SELECT count(*) FROM blobs") == 0);
  REQUIRE(env.BlobFiles() == 0);
  REQUIRE(env.TempFiles() == 0);

  const auto malformed = env.TryPut(ref, content, false, 5000, "ABC");
  GOFER_REQUIRE_CODE(malformed, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(malformed.status()) == std::vector<std::string>{"sha256"});

  const auto matching = env.TryPut(ref, content, false, 5000, Sha256Hex(content));
  GOFER_REQUIRE_OK(matching);
  REQUIRE(matching->info.sha256 == Sha256Hex(content));
}

TEST_CASE("An invalid ref is INVALID_ARGUMENT naming every broken field") {
  ObjectStoreEnv env;
  const ObjectRef bad{Scope::kRun, "Team A", "build", 0, "", "../escape"};
  const auto refused = env.manager().BeginPut({bad, false, -2, "xyz"}, {"token:test"});
  GOFER_REQUIRE_CODE(refused, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(refused.status()) ==
          std::vector<std::string>{"ref.namespace_id", "ref.run_id", "ref.key", "sha256", "size"});
}

TEST_CASE("An object over its scope's size limit is RESOURCE_EXHAUSTED with LIMIT_EXCEEDED") {
  ObjectStoreEnv env;  // 64 KiB per object, 16 KiB per task-log object
  const std::string limit_sized = PatternBytes(64 << 10, 5);
  GOFER_REQUIRE_OK(env.TryPut(PipelineRef("at-limit"), limit_sized));

  const auto streamed = env.TryPut(PipelineRef("over-limit"), limit_sized + "x");
  GOFER_REQUIRE_CODE(streamed, absl::StatusCode::kResourceExhausted);
  const ErrorDetails details = GetErrorDetails(streamed.status());
  REQUIRE(details.reason == "LIMIT_EXCEEDED");
  REQUIRE(details.metadata.at("limit_bytes") == std::to_string(64 << 10));

  auto declared =
      env.manager().BeginPut({PipelineRef("declared"), false, (64 << 10) + 1, ""}, {"token:test"});
  GOFER_REQUIRE_CODE(declared, absl::StatusCode::kResourceExhausted);
  REQUIRE(GetErrorDetails(declared.status()).reason == "LIMIT_EXCEEDED");

  const auto log = env.TryPut(RunRef("log", 1, Scope::kTaskLog), PatternBytes((16 << 10) + 1));
  GOFER_REQUIRE_CODE(log, absl::StatusCode::kResourceExhausted);

  GOFER_REQUIRE_CODE(env.manager().Stat(PipelineRef("over-limit")), absl::StatusCode::kNotFound);
  REQUIRE(env.BlobFiles() == 1);
  REQUIRE(env.TempFiles() == 0);
}

TEST_CASE("Two keys with the same bytes share one blob") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(30000, 6);
  const CommitResult first = env.Put(PipelineRef("a.bin"), content);
  const CommitResult second = env.Put(RunRef("b.bin"), content);
  REQUIRE_FALSE(first.deduplicated);
  REQUIRE(second.deduplicated);
  REQUIRE(first.info.sha256 == second.info.sha256);
  REQUIRE(env.BlobFiles() == 1);
  REQUIRE(env.TempFiles() == 0);
  REQUIRE(env.QueryInt("SELECT count(*) FROM blobs") == 1);
  REQUIRE(env.Refcount(first.info.sha256) == 2);
  REQUIRE(env.Read(PipelineRef("a.bin")) == content);
  REQUIRE(env.Read(RunRef("b.bin")) == content);
}

TEST_CASE("A blob is collected once its objects are deleted and the grace period passed") {
  ObjectStoreEnv env;  // gc_grace 0
  Limits patient = testing::SmallLimits();
  patient.gc_grace = absl::Hours(1);
  ObjectManager lazy(env.catalog(), env.blobs(), env.clock(), env.ids(), patient);
  const std::string content = PatternBytes(8000, 7);
  const std::string sha = env.Put(PipelineRef("one"), content).info.sha256;
  env.Put(PipelineRef("two"), content);

  GOFER_REQUIRE_OK(env.manager().Delete(PipelineRef("one"), {"token:test"}));
  REQUIRE(env.Refcount(sha) == 1);
  auto stats = env.manager().CollectGarbage();
  GOFER_REQUIRE_OK(stats);
  REQUIRE(stats->blobs_collected == 0);  // still referenced by "two"
  GOFER_REQUIRE_OK(env.manager().Delete(PipelineRef("two"), {"token:test"}));
  REQUIRE(env.Refcount(sha) == 0);
  GOFER_REQUIRE_CODE(env.manager().Delete(PipelineRef("two"), {"token:test"}),
                     absl::StatusCode::kNotFound);

  auto too_early = lazy.CollectGarbage();
  GOFER_REQUIRE_OK(too_early);
  REQUIRE(too_early->blobs_collected == 0);
  REQUIRE(env.Refcount(sha) == 0);
  REQUIRE(env.BlobFiles() == 1);

  auto collected = env.manager().CollectGarbage();
  GOFER_REQUIRE_OK(collected);
  REQUIRE(collected->blobs_collected == 1);
  REQUIRE(env.Refcount(sha) == -1);
  REQUIRE(env.BlobFiles() == 0);
  auto exists = env.blobs().Exists(sha);
  GOFER_REQUIRE_OK(exists);
  REQUIRE_FALSE(*exists);

  env.Put(PipelineRef("three"), content);  // the same bytes again after collection
  REQUIRE(env.Read(PipelineRef("three")) == content);
}

TEST_CASE("Storing past the pipeline limit evicts the oldest objects in order") {
  Limits limits = testing::SmallLimits();
  limits.pipeline_objects = 3;
  ObjectStoreEnv env(limits);
  std::vector<std::string> evicted;
  std::vector<std::string> shas;
  for (int i = 1; i <= 5; ++i) {
    const CommitResult put = env.Put(PipelineRef("k" + std::to_string(i)), PatternBytes(100, i));
    shas.push_back(put.info.sha256);
    for (const std::string& key : KeysOf(put.evicted)) {
      evicted.push_back(key);
    }
    REQUIRE(put.evicted.size() == (i <= 3 ? 0u : 1u));
  }
  REQUIRE(evicted == std::vector<std::string>{"k1", "k2"});
  GOFER_REQUIRE_CODE(env.manager().Stat(PipelineRef("k1")), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(env.manager().Stat(PipelineRef("k2")), absl::StatusCode::kNotFound);
  for (const char* key : {"k3", "k4", "k5"}) {
    GOFER_REQUIRE_OK(env.manager().Stat(PipelineRef(key)));
  }
  REQUIRE(env.Refcount(shas[0]) == 0);
  REQUIRE(env.Refcount(shas[1]) == 0);
  REQUIRE(env.RefcountMismatches() == 0);

  const auto events = env.EventsOfKind("object.evicted", 2);
  REQUIRE(events.size() == 2);
  REQUIRE(ObjectStoreEnv::DetailOf(events[0], "key") == "k1");
  REQUIRE(ObjectStoreEnv::DetailOf(events[1], "key") == "k2");
  REQUIRE(events[0].pipeline_id == "build");

  // Other pipelines and other scopes do not count against "build".
  env.Put(PipelineRef("k1", "deploy"), "x");
  env.Put(RunRef("k1"), "y");
  GOFER_REQUIRE_OK(env.manager().Stat(PipelineRef("k3")));
}

TEST_CASE("A put over a lowered pipeline limit evicts several objects oldest first") {
  ObjectStoreEnv env;  // limit 100
  for (int i = 1; i <= 5; ++i) {
    env.Put(PipelineRef("old-" + std::to_string(i)), PatternBytes(64, 10 + i));
  }
  env.Put(PipelineRef("old-2"), PatternBytes(64, 99), /*force=*/true);  // now the newest
  Limits lowered = testing::SmallLimits();
  lowered.pipeline_objects = 3;
  ObjectManager strict(env.catalog(), env.blobs(), env.clock(), env.ids(), lowered);
  auto session = strict.BeginPut({PipelineRef("new"), false, -1, ""}, {"token:test"});
  GOFER_REQUIRE_OK(session);
  GOFER_REQUIRE_OK((*session)->Append("newest"));
  auto put = (*session)->Finish();
  GOFER_REQUIRE_OK(put);
  REQUIRE(KeysOf(put->evicted) == std::vector<std::string>{"old-1", "old-3", "old-4"});
  const auto events = env.EventsOfKind("object.evicted", 3);
  REQUIRE(ObjectStoreEnv::DetailOf(events[0], "key") == "old-1");
  REQUIRE(ObjectStoreEnv::DetailOf(events[2], "key") == "old-4");
}

TEST_CASE("Every put appends an object.put event except task-log puts") {
  ObjectStoreEnv env;
  env.Put(PipelineRef("p.txt"), "p");
  env.Put(RunRef("r.txt", 4), "r");
  env.Put(RunRef("log-1", 4, Scope::kTaskLog), "log");
  env.Put(ExtensionRef("e.txt"), "e");
  env.Put(PipelineRef("p.txt"), "p2", /*force=*/true);
  const auto events = env.EventsOfKind("object.put", 4);
  REQUIRE(events.size() == 4);
  std::vector<std::string> keys;
  for (const auto& event : events) {
    keys.push_back(ObjectStoreEnv::DetailOf(event, "key"));
    REQUIRE(event.actor == "token:test");
  }
  REQUIRE(keys == std::vector<std::string>{"p.txt", "r.txt", "e.txt", "p.txt"});
  REQUIRE(events[1].run_id == 4);
  REQUIRE(ObjectStoreEnv::DetailOf(events[0], "sha256") == Sha256Hex("p"));
  REQUIRE(ObjectStoreEnv::DetailOf(events[2], "extension_id") == "ext-cron");
}

}  // namespace gofer::object_store
