// The BlobStore conformance suite against FilesystemBlobStore (in a temporary directory) and
// InMemoryBlobStore, and what only the filesystem store promises: where files land, that no
// temporary file outlives its writer, and the sweep of temporary files left by a crash.
#include <sys/stat.h>
#include <sys/time.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "blob_store_conformance.h"
#include "filesystem_blob_store.h"
#include "gofer/testing/status.h"
#include "in_memory_blob_store.h"
#include "sha256_hasher.h"
#include "temp_dir.h"

namespace gofer::object_store {
namespace {

using testing::CountFiles;
using testing::TempDir;

// A FilesystemBlobStore rooted in a fresh temporary directory.
class FilesystemFixture {
 public:
  FilesystemFixture() {
    auto store = FilesystemBlobStore::Create(dir_.path());
    GOFER_REQUIRE_OK(store);
    store_ = *std::move(store);
  }

  FilesystemBlobStore& store() { return *store_; }
  int BlobCount() const { return CountFiles(dir_.path() + "/blobs"); }
  int TempCount() const { return CountFiles(dir_.path() + "/tmp"); }
  const std::string& root() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::unique_ptr<FilesystemBlobStore> store_;
};

class InMemoryFixture {
 public:
  InMemoryBlobStore& store() { return store_; }
  int BlobCount() const { return store_.size(); }

 private:
  InMemoryBlobStore store_;
};

std::string FileContent(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Creates `path` with a few bytes and sets its modification time `age_seconds` in the past.
void CreateAgedFile(const std::string& path, int age_seconds) {
  std::ofstream(path) << "left by a crashed writer";
  struct timeval now;
  REQUIRE(gettimeofday(&now, nullptr) == 0);
  struct timeval times[2] = {now, now};
  times[0].tv_sec -= age_seconds;
  times[1].tv_sec -= age_seconds;
  REQUIRE(utimes(path.c_str(), times) == 0);
}

}  // namespace

GOFER_BLOB_STORE_CONFORMANCE("FilesystemBlobStore", FilesystemFixture)
GOFER_BLOB_STORE_CONFORMANCE("InMemoryBlobStore", InMemoryFixture)

TEST_CASE("FilesystemBlobStore puts a committed blob at PathOf its digest") {
  FilesystemFixture f;
  const std::string content = testing::PatternBytes(12345, 9);
  const BlobDigest digest = conformance::Store(f.store(), {content});
  const std::string path = f.store().PathOf(digest.sha256);
  REQUIRE(path ==
          f.root() + "/blobs/" + digest.sha256.substr(0, 2) + "/" + testing::Sha256Hex(content));
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  REQUIRE(S_ISREG(st.st_mode));
  REQUIRE(FileContent(path) == content);
  REQUIRE(f.BlobCount() == 1);
}

TEST_CASE("FilesystemBlobStore leaves no temporary file after a commit") {
  FilesystemFixture f;
  conformance::Store(f.store(), {"first"});
  conformance::Store(f.store(), {"first"});  // a duplicate is discarded, not left in tmp
  conformance::Store(f.store(), {"second"});
  REQUIRE(f.TempCount() == 0);
  REQUIRE(f.BlobCount() == 2);
}

TEST_CASE("FilesystemBlobStore removes the temporary file of a writer destroyed uncommitted") {
  FilesystemFixture f;
  {
    auto finished = f.store().NewBlob();
    auto unfinished = f.store().NewBlob();
    GOFER_REQUIRE_OK(finished);
    GOFER_REQUIRE_OK(unfinished);
    GOFER_REQUIRE_OK((*finished)->Append("finished but not committed"));
    GOFER_REQUIRE_OK((*finished)->Finish());
    GOFER_REQUIRE_OK((*unfinished)->Append("still being written"));
    REQUIRE(f.TempCount() == 2);
  }
  REQUIRE(f.TempCount() == 0);
  REQUIRE(f.BlobCount() == 0);
}

TEST_CASE("FilesystemBlobStore sweeps only temporary files older than the minimum age") {
  FilesystemFixture f;
  CreateAgedFile(f.root() + "/tmp/crashed-writer", 3600);
  CreateAgedFile(f.root() + "/tmp/recent-writer", 0);
  auto live = f.store().NewBlob();  // a writer in progress now
  GOFER_REQUIRE_OK(live);
  GOFER_REQUIRE_OK((*live)->Append("in progress"));
  const BlobDigest kept = conformance::Store(f.store(), {"a committed blob"});

  auto removed = f.store().SweepTemporaryFiles(60);
  GOFER_REQUIRE_OK(removed);
  REQUIRE(*removed == 1);
  struct stat st;
  REQUIRE(stat((f.root() + "/tmp/crashed-writer").c_str(), &st) != 0);
  REQUIRE(stat((f.root() + "/tmp/recent-writer").c_str(), &st) == 0);
  REQUIRE(f.TempCount() == 2);  // the recent file and the live writer's
  REQUIRE(conformance::ReadRange(f.store(), kept.sha256, 0, 100) == "a committed blob");
  GOFER_REQUIRE_OK((*live)->Finish());
  GOFER_REQUIRE_OK((*live)->Commit());
}

TEST_CASE("FilesystemBlobStore refuses a relative root") {
  GOFER_REQUIRE_CODE(FilesystemBlobStore::Create("relative/root"),
                     absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(FilesystemBlobStore::Create(""), absl::StatusCode::kInvalidArgument);
}

}  // namespace gofer::object_store
