// The local backend's state files and log records.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gofer/testing/status.h"
#include "local_state.h"

namespace gofer::scheduler::local {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string path = "/tmp/gofer-sched-state.XXXXXX";
    REQUIRE(mkdtemp(path.data()) != nullptr);
    path_ = path;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("Meta survives a round trip through its file, tabs and newlines included") {
  TempDir dir;
  const Meta meta{"0123abcd",
                  "task",
                  "img:1",
                  absl::FromUnixNanos(1767225600000000001),
                  {{"gofer.managed", "true"}, {"odd\tkey", "line\nbreak"}},
                  {"/sys/fs/cgroup/memory/gofer/0123abcd"}};
  GOFER_REQUIRE_OK(WriteMeta(dir.path(), meta));
  auto read = ReadMeta(dir.path());
  GOFER_REQUIRE_OK(read);
  CHECK(read->id == meta.id);
  CHECK(read->name == meta.name);
  CHECK(read->image == meta.image);
  CHECK(read->created == meta.created);
  CHECK(read->labels == meta.labels);
  CHECK(read->cgroups == meta.cgroups);
  GOFER_REQUIRE_CODE(ReadMeta(dir.path() + "/missing"), absl::StatusCode::kNotFound);
}

TEST_CASE("Started and Exit records are absent until written, then read back") {
  TempDir dir;
  CHECK_FALSE(ReadStarted(dir.path()).has_value());
  CHECK_FALSE(ReadExit(dir.path()).has_value());
  GOFER_REQUIRE_OK(
      WriteStarted(dir.path(), {getpid(), ProcessStartTicks(getpid()), absl::FromUnixSeconds(5)}));
  GOFER_REQUIRE_OK(WriteExit(dir.path(), {137, true, absl::FromUnixSeconds(6), "why"}));
  auto started = ReadStarted(dir.path());
  REQUIRE(started.has_value());
  CHECK(started->pid == getpid());
  CHECK(IsAlive(*started));
  auto exit = ReadExit(dir.path());
  REQUIRE(exit.has_value());
  CHECK(exit->code == 137);
  CHECK(exit->oom_killed);
  CHECK(exit->time == absl::FromUnixSeconds(6));
  CHECK(exit->error == "why");
}

TEST_CASE("IsAlive is false for a pid whose start time differs (a reused pid)") {
  Started started{getpid(), ProcessStartTicks(getpid()) + 1, absl::Now()};
  CHECK_FALSE(IsAlive(started));
}

TEST_CASE("LogRecordParser reads records fed in pieces, binary data and newlines included") {
  const std::string data = std::string("a\0b\nc", 5);
  const std::string bytes = EncodeLogRecord(OutputStream::kStdout, absl::FromUnixNanos(1), data) +
                            EncodeLogRecord(OutputStream::kStderr, absl::FromUnixNanos(2), "e\n");
  LogRecordParser parser;
  std::vector<LogRecord> records;
  for (char c : bytes) {
    parser.Feed(std::string(1, c));
    auto record = parser.Next();
    GOFER_REQUIRE_OK(record);
    if (record->has_value()) {
      records.push_back(**record);
    }
  }
  REQUIRE(records.size() == 2);
  CHECK(records[0].data == data);
  CHECK(records[0].stream == OutputStream::kStdout);
  CHECK(records[1].stream == OutputStream::kStderr);
  CHECK(records[1].time == absl::FromUnixNanos(2));
}

TEST_CASE("LogRecordParser rejects a corrupt header") {
  LogRecordParser parser;
  parser.Feed("x 1 2\nab");
  GOFER_REQUIRE_CODE(parser.Next(), absl::StatusCode::kInternal);
}

}  // namespace gofer::scheduler::local
