// The conformance suite of BlobStore: every implementation passes it. A test file instantiates
// it with GOFER_BLOB_STORE_CONFORMANCE("Name", Fixture), where Fixture is default-constructible
// (a fresh, empty store per test case) and offers
//   BlobStore& store();   the store under test
//   int BlobCount();      how many distinct blobs it holds now
// Each behaviour is one function template below and one TEST_CASE named after it.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "blob_store.h"
#include "gofer/testing/status.h"
#include "sha256_hasher.h"

namespace gofer::object_store::conformance {

// Writes `pieces` as one blob, finishes it and (with `commit`) commits it; returns the digest.
inline BlobDigest Store(BlobStore& store, const std::vector<std::string_view>& pieces,
                        bool commit = true) {
  auto writer = store.NewBlob();
  GOFER_REQUIRE_OK(writer);
  for (std::string_view piece : pieces) {
    GOFER_REQUIRE_OK((*writer)->Append(piece));
  }
  auto digest = (*writer)->Finish();
  GOFER_REQUIRE_OK(digest);
  if (commit) {
    GOFER_REQUIRE_OK((*writer)->Commit());
  }
  return *digest;
}

// The `max` bytes at `offset` of blob `sha256`.
inline std::string ReadRange(BlobStore& store, const std::string& sha256, int64_t offset,
                             size_t max) {
  auto reader = store.Open(sha256);
  GOFER_REQUIRE_OK(reader);
  std::string out = "garbage that must be replaced";
  GOFER_REQUIRE_OK((*reader)->ReadAt(offset, max, &out));
  return out;
}

// Reads a whole blob through ReadAt in steps of `step` bytes.
inline std::string ReadAll(BlobReader& reader, size_t step) {
  std::string all;
  std::string piece;
  while (true) {
    GOFER_REQUIRE_OK(reader.ReadAt(static_cast<int64_t>(all.size()), step, &piece));
    if (piece.empty()) {
      return all;
    }
    all += piece;
  }
}

template <typename Fixture>
void CommittedBlobReadsBackInRanges() {
  Fixture f;
  const std::string content = "hello, world: " + testing::PatternBytes(100000, 7);
  const BlobDigest digest = Store(f.store(), {content.substr(0, 5), content.substr(5)});
  REQUIRE(digest.size == static_cast<int64_t>(content.size()));
  auto exists = f.store().Exists(digest.sha256);
  GOFER_REQUIRE_OK(exists);
  REQUIRE(*exists);
  auto reader = f.store().Open(digest.sha256);
  GOFER_REQUIRE_OK(reader);
  REQUIRE((*reader)->size() == static_cast<int64_t>(content.size()));
  REQUIRE(ReadAll(**reader, 4096) == content);
  REQUIRE(ReadRange(f.store(), digest.sha256, 0, 5) == "hello");
  REQUIRE(ReadRange(f.store(), digest.sha256, 7, 5) == "world");
  REQUIRE(ReadRange(f.store(), digest.sha256, 90000, 50) == content.substr(90000, 50));
  // A read running over the end stops at the end; a read at the end is empty.
  REQUIRE(ReadRange(f.store(), digest.sha256, 99990, 1000) == content.substr(99990));
  REQUIRE(ReadRange(f.store(), digest.sha256, digest.size, 10).empty());
}

template <typename Fixture>
void DigestIsTheSha256OfTheBytes() {
  Fixture f;
  const BlobDigest abc = Store(f.store(), {"a", "b", "c"});
  REQUIRE(abc.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(abc.size == 3);
  const std::string content = testing::PatternBytes(300000, 3);
  const BlobDigest digest = Store(f.store(), {content});
  REQUIRE(digest.sha256 == testing::Sha256Hex(content));
}

template <typename Fixture>
void UncommittedWriterLeavesNothingReadable() {
  Fixture f;
  const std::string content = "never committed";
  const BlobDigest digest = Store(f.store(), {content}, /*commit=*/false);
  {
    auto unfinished = f.store().NewBlob();  // destroyed without Finish
    GOFER_REQUIRE_OK(unfinished);
    GOFER_REQUIRE_OK((*unfinished)->Append("half of something"));
  }
  GOFER_REQUIRE_CODE(f.store().Open(digest.sha256), absl::StatusCode::kNotFound);
  auto exists = f.store().Exists(digest.sha256);
  GOFER_REQUIRE_OK(exists);
  REQUIRE_FALSE(*exists);
  REQUIRE(f.BlobCount() == 0);
}

template <typename Fixture>
void CommitBeforeFinishFails() {
  Fixture f;
  auto writer = f.store().NewBlob();
  GOFER_REQUIRE_OK(writer);
  GOFER_REQUIRE_OK((*writer)->Append("bytes"));
  GOFER_REQUIRE_CODE((*writer)->Commit(), absl::StatusCode::kFailedPrecondition);
  REQUIRE(f.BlobCount() == 0);
}

template <typename Fixture>
void SameContentTwiceKeepsOneBlob() {
  Fixture f;
  const std::string content = testing::PatternBytes(5000, 11);
  auto first = f.store().NewBlob();
  auto second = f.store().NewBlob();
  GOFER_REQUIRE_OK(first);
  GOFER_REQUIRE_OK(second);
  GOFER_REQUIRE_OK((*first)->Append(content));
  GOFER_REQUIRE_OK((*second)->Append(content));
  auto d1 = (*first)->Finish();
  auto d2 = (*second)->Finish();
  GOFER_REQUIRE_OK(d1);
  GOFER_REQUIRE_OK(d2);
  REQUIRE(d1->sha256 == d2->sha256);
  GOFER_REQUIRE_OK((*first)->Commit());
  GOFER_REQUIRE_OK((*second)->Commit());
  GOFER_REQUIRE_OK((*second)->Commit());  // idempotent
  REQUIRE(f.BlobCount() == 1);
  REQUIRE(ReadRange(f.store(), d1->sha256, 0, content.size()) == content);
}

template <typename Fixture>
void DeletedBlobIsNotFound() {
  Fixture f;
  const BlobDigest digest = Store(f.store(), {"short-lived"});
  GOFER_REQUIRE_OK(f.store().Delete(digest.sha256));
  GOFER_REQUIRE_CODE(f.store().Open(digest.sha256), absl::StatusCode::kNotFound);
  auto exists = f.store().Exists(digest.sha256);
  GOFER_REQUIRE_OK(exists);
  REQUIRE_FALSE(*exists);
  REQUIRE(f.BlobCount() == 0);
}

template <typename Fixture>
void DeletingAMissingBlobIsOk() {
  Fixture f;
  GOFER_REQUIRE_OK(f.store().Delete(testing::Sha256Hex("never stored")));
  const BlobDigest digest = Store(f.store(), {"once"});
  GOFER_REQUIRE_OK(f.store().Delete(digest.sha256));
  GOFER_REQUIRE_OK(f.store().Delete(digest.sha256));
}

template <typename Fixture>
void OpenReaderKeepsReadingAfterDelete() {
  Fixture f;
  const std::string content = testing::PatternBytes(10000, 5);
  const BlobDigest digest = Store(f.store(), {content});
  auto reader = f.store().Open(digest.sha256);
  GOFER_REQUIRE_OK(reader);
  GOFER_REQUIRE_OK(f.store().Delete(digest.sha256));
  REQUIRE(ReadAll(**reader, 3000) == content);
}

template <typename Fixture>
void ReadPastTheEndIsOutOfRange() {
  Fixture f;
  const BlobDigest digest = Store(f.store(), {"0123456789"});
  auto reader = f.store().Open(digest.sha256);
  GOFER_REQUIRE_OK(reader);
  std::string out;
  GOFER_REQUIRE_CODE((*reader)->ReadAt(11, 1, &out), absl::StatusCode::kOutOfRange);
  GOFER_REQUIRE_CODE((*reader)->ReadAt(1000, 1, &out), absl::StatusCode::kOutOfRange);
  GOFER_REQUIRE_OK((*reader)->ReadAt(10, 1, &out));
  REQUIRE(out.empty());
}

template <typename Fixture>
void EmptyBlobIsStoredAndRead() {
  Fixture f;
  const BlobDigest digest = Store(f.store(), {});
  REQUIRE(digest.size == 0);
  REQUIRE(digest.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto reader = f.store().Open(digest.sha256);
  GOFER_REQUIRE_OK(reader);
  REQUIRE((*reader)->size() == 0);
  std::string out = "x";
  GOFER_REQUIRE_OK((*reader)->ReadAt(0, 10, &out));
  REQUIRE(out.empty());
  REQUIRE(f.BlobCount() == 1);
}

}  // namespace gofer::object_store::conformance

// Registers one TEST_CASE per conformance behaviour for `Fixture`, named "<NAME> ...".
#define GOFER_BLOB_STORE_CONFORMANCE(NAME, Fixture)                                        \
  TEST_CASE(NAME " reads a committed blob back whole and in ranges") {                     \
    ::gofer::object_store::conformance::CommittedBlobReadsBackInRanges<Fixture>();         \
  }                                                                                        \
  TEST_CASE(NAME " names a blob by the SHA-256 of its bytes") {                            \
    ::gofer::object_store::conformance::DigestIsTheSha256OfTheBytes<Fixture>();            \
  }                                                                                        \
  TEST_CASE(NAME " leaves nothing readable after an uncommitted writer") {                 \
    ::gofer::object_store::conformance::UncommittedWriterLeavesNothingReadable<Fixture>(); \
  }                                                                                        \
  TEST_CASE(NAME " refuses to commit a blob that was not finished") {                      \
    ::gofer::object_store::conformance::CommitBeforeFinishFails<Fixture>();                \
  }                                                                                        \
  TEST_CASE(NAME " keeps one blob when the same content is committed twice") {             \
    ::gofer::object_store::conformance::SameContentTwiceKeepsOneBlob<Fixture>();           \
  }                                                                                        \
  TEST_CASE(NAME " answers NOT_FOUND for a deleted blob") {                                \
    ::gofer::object_store::conformance::DeletedBlobIsNotFound<Fixture>();                  \
  }                                                                                        \
  TEST_CASE(NAME " deletes a missing blob without error") {                                \
    ::gofer::object_store::conformance::DeletingAMissingBlobIsOk<Fixture>();               \
  }                                                                                        \
  TEST_CASE(NAME " lets an open reader finish after the blob is deleted") {                \
    ::gofer::object_store::conformance::OpenReaderKeepsReadingAfterDelete<Fixture>();      \
  }                                                                                        \
  TEST_CASE(NAME " answers OUT_OF_RANGE for a read past the end") {                        \
    ::gofer::object_store::conformance::ReadPastTheEndIsOutOfRange<Fixture>();             \
  }                                                                                        \
  TEST_CASE(NAME " stores and reads an empty blob") {                                      \
    ::gofer::object_store::conformance::EmptyBlobIsStoredAndRead<Fixture>();               \
  }
