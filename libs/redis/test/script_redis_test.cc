// Script against a real Redis: naming, the EVALSHA → EVAL fallback, argument order, errors.
#include "gofer/redis/script.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/status.h"

namespace gofer::redis {
namespace {

using gofer::testing::RedisTestDb;

constexpr char kEcho[] = "return {KEYS[1], ARGV[1], ARGV[2]}";

bool ScriptCached(Pool& pool, const std::string& sha1) {
  auto exists = pool.Command({"SCRIPT", "EXISTS", sha1});
  REQUIRE(exists.ok());
  REQUIRE(exists->elements.size() == 1);
  return exists->elements[0].integer == 1;
}

}  // namespace

TEST_CASE("Script::sha1 is the name Redis gives the script") {
  RedisTestDb db;
  auto pool = db.MakePool();
  const Script script(kEcho);
  auto loaded = pool->Command({"SCRIPT", "LOAD", kEcho});
  GOFER_REQUIRE_OK(loaded);
  CHECK(script.sha1() == loaded->str);
  CHECK(script.sha1().size() == 40);
}

TEST_CASE("Script::Run works on first use, when the server lacks the script, and again after") {
  RedisTestDb db;
  auto pool = db.MakePool(1);
  // The script cache is server-wide and shared with parallel test processes, so the source is
  // unique to this run: the server cannot have it yet.
  const Script script(absl::StrCat("return redis.call('INCR', KEYS[1]) -- first use ", getpid(),
                                   " ", absl::ToUnixNanos(absl::Now())));
  REQUIRE_FALSE(ScriptCached(*pool, script.sha1()));

  auto first = script.Run(*pool, {"n"}, {});
  GOFER_REQUIRE_OK(first);
  CHECK(first->integer == 1);

  auto second = script.Run(*pool, {"n"}, {});
  GOFER_REQUIRE_OK(second);
  // Each call ran the script exactly once (a failed EVALSHA runs nothing).
  CHECK(second->integer == 2);
}

TEST_CASE("Script::Run still works after SCRIPT FLUSH") {
  RedisTestDb db;
  auto pool = db.MakePool(1);
  const Script script("return redis.call('INCR', KEYS[1]) -- after flush");
  GOFER_REQUIRE_OK(script.Run(*pool, {"n"}, {}));
  GOFER_REQUIRE_OK(pool->Command({"SCRIPT", "FLUSH"}));
  auto after = script.Run(*pool, {"n"}, {});
  GOFER_REQUIRE_OK(after);
  // Ran exactly once more: the failed EVALSHA did not run it, the fallback EVAL did.
  CHECK(after->integer == 2);
}

TEST_CASE("Script::Run passes keys and arguments in order") {
  RedisTestDb db;
  auto pool = db.MakePool();
  const Script script(kEcho);
  auto reply = script.Run(*pool, {"the-key"}, {"first", std::string("sec\0nd", 6)});
  GOFER_REQUIRE_OK(reply);
  REQUIRE(reply->type == Reply::Type::kArray);
  REQUIRE(reply->elements.size() == 3);
  CHECK(reply->elements[0].str == "the-key");
  CHECK(reply->elements[1].str == "first");
  CHECK(reply->elements[2].str == std::string("sec\0nd", 6));
}

TEST_CASE("Script::Run passes several keys as KEYS, not ARGV") {
  RedisTestDb db;
  auto pool = db.MakePool();
  const Script script("return {#KEYS, #ARGV, KEYS[2], ARGV[1]}");
  auto reply = script.Run(*pool, {"k1", "k2"}, {"a1"});
  GOFER_REQUIRE_OK(reply);
  REQUIRE(reply->elements.size() == 4);
  CHECK(reply->elements[0].integer == 2);
  CHECK(reply->elements[1].integer == 1);
  CHECK(reply->elements[2].str == "k2");
  CHECK(reply->elements[3].str == "a1");
}

TEST_CASE("A script error surfaces as a non-OK status carrying the script's message") {
  RedisTestDb db;
  auto pool = db.MakePool();
  const Script script("return redis.error_reply('LEASE_LOST not yours')");
  auto first = script.Run(*pool, {}, {});
  REQUIRE_FALSE(first.ok());
  CHECK(std::string(first.status().message()).find("LEASE_LOST not yours") != std::string::npos);
  auto cached = script.Run(*pool, {}, {});  // Now cached: through EVALSHA.
  REQUIRE_FALSE(cached.ok());
  CHECK(cached.status().code() == first.status().code());
}

TEST_CASE("A script that raises a Lua error surfaces as INTERNAL") {
  RedisTestDb db;
  auto pool = db.MakePool();
  const Script script("return redis.call('NO_SUCH_COMMAND')");
  GOFER_REQUIRE_CODE(script.Run(*pool, {}, {}), absl::StatusCode::kInternal);
}

}  // namespace gofer::redis
