// Multipart uploads on real Postgres: resuming after missing parts, part size and checksum
// checks, abort, expiry, and the release of part blobs. Part size is 4 KiB (SmallLimits).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gofer/common/errors.h"
#include "gofer/testing/status.h"
#include "object_manager.h"
#include "object_store_env.h"
#include "sha256_hasher.h"

namespace gofer::object_store {
namespace {

using testing::ObjectStoreEnv;
using testing::PatternBytes;
using testing::PipelineRef;
using testing::RunRef;
using testing::Sha256Hex;

constexpr int64_t kPart = 4096;

// Sends `bytes` as part `number` of upload `id` in chunks of 1000 bytes.
absl::StatusOr<BlobDigest> SendPart(ObjectStoreEnv& env, const std::string& id, int number,
                                    const std::string& bytes) {
  auto session = env.manager().BeginPart(id, number);
  if (!session.ok()) {
    return session.status();
  }
  for (size_t at = 0; at < bytes.size(); at += 1000) {
    if (absl::Status s = (*session)->Append(std::string_view(bytes).substr(at, 1000)); !s.ok()) {
      return s;
    }
  }
  return (*session)->Finish();
}

// Part `number` (1-based) of `content` cut in kPart-byte parts.
std::string PartOf(const std::string& content, int number) {
  return content.substr(static_cast<size_t>((number - 1) * kPart), kPart);
}

std::vector<std::string> FieldsOf(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    fields.push_back(v.field);
  }
  return fields;
}

}  // namespace

TEST_CASE("A multipart upload resumes with its missing part and completes") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(10000, 21);
  const ObjectRef ref = RunRef("big.bin");
  auto upload = env.manager().CreateUpload(ref, false, 10000, Sha256Hex(content));
  GOFER_REQUIRE_OK(upload);
  REQUIRE(upload->part_count == 3);
  REQUIRE(upload->part_size == kPart);
  REQUIRE(upload->received_parts.empty());
  const std::string id = upload->id;

  GOFER_REQUIRE_OK(SendPart(env, id, 1, PartOf(content, 1)));
  const auto wrong_third = SendPart(env, id, 3, PatternBytes(10000 - 2 * kPart, 99));
  GOFER_REQUIRE_OK(wrong_third);
  GOFER_REQUIRE_OK(SendPart(env, id, 3, PartOf(content, 3)));  // sending again replaces it
  REQUIRE(env.Refcount(wrong_third->sha256) == 0);
  auto state = env.manager().GetUpload(id);
  GOFER_REQUIRE_OK(state);
  REQUIRE(state->received_parts == std::vector<int>{1, 3});

  const auto incomplete = env.manager().CompleteUpload(id, {"token:test"});
  GOFER_REQUIRE_CODE(incomplete, absl::StatusCode::kFailedPrecondition);
  REQUIRE(std::string(incomplete.status().message()).find("missing parts 2") != std::string::npos);
  REQUIRE(GetErrorDetails(incomplete.status()).metadata.at("missing_parts") == "2");

  // The client resumes: it asks which parts arrived and sends the rest.
  const auto part2 = SendPart(env, id, 2, PartOf(content, 2));
  GOFER_REQUIRE_OK(part2);
  REQUIRE(part2->sha256 == Sha256Hex(PartOf(content, 2)));
  auto parts = env.manager().GetUpload(id);
  GOFER_REQUIRE_OK(parts);
  REQUIRE(parts->received_parts == std::vector<int>{1, 2, 3});
  const auto completed = env.manager().CompleteUpload(id, {"token:test"});
  GOFER_REQUIRE_OK(completed);
  REQUIRE(completed->info.size == 10000);
  REQUIRE(completed->info.sha256 == Sha256Hex(content));
  REQUIRE(env.Read(ref) == content);
  GOFER_REQUIRE_CODE(env.manager().GetUpload(id), absl::StatusCode::kNotFound);
  REQUIRE(env.QueryInt("SELECT count(*) FROM upload_parts") == 0);
  for (const BlobDigest& part : parts->part_blobs) {
    REQUIRE(env.Refcount(part.sha256) == 0);
  }
  REQUIRE(env.Refcount(Sha256Hex(content)) == 1);
  REQUIRE(env.RefcountMismatches() == 0);
  REQUIRE(env.EventsOfKind("object.put", 1).size() == 1);

  auto stats = env.manager().CollectGarbage();
  GOFER_REQUIRE_OK(stats);
  REQUIRE(stats->blobs_collected == 4);  // three parts and the replaced third part
  REQUIRE(env.BlobFiles() == 1);
  REQUIRE(env.TempFiles() == 0);
  REQUIRE(env.Read(ref) == content);
}

TEST_CASE("A part of the wrong size or number is INVALID_ARGUMENT") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(10000, 22);
  auto upload = env.manager().CreateUpload(RunRef("parts.bin"), false, 10000, Sha256Hex(content));
  GOFER_REQUIRE_OK(upload);
  const std::string id = upload->id;

  const auto short_part = SendPart(env, id, 1, PartOf(content, 1).substr(1));
  GOFER_REQUIRE_CODE(short_part, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(short_part.status()) == std::vector<std::string>{"size"});
  const auto long_part = SendPart(env, id, 1, PartOf(content, 1) + "x");
  GOFER_REQUIRE_CODE(long_part, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(long_part.status()) == std::vector<std::string>{"size"});
  const auto long_last = SendPart(env, id, 3, PartOf(content, 3) + "x");
  GOFER_REQUIRE_CODE(long_last, absl::StatusCode::kInvalidArgument);
  for (int number : {0, 4, -1}) {
    const auto outside = env.manager().BeginPart(id, number);
    GOFER_REQUIRE_CODE(outside, absl::StatusCode::kInvalidArgument);
    REQUIRE(FieldsOf(outside.status()) == std::vector<std::string>{"part_number"});
  }
  GOFER_REQUIRE_CODE(env.manager().BeginPart("no-such-upload", 1), absl::StatusCode::kNotFound);

  auto state = env.manager().GetUpload(id);
  GOFER_REQUIRE_OK(state);
  REQUIRE(state->received_parts.empty());
  REQUIRE(env.QueryInt("SELECT count(*) FROM blobs") == 0);
  REQUIRE(env.TempFiles() == 0);
}

TEST_CASE("A wrong whole SHA-256 is INVALID_ARGUMENT and the upload stays for a retry") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(9000, 23);
  const ObjectRef ref = RunRef("checked.bin");
  auto upload = env.manager().CreateUpload(ref, false, 9000, Sha256Hex("something else"));
  GOFER_REQUIRE_OK(upload);
  for (int part = 1; part <= 3; ++part) {
    GOFER_REQUIRE_OK(SendPart(env, upload->id, part, PartOf(content, part)));
  }
  const auto mismatch = env.manager().CompleteUpload(upload->id, {"token:test"});
  GOFER_REQUIRE_CODE(mismatch, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(mismatch.status()) == std::vector<std::string>{"sha256"});
  GOFER_REQUIRE_CODE(env.manager().Stat(ref), absl::StatusCode::kNotFound);
  auto state = env.manager().GetUpload(upload->id);
  GOFER_REQUIRE_OK(state);
  REQUIRE(state->received_parts == std::vector<int>{1, 2, 3});
  REQUIRE(env.Refcount(Sha256Hex(content)) == -1);
  REQUIRE(env.BlobFiles() == 3);  // the parts only
  REQUIRE(env.TempFiles() == 0);
  REQUIRE(env.RefcountMismatches() == 0);
}

TEST_CASE("AbortUpload deletes the upload and releases its parts") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(10000, 24);
  auto upload =
      env.manager().CreateUpload(PipelineRef("aborted"), false, 10000, Sha256Hex(content));
  GOFER_REQUIRE_OK(upload);
  const auto p1 = SendPart(env, upload->id, 1, PartOf(content, 1));
  const auto p2 = SendPart(env, upload->id, 2, PartOf(content, 2));
  GOFER_REQUIRE_OK(p1);
  GOFER_REQUIRE_OK(p2);
  REQUIRE(env.Refcount(p1->sha256) == 1);

  GOFER_REQUIRE_OK(env.manager().AbortUpload(upload->id));
  GOFER_REQUIRE_CODE(env.manager().GetUpload(upload->id), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(env.manager().AbortUpload(upload->id), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(env.manager().BeginPart(upload->id, 3), absl::StatusCode::kNotFound);
  REQUIRE(env.Refcount(p1->sha256) == 0);
  REQUIRE(env.Refcount(p2->sha256) == 0);
  REQUIRE(env.RefcountMismatches() == 0);
  auto stats = env.manager().CollectGarbage();
  GOFER_REQUIRE_OK(stats);
  REQUIRE(stats->blobs_collected == 2);
  REQUIRE(env.BlobFiles() == 0);
}

TEST_CASE("An upload past its expiry is NOT_FOUND and removed by ExpireUploads") {
  Limits limits = testing::SmallLimits();
  limits.upload_ttl = absl::Hours(1);
  ObjectStoreEnv env(limits, absl::Now() - absl::Hours(2));  // expires_at is an hour ago
  auto upload = env.manager().CreateUpload(RunRef("late.bin"), false, 100, Sha256Hex("x"));
  GOFER_REQUIRE_OK(upload);
  REQUIRE(upload->expires < absl::Now());
  REQUIRE(env.QueryInt("SELECT count(*) FROM uploads") == 1);
  GOFER_REQUIRE_CODE(env.manager().GetUpload(upload->id), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(env.manager().BeginPart(upload->id, 1), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(env.manager().CompleteUpload(upload->id, {"token:test"}),
                     absl::StatusCode::kNotFound);

  auto stats = env.manager().CollectGarbage();
  GOFER_REQUIRE_OK(stats);
  REQUIRE(stats->uploads_expired == 1);
  REQUIRE(env.QueryInt("SELECT count(*) FROM uploads") == 0);
}

TEST_CASE("Expiring an abandoned upload releases its parts for collection") {
  ObjectStoreEnv env;
  const std::string content = PatternBytes(10000, 25);
  auto upload =
      env.manager().CreateUpload(RunRef("abandoned.bin"), false, 10000, Sha256Hex(content));
  GOFER_REQUIRE_OK(upload);
  const auto part = SendPart(env, upload->id, 1, PartOf(content, 1));
  GOFER_REQUIRE_OK(part);
  // The client went away; its upload's deadline passes.
  env.QueryInt(
      "WITH u AS (UPDATE uploads SET expires_at = now() - interval '1 second' "
      "RETURNING 1) SELECT count(*) FROM u");
  auto stats = env.manager().CollectGarbage();
  GOFER_REQUIRE_OK(stats);
  REQUIRE(stats->uploads_expired == 1);
  REQUIRE(stats->blobs_collected == 1);  // the part, released by the expiry just before
  REQUIRE(env.Refcount(part->sha256) == -1);
  REQUIRE(env.QueryInt("SELECT count(*) FROM upload_parts") == 0);
  REQUIRE(env.BlobFiles() == 0);
}

TEST_CASE("CreateUpload checks its request, the size limit and an existing object") {
  ObjectStoreEnv env;
  const ObjectRef ref = PipelineRef("target.bin");
  const auto no_sha = env.manager().CreateUpload(ref, false, 10, "");
  GOFER_REQUIRE_CODE(no_sha, absl::StatusCode::kInvalidArgument);
  REQUIRE(FieldsOf(no_sha.status()) == std::vector<std::string>{"sha256"});
  const auto no_size = env.manager().CreateUpload(ref, false, -1, Sha256Hex("x"));
  REQUIRE(FieldsOf(no_size.status()) == std::vector<std::string>{"size"});
  const auto too_big = env.manager().CreateUpload(ref, false, (64 << 10) + 1, Sha256Hex("x"));
  GOFER_REQUIRE_CODE(too_big, absl::StatusCode::kResourceExhausted);
  REQUIRE(GetErrorDetails(too_big.status()).reason == "LIMIT_EXCEEDED");

  for (const auto& [size, parts] : std::vector<std::pair<int64_t, int>>{
           {0, 1}, {1, 1}, {kPart, 1}, {kPart + 1, 2}, {3 * kPart, 3}}) {
    auto upload = env.manager().CreateUpload(ref, false, size, Sha256Hex("x"));
    GOFER_REQUIRE_OK(upload);
    REQUIRE(upload->part_count == parts);
  }

  env.Put(ref, "already here");
  GOFER_REQUIRE_CODE(env.manager().CreateUpload(ref, false, 10, Sha256Hex("x")),
                     absl::StatusCode::kAlreadyExists);
  GOFER_REQUIRE_OK(env.manager().CreateUpload(ref, true, 10, Sha256Hex("x")));
}

TEST_CASE("Completing without force fails when the object appeared meanwhile") {
  ObjectStoreEnv env;
  const ObjectRef ref = PipelineRef("raced.bin");
  const std::string content = PatternBytes(100, 26);
  auto upload = env.manager().CreateUpload(ref, false, 100, Sha256Hex(content));
  GOFER_REQUIRE_OK(upload);
  GOFER_REQUIRE_OK(SendPart(env, upload->id, 1, content));
  env.Put(ref, "someone else's");
  GOFER_REQUIRE_CODE(env.manager().CompleteUpload(upload->id, {"token:test"}),
                     absl::StatusCode::kAlreadyExists);
  REQUIRE(env.Read(ref) == "someone else's");
  GOFER_REQUIRE_OK(env.manager().GetUpload(upload->id));
  REQUIRE(env.RefcountMismatches() == 0);
}

}  // namespace gofer::object_store
