// Owner-wide operations on real Postgres: expiring the objects of old runs, and listing an
// owner's objects page by page in key order.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gofer/common/errors.h"
#include "gofer/testing/status.h"
#include "object_manager.h"
#include "object_store_env.h"

namespace gofer::object_store {
namespace {

using testing::ExtensionRef;
using testing::ObjectStoreEnv;
using testing::PipelineRef;
using testing::RunRef;

std::vector<std::string> Keys(const ListPage& page) {
  std::vector<std::string> keys;
  for (const ObjectInfo& info : page.objects) {
    keys.push_back(info.ref.key);
  }
  return keys;
}

bool Exists(ObjectStoreEnv& env, const ObjectRef& ref) {
  auto info = env.manager().Stat(ref);
  if (!info.ok()) {
    REQUIRE(info.status().code() == absl::StatusCode::kNotFound);
  }
  return info.ok();
}

}  // namespace

TEST_CASE("DeleteRunObjects deletes run objects up to a run, and task logs only when asked") {
  ObjectStoreEnv env;
  for (int64_t run = 1; run <= 3; ++run) {
    env.Put(RunRef("out.txt", run), "output of run " + std::to_string(run));
    env.Put(RunRef("log-1", run, Scope::kTaskLog), "log of run " + std::to_string(run));
  }
  env.Put(PipelineRef("keep.txt"), "pipeline object");
  ObjectRef other_pipeline = RunRef("out.txt", 1);
  other_pipeline.pipeline_id = "deploy";
  env.Put(other_pipeline, "another pipeline's run 1");

  auto deleted = env.manager().DeleteRunObjects("team-a", "build", 2, false, {"run-queue"});
  GOFER_REQUIRE_OK(deleted);
  REQUIRE(*deleted == 2);
  REQUIRE_FALSE(Exists(env, RunRef("out.txt", 1)));
  REQUIRE_FALSE(Exists(env, RunRef("out.txt", 2)));
  REQUIRE(Exists(env, RunRef("out.txt", 3)));
  for (int64_t run = 1; run <= 3; ++run) {
    REQUIRE(Exists(env, RunRef("log-1", run, Scope::kTaskLog)));
  }

  deleted = env.manager().DeleteRunObjects("team-a", "build", 2, true, {"run-queue"});
  GOFER_REQUIRE_OK(deleted);
  REQUIRE(*deleted == 2);  // the task logs of runs 1 and 2
  REQUIRE_FALSE(Exists(env, RunRef("log-1", 1, Scope::kTaskLog)));
  REQUIRE_FALSE(Exists(env, RunRef("log-1", 2, Scope::kTaskLog)));
  REQUIRE(Exists(env, RunRef("log-1", 3, Scope::kTaskLog)));
  REQUIRE(Exists(env, RunRef("out.txt", 3)));
  REQUIRE(Exists(env, PipelineRef("keep.txt")));
  REQUIRE(Exists(env, other_pipeline));
  REQUIRE(env.RefcountMismatches() == 0);

  const auto events = env.EventsOfKind("object.run_objects_expired", 2);
  REQUIRE(ObjectStoreEnv::DetailOf(events[0], "deleted") == "2");
  REQUIRE(ObjectStoreEnv::DetailOf(events[0], "up_to_run_id") == "2");

  deleted = env.manager().DeleteRunObjects("team-a", "build", 2, true, {"run-queue"});
  GOFER_REQUIRE_OK(deleted);
  REQUIRE(*deleted == 0);
  GOFER_REQUIRE_CODE(env.manager().DeleteRunObjects("team-a", "build", 0, true, {"run-queue"}),
                     absl::StatusCode::kInvalidArgument);
}

TEST_CASE("DeleteRunObjects releases a blob shared by several deleted objects once per object") {
  ObjectStoreEnv env;
  const std::string sha = env.Put(RunRef("a", 1), "same bytes").info.sha256;
  env.Put(RunRef("b", 1), "same bytes");
  env.Put(RunRef("c", 2), "same bytes");
  env.Put(RunRef("d", 5), "same bytes");
  REQUIRE(env.Refcount(sha) == 4);
  auto deleted = env.manager().DeleteRunObjects("team-a", "build", 4, false, {"run-queue"});
  GOFER_REQUIRE_OK(deleted);
  REQUIRE(*deleted == 3);
  REQUIRE(env.Refcount(sha) == 1);
  REQUIRE(env.RefcountMismatches() == 0);
}

TEST_CASE("List pages through an owner's objects in key order with a prefix") {
  ObjectStoreEnv env;
  for (const char* key : {"logs/d", "logs/b", "other/x", "logs/e", "logs/a", "logs/c", "logsz"}) {
    env.Put(PipelineRef(key), key);
  }
  env.Put(PipelineRef("logs/f", "deploy"), "another pipeline");
  const ObjectRef owner = PipelineRef("");

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = env.manager().List(owner, "logs/", 2, token);
    GOFER_REQUIRE_OK(page);
    REQUIRE(page->objects.size() <= 2);
    for (const std::string& key : Keys(*page)) {
      seen.push_back(key);
    }
    token = page->next_page_token;
    ++pages;
    REQUIRE(pages <= 4);
  } while (!token.empty());
  REQUIRE(seen == std::vector<std::string>{"logs/a", "logs/b", "logs/c", "logs/d", "logs/e"});
  REQUIRE(pages == 3);

  auto everything = env.manager().List(owner, "", 0, "");
  GOFER_REQUIRE_OK(everything);
  REQUIRE(Keys(*everything) == std::vector<std::string>{"logs/a", "logs/b", "logs/c", "logs/d",
                                                        "logs/e", "logsz", "other/x"});
  REQUIRE(everything->next_page_token.empty());
  REQUIRE(everything->objects[0].size == 6);
}

TEST_CASE("A page token reused with another prefix or owner is INVALID_ARGUMENT") {
  ObjectStoreEnv env;
  for (const char* key : {"logs/a", "logs/b", "logs/c"}) {
    env.Put(PipelineRef(key), key);
  }
  auto first = env.manager().List(PipelineRef(""), "logs/", 1, "");
  GOFER_REQUIRE_OK(first);
  REQUIRE_FALSE(first->next_page_token.empty());
  const auto other_prefix =
      env.manager().List(PipelineRef(""), "other/", 1, first->next_page_token);
  GOFER_REQUIRE_CODE(other_prefix, absl::StatusCode::kInvalidArgument);
  REQUIRE(GetFieldViolations(other_prefix.status()).at(0).field == "page_token");
  GOFER_REQUIRE_CODE(
      env.manager().List(PipelineRef("", "deploy"), "logs/", 1, first->next_page_token),
      absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(env.manager().List(PipelineRef(""), "logs/", 1, "not a token"),
                     absl::StatusCode::kInvalidArgument);
  auto second = env.manager().List(PipelineRef(""), "logs/", 1, first->next_page_token);
  GOFER_REQUIRE_OK(second);
  REQUIRE(Keys(*second) == std::vector<std::string>{"logs/b"});
}

TEST_CASE("List refuses a parent that names an object and lists run and extension owners") {
  ObjectStoreEnv env;
  env.Put(RunRef("r1", 3), "r");
  env.Put(RunRef("r2", 4), "r");
  env.Put(ExtensionRef("state.json"), "{}");
  const auto with_key = env.manager().List(PipelineRef("a-key"), "", 10, "");
  GOFER_REQUIRE_CODE(with_key, absl::StatusCode::kInvalidArgument);
  REQUIRE(GetFieldViolations(with_key.status()).at(0).field == "parent.key");
  auto run3 = env.manager().List(RunRef("", 3), "", 10, "");
  GOFER_REQUIRE_OK(run3);
  REQUIRE(Keys(*run3) == std::vector<std::string>{"r1"});
  auto extension = env.manager().List(ExtensionRef(""), "", 10, "");
  GOFER_REQUIRE_OK(extension);
  REQUIRE(Keys(*extension) == std::vector<std::string>{"state.json"});
}

}  // namespace gofer::object_store
