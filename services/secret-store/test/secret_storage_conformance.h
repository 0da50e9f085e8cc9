// The SecretStorage contract, as one suite every implementation must pass (so the in-memory
// fake stays honest). A test file defines its fixture types, then
//
//   using StorageFixtures = std::tuple<InMemoryFixture>;
//   #include "secret_storage_conformance.h"
//
// A fixture is default-constructible and has `SecretStorage& storage()`; each test case
// constructs a fresh one.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "gofer/testing/status.h"
#include "secret_storage.h"

namespace gofer::secret_store::conformance {

// Times with microsecond precision (what Postgres keeps).
inline absl::Time T(int64_t seconds) { return absl::FromUnixMicros(seconds * 1000000 + 123456); }

// A record of `ref` with distinctive envelope bytes (binary, with NULs) derived from `tag`.
inline SecretRecord Record(SecretRef ref, const std::string& tag, absl::Time at = T(1800000000),
                           std::vector<std::string> patterns = {}) {
  if (ref.scope == SecretScope::kGlobal && patterns.empty()) {
    patterns = {"*"};
  }
  return {std::move(ref), std::move(patterns),
          Envelope{std::string("ct\0", 3) + tag, std::string("wk\0\xff", 4) + tag, "key-" + tag},
          at, at};
}

inline std::vector<std::string> Keys(const std::vector<SecretRecord>& records) {
  std::vector<std::string> keys;
  for (const SecretRecord& r : records) {
    keys.push_back(r.ref.key);
  }
  return keys;
}

}  // namespace gofer::secret_store::conformance

namespace gofer::secret_store {

TEMPLATE_LIST_TEST_CASE("A stored secret is read back with its envelope, patterns and times",
                        "[storage]", StorageFixtures) {
  using namespace conformance;
  TestType f;
  const SecretRecord global =
      Record(GlobalRef("deploy/token"), "g", T(1800000000), {"prod-*", "q?"});
  const SecretRecord pipeline = Record(PipelineRef("prod", "build", "db.password"), "p");
  auto put = f.storage().Put(global, false, "tester");
  GOFER_REQUIRE_OK(put);
  CHECK(put->created);
  GOFER_REQUIRE_OK(f.storage().Put(pipeline, false, "tester"));

  auto got = f.storage().Get(global.ref);
  GOFER_REQUIRE_OK(got);
  CHECK(got->ref == global.ref);
  CHECK(got->envelope == global.envelope);
  CHECK(got->namespace_patterns == std::vector<std::string>{"prod-*", "q?"});
  CHECK(got->created == global.created);
  CHECK(got->modified == global.modified);
  auto got_pipeline = f.storage().Get(pipeline.ref);
  GOFER_REQUIRE_OK(got_pipeline);
  CHECK(got_pipeline->envelope == pipeline.envelope);
  CHECK(got_pipeline->namespace_patterns.empty());
}

TEMPLATE_LIST_TEST_CASE("A put without force on an existing secret fails ALREADY_EXISTS",
                        "[storage]", StorageFixtures) {
  using namespace conformance;
  TestType f;
  const SecretRef ref = PipelineRef("prod", "build", "token");
  GOFER_REQUIRE_OK(f.storage().Put(Record(ref, "first"), false, "tester"));
  const auto again = f.storage().Put(Record(ref, "second"), false, "tester");
  GOFER_REQUIRE_CODE(again, absl::StatusCode::kAlreadyExists);
  CHECK(std::string(again.status().message()).find("token") != std::string::npos);
  CHECK(f.storage().Get(ref)->envelope == Record(ref, "first").envelope);
}

TEMPLATE_LIST_TEST_CASE("A forced put replaces the secret and keeps its created time", "[storage]",
                        StorageFixtures) {
  using namespace conformance;
  TestType f;
  const SecretRef ref = GlobalRef("token");
  GOFER_REQUIRE_OK(f.storage().Put(Record(ref, "first", T(1800000000)), false, "tester"));
  const SecretRecord second = Record(ref, "second", T(1800000100), {"other"});
  auto replaced = f.storage().Put(second, true, "tester");
  GOFER_REQUIRE_OK(replaced);
  CHECK_FALSE(replaced->created);
  CHECK(replaced->record.created == T(1800000000));
  CHECK(replaced->record.modified == T(1800000100));
  auto got = f.storage().Get(ref);
  GOFER_REQUIRE_OK(got);
  CHECK(got->envelope == second.envelope);
  CHECK(got->namespace_patterns == std::vector<std::string>{"other"});
  CHECK(got->created == T(1800000000));
  CHECK(got->modified == T(1800000100));
}

TEMPLATE_LIST_TEST_CASE("A forced put of a new secret creates it", "[storage]", StorageFixtures) {
  using namespace conformance;
  TestType f;
  auto put = f.storage().Put(Record(GlobalRef("new"), "n"), true, "tester");
  GOFER_REQUIRE_OK(put);
  CHECK(put->created);
  GOFER_REQUIRE_OK(f.storage().Get(GlobalRef("new")));
}

TEMPLATE_LIST_TEST_CASE("Get and Delete of a missing secret fail NOT_FOUND naming it", "[storage]",
                        StorageFixtures) {
  using namespace conformance;
  TestType f;
  const SecretRef ref = PipelineRef("prod", "build", "missing-key");
  const auto got = f.storage().Get(ref);
  GOFER_REQUIRE_CODE(got, absl::StatusCode::kNotFound);
  const std::string message(got.status().message());
  CHECK(message.find("missing-key") != std::string::npos);
  CHECK(message.find("prod") != std::string::npos);
  CHECK(message.find("build") != std::string::npos);
  GOFER_REQUIRE_CODE(f.storage().Delete(ref, "tester"), absl::StatusCode::kNotFound);
}

TEMPLATE_LIST_TEST_CASE("A deleted secret is gone", "[storage]", StorageFixtures) {
  using namespace conformance;
  TestType f;
  const SecretRef ref = GlobalRef("gone");
  GOFER_REQUIRE_OK(f.storage().Put(Record(ref, "x"), false, "tester"));
  GOFER_REQUIRE_OK(f.storage().Delete(ref, "tester"));
  GOFER_REQUIRE_CODE(f.storage().Get(ref), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_OK(f.storage().Put(Record(ref, "y"), false, "tester"));
}

TEMPLATE_LIST_TEST_CASE("Secrets of different owners with the same key are distinct", "[storage]",
                        StorageFixtures) {
  using namespace conformance;
  TestType f;
  const std::vector<SecretRef> refs = {GlobalRef("k"), PipelineRef("prod", "build", "k"),
                                       PipelineRef("prod", "deploy", "k"),
                                       PipelineRef("test", "build", "k")};
  for (size_t i = 0; i < refs.size(); ++i) {
    GOFER_REQUIRE_OK(f.storage().Put(Record(refs[i], std::to_string(i)), false, "tester"));
  }
  for (size_t i = 0; i < refs.size(); ++i) {
    CHECK(f.storage().Get(refs[i])->envelope == Record(refs[i], std::to_string(i)).envelope);
  }
}

TEMPLATE_LIST_TEST_CASE("List returns one owner's secrets in key order after a key", "[storage]",
                        StorageFixtures) {
  using namespace conformance;
  TestType f;
  for (const std::string key : {"b", "a/x", "C", "a", "c.d"}) {
    GOFER_REQUIRE_OK(f.storage().Put(Record(PipelineRef("prod", "build", key), key), false, "t"));
  }
  GOFER_REQUIRE_OK(f.storage().Put(Record(PipelineRef("prod", "other", "a0"), "o"), false, "t"));
  GOFER_REQUIRE_OK(f.storage().Put(Record(GlobalRef("a1"), "g"), false, "t"));

  auto all = f.storage().List(SecretScope::kPipeline, "prod", "build", "", 100);
  GOFER_REQUIRE_OK(all);
  CHECK(Keys(*all) == std::vector<std::string>{"C", "a", "a/x", "b", "c.d"});  // bytewise
  CHECK(all->front().envelope.ciphertext.empty());
  CHECK(all->front().envelope.wrapped_key.empty());
  CHECK(all->front().envelope.key_id == "key-C");

  auto after = f.storage().List(SecretScope::kPipeline, "prod", "build", "a", 2);
  GOFER_REQUIRE_OK(after);
  CHECK(Keys(*after) == std::vector<std::string>{"a/x", "b"});
  auto global = f.storage().List(SecretScope::kGlobal, "", "", "", 100);
  GOFER_REQUIRE_OK(global);
  CHECK(Keys(*global) == std::vector<std::string>{"a1"});
  CHECK(global->front().namespace_patterns == std::vector<std::string>{"*"});
  CHECK(f.storage().List(SecretScope::kPipeline, "prod", "none", "", 100)->empty());
}

TEMPLATE_LIST_TEST_CASE("GetMany answers in request order with nothing for missing secrets",
                        "[storage]", StorageFixtures) {
  using namespace conformance;
  TestType f;
  GOFER_REQUIRE_OK(f.storage().Put(Record(GlobalRef("g"), "g"), false, "t"));
  GOFER_REQUIRE_OK(f.storage().Put(Record(PipelineRef("prod", "build", "p"), "p"), false, "t"));
  auto got = f.storage().GetMany({PipelineRef("prod", "build", "p"), GlobalRef("missing"),
                                  GlobalRef("g"), PipelineRef("prod", "build", "p")});
  GOFER_REQUIRE_OK(got);
  REQUIRE(got->size() == 4);
  REQUIRE((*got)[0].has_value());
  CHECK((*got)[0]->envelope == Record(PipelineRef("prod", "build", "p"), "p").envelope);
  CHECK_FALSE((*got)[1].has_value());
  REQUIRE((*got)[2].has_value());
  CHECK((*got)[2]->ref == GlobalRef("g"));
  CHECK((*got)[3].has_value());
  CHECK(f.storage().GetMany({})->empty());
}

TEMPLATE_LIST_TEST_CASE("ListNotWrappedBy pages through rows under other keys in ref order",
                        "[storage]", StorageFixtures) {
  using namespace conformance;
  TestType f;
  // Record(ref, tag) wraps under "key-<tag>": "new" rows are already rotated.
  const std::vector<std::pair<SecretRef, std::string>> rows = {
      {PipelineRef("prod", "build", "b"), "old"},
      {GlobalRef("z"), "old"},
      {PipelineRef("prod", "build", "a"), "new"},
      {PipelineRef("dev", "x-y", "c"), "older"},
      {GlobalRef("a"), "old"}};
  for (const auto& [ref, tag] : rows) {
    GOFER_REQUIRE_OK(f.storage().Put(Record(ref, tag), false, "t"));
  }
  auto first = f.storage().ListNotWrappedBy("key-new", std::nullopt, 2);
  GOFER_REQUIRE_OK(first);
  REQUIRE(first->size() == 2);
  CHECK((*first)[0].ref == GlobalRef("a"));
  CHECK((*first)[1].ref == GlobalRef("z"));
  CHECK((*first)[0].envelope.wrapped_key == Record(GlobalRef("a"), "old").envelope.wrapped_key);
  CHECK((*first)[0].envelope.key_id == "key-old");
  auto second = f.storage().ListNotWrappedBy("key-new", first->back().ref, 2);
  GOFER_REQUIRE_OK(second);
  REQUIRE(second->size() == 2);
  CHECK((*second)[0].ref == PipelineRef("dev", "x-y", "c"));
  CHECK((*second)[1].ref == PipelineRef("prod", "build", "b"));
  CHECK(f.storage().ListNotWrappedBy("key-new", second->back().ref, 2)->empty());
}

TEMPLATE_LIST_TEST_CASE("Rewrap applies only to rows unchanged since they were read", "[storage]",
                        StorageFixtures) {
  using namespace conformance;
  TestType f;
  const SecretRecord a = Record(GlobalRef("a"), "old");
  const SecretRecord b = Record(GlobalRef("b"), "old");
  const SecretRecord c = Record(GlobalRef("c"), "old");
  for (const SecretRecord& r : {a, b, c}) {
    GOFER_REQUIRE_OK(f.storage().Put(r, false, "t"));
  }
  // b is rewritten (a new data key under the new master key) and c deleted after being read.
  const SecretRecord b2 = Record(GlobalRef("b"), "new", T(1800000200));
  GOFER_REQUIRE_OK(f.storage().Put(b2, true, "t"));
  GOFER_REQUIRE_OK(f.storage().Delete(c.ref, "t"));
  auto rewrap = [](const SecretRecord& r) {
    return RewrapUpdate{r.ref, r.envelope.wrapped_key, r.envelope.key_id, "rewrapped", "key-new"};
  };
  auto applied = f.storage().Rewrap({rewrap(a), rewrap(b), rewrap(c)});
  GOFER_REQUIRE_OK(applied);
  CHECK(*applied == 1);
  auto got_a = f.storage().Get(a.ref);
  CHECK(got_a->envelope.wrapped_key == "rewrapped");
  CHECK(got_a->envelope.key_id == "key-new");
  CHECK(got_a->envelope.ciphertext == a.envelope.ciphertext);
  CHECK(got_a->modified == a.modified);
  CHECK(f.storage().Get(b.ref)->envelope == b2.envelope);
  GOFER_REQUIRE_CODE(f.storage().Get(c.ref), absl::StatusCode::kNotFound);
  // Idempotent: the same updates again apply to nothing.
  CHECK(*f.storage().Rewrap({rewrap(a), rewrap(b)}) == 0);
}

}  // namespace gofer::secret_store
