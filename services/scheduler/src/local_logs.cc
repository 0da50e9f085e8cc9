// The local backend's LogReader: tails DIR/log (records written by the supervisor). When
// following, the end is reached once DIR/exit exists and the log was read to its end; the exit
// file is checked before reading, and the supervisor writes it after the last record, so no
// output is missed.
#include <fcntl.h>
#include <unistd.h>

#include "gofer/common/status_macros.h"
#include "local_internal.h"

namespace gofer::scheduler::local {
namespace {

constexpr size_t kMaxReadAhead = 4 << 20;

class LocalLogReader final : public LogReader {
 public:
  LocalLogReader(std::string dir, const LogOptions& options)
      : dir_(std::move(dir)), options_(options), skip_(options.offset) {}

  ~LocalLogReader() override {
    if (fd_ >= 0) {
      close(fd_);
    }
  }

  absl::StatusOr<bool> Read(absl::Duration max_wait, size_t max_bytes,
                            std::vector<LogChunk>* out) override {
    const absl::Time deadline = absl::Now() + max_wait;
    while (true) {
      const bool finished = !options_.follow || ReadExit(dir_).has_value();
      ReadAvailable();
      size_t taken = 0;
      GOFER_RETURN_IF_ERROR(Drain(max_bytes, out, &taken));
      if (taken > 0) {
        return true;
      }
      if (finished && buffered_ == 0) {
        return false;
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return true;
      }
      absl::SleepFor(std::min(left, absl::Milliseconds(5)));
    }
  }

 private:
  // Moves what the file holds now (up to a bound) into the parser.
  void ReadAvailable() {
    if (fd_ < 0) {
      fd_ = open((dir_ + "/" + kLogFile).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        return;  // nothing written yet
      }
    }
    char buffer[65536];
    while (buffered_ < kMaxReadAhead) {
      const ssize_t n = read(fd_, buffer, sizeof buffer);
      if (n <= 0) {
        return;
      }
      parser_.Feed(std::string_view(buffer, static_cast<size_t>(n)));
      buffered_ += static_cast<size_t>(n);
    }
  }

  absl::Status Drain(size_t max_bytes, std::vector<LogChunk>* out, size_t* taken) {
    while (*taken < max_bytes) {
      GOFER_ASSIGN_OR_RETURN(std::optional<LogRecord> record, parser_.Next());
      if (!record.has_value()) {
        buffered_ = 0;  // only a partial record (or nothing) is left
        return absl::OkStatus();
      }
      if (record->time < options_.since) {
        continue;
      }
      std::string_view data = record->data;
      if (skip_ > 0) {
        const size_t skipped = std::min<size_t>(static_cast<size_t>(skip_), data.size());
        skip_ -= static_cast<int64_t>(skipped);
        position_ += static_cast<int64_t>(skipped);
        data.remove_prefix(skipped);
      }
      if (data.empty()) {
        continue;
      }
      out->push_back(LogChunk{record->stream, record->time, position_, std::string(data)});
      position_ += static_cast<int64_t>(data.size());
      *taken += data.size();
    }
    return absl::OkStatus();
  }

  const std::string dir_;
  const LogOptions options_;
  int fd_ = -1;
  LogRecordParser parser_;
  size_t buffered_ = 0;  // bytes fed since the parser last ran dry (bounds the read-ahead)
  int64_t skip_;
  int64_t position_ = 0;
};

}  // namespace

std::unique_ptr<LogReader> OpenLocalLogs(const std::string& dir, const LogOptions& options) {
  return std::make_unique<LocalLogReader>(dir, options);
}

}  // namespace gofer::scheduler::local
