// The on-disk state of the local backend's containers, shared by LocalEngine and the
// supervisor (gofer-scheduler-shim): small key/value files written atomically (write to a
// temporary file, then rename), and the log record format.
//
// A log is a sequence of records, each a header line "<o|e> <unix nanos> <length>\n" followed
// by <length> bytes of output; a record is appended whole by the one writer (the shim), so a
// reader only ever sees a partial record at the end of the file.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "container_engine.h"

namespace gofer::scheduler::local {

// File names inside a container's directory.
inline constexpr char kMetaFile[] = "meta";
inline constexpr char kStartedFile[] = "started";
inline constexpr char kExitFile[] = "exit";
inline constexpr char kLogFile[] = "log";
inline constexpr char kShimLogFile[] = "shim.log";
inline constexpr char kWorkspaceDir[] = "workspace";

// What the engine records at start (never environment values).
struct Meta {
  std::string id;
  std::string name;
  std::string image;
  absl::Time created;
  Labels labels;
  // The cgroup directories the container runs in (one per controller that was writable).
  std::vector<std::string> cgroups;
};

// Written by the shim once the sandboxed command runs.
struct Started {
  pid_t pid = 0;                 // the command's pid (PID 1 of its namespace) on the host
  uint64_t pid_start_ticks = 0;  // its start time in /proc/<pid>/stat, against pid reuse
  absl::Time time;
};

// Written by the shim once the command has exited.
struct Exit {
  int code = 0;
  bool oom_killed = false;
  absl::Time time;
  std::string error;  // why the sandbox could not run, when it could not
};

absl::Status WriteMeta(const std::string& dir, const Meta& meta);
absl::StatusOr<Meta> ReadMeta(const std::string& dir);
absl::Status WriteStarted(const std::string& dir, const Started& started);
// nullopt when the file does not exist (yet).
std::optional<Started> ReadStarted(const std::string& dir);
absl::Status WriteExit(const std::string& dir, const Exit& exit);
std::optional<Exit> ReadExit(const std::string& dir);

// Writes `content` to `path` through a temporary file and a rename (readers see all or
// nothing).
absl::Status WriteFileAtomically(const std::string& path, std::string_view content);

// The start time of process `pid` (field 22 of /proc/<pid>/stat), or 0 when it does not exist.
uint64_t ProcessStartTicks(pid_t pid);

// True when `started` names a process that is still the container's (alive, same start time).
bool IsAlive(const Started& started);

// One log record.
struct LogRecord {
  OutputStream stream = OutputStream::kStdout;
  absl::Time time;
  std::string data;
};

// The bytes of one record.
std::string EncodeLogRecord(OutputStream stream, absl::Time time, std::string_view data);

// Parses records from bytes fed in arbitrary pieces. Not thread-safe.
class LogRecordParser {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete record, nullopt when more bytes are needed, INTERNAL for a corrupt log.
  absl::StatusOr<std::optional<LogRecord>> Next();

 private:
  std::string buffer_;
  size_t consumed_ = 0;
};

}  // namespace gofer::scheduler::local
