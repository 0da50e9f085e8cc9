// Concurrent writers to one key on real Postgres: with force every writer succeeds and the
// last one wins; without force exactly one succeeds. In both cases every blob's refcount
// equals the objects and upload parts that reference it.
#include <catch2/catch.hpp>

#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gofer/testing/status.h"
#include "object_manager.h"
#include "object_store_env.h"
#include "sha256_hasher.h"

namespace gofer::object_store {
namespace {

using testing::ObjectStoreEnv;
using testing::PatternBytes;
using testing::PipelineRef;
using testing::Sha256Hex;

constexpr int kWriters = 8;

// Runs kWriters puts of distinct contents to `ref` at once: every writer opens its session and
// sends its bytes, then all finish together (the commits race). Returns each writer's status.
std::vector<absl::Status> RacePuts(ObjectStoreEnv& env, const ObjectRef& ref, bool force,
                                   const std::vector<std::string>& contents) {
  std::vector<absl::Status> results(kWriters);
  std::latch ready(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      auto session = env.manager().BeginPut({ref, force, -1, ""}, {"writer-" + std::to_string(i)});
      if (session.ok()) {
        results[i] = (*session)->Append(contents[i]);
      } else {
        results[i] = session.status();
      }
      ready.arrive_and_wait();
      if (results[i].ok()) {
        results[i] = (*session)->Finish().status();
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }
  return results;
}

std::vector<std::string> DistinctContents() {
  std::vector<std::string> contents;
  for (int i = 0; i < kWriters; ++i) {
    contents.push_back(PatternBytes(20000 + i, 100 + i));
  }
  return contents;
}

}  // namespace

TEST_CASE("Concurrent forced writers to one key all succeed and one content wins") {
  ObjectStoreEnv env;
  const std::vector<std::string> contents = DistinctContents();
  const ObjectRef ref = PipelineRef("contended.bin");
  for (int round = 0; round < 3; ++round) {  // the first round races on a key that is absent
    INFO("round " << round);
    const std::vector<absl::Status> results = RacePuts(env, ref, /*force=*/true, contents);
    for (const absl::Status& status : results) {
      GOFER_REQUIRE_OK(status);
    }
    auto info = env.manager().Stat(ref);
    GOFER_REQUIRE_OK(info);
    std::set<std::string> shas;
    for (const std::string& content : contents) {
      shas.insert(Sha256Hex(content));
    }
    REQUIRE(shas.contains(info->sha256));
    const std::string stored = env.Read(ref);
    REQUIRE(Sha256Hex(stored) == info->sha256);
    REQUIRE(env.QueryInt("SELECT count(*) FROM objects") == 1);
    REQUIRE(env.RefcountMismatches() == 0);
    REQUIRE(env.QueryInt("SELECT coalesce(sum(refcount), 0) FROM blobs") == 1);
    REQUIRE(env.TempFiles() == 0);
  }
  auto stats = env.manager().CollectGarbage();
  GOFER_REQUIRE_OK(stats);
  REQUIRE(env.BlobFiles() == 1);  // only the winner's blob survives collection
}

TEST_CASE("Concurrent writers to one key without force: exactly one succeeds") {
  ObjectStoreEnv env;
  const std::vector<std::string> contents = DistinctContents();
  const ObjectRef ref = PipelineRef("first-wins.bin");
  const std::vector<absl::Status> results = RacePuts(env, ref, /*force=*/false, contents);
  int succeeded = -1;
  int already_exists = 0;
  for (int i = 0; i < kWriters; ++i) {
    INFO("writer " << i << ": " << results[i]);
    if (results[i].ok()) {
      REQUIRE(succeeded == -1);
      succeeded = i;
    } else {
      REQUIRE(results[i].code() == absl::StatusCode::kAlreadyExists);
      ++already_exists;
    }
  }
  REQUIRE(succeeded >= 0);
  REQUIRE(already_exists == kWriters - 1);
  REQUIRE(env.Read(ref) == contents[succeeded]);
  REQUIRE(env.QueryInt("SELECT count(*) FROM objects") == 1);
  REQUIRE(env.RefcountMismatches() == 0);
  REQUIRE(env.QueryInt("SELECT coalesce(sum(refcount), 0) FROM blobs") == 1);
  REQUIRE(env.TempFiles() == 0);
}

TEST_CASE("Concurrent writers of the same content to different keys share one blob") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(40000, 77);
  std::vector<absl::Status> results(kWriters);
  std::latch start(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = env.TryPut(PipelineRef("copy-" + std::to_string(i)), content).status();
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }
  for (const absl::Status& status : results) {
    GOFER_REQUIRE_OK(status);
  }
  REQUIRE(env.BlobFiles() == 1);
  REQUIRE(env.TempFiles() == 0);
  REQUIRE(env.Refcount(Sha256Hex(content)) == kWriters);
  REQUIRE(env.RefcountMismatches() == 0);
}

}  // namespace gofer::object_store
