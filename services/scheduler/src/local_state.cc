#include "local_state.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::scheduler::local {
namespace {

using Fields = std::vector<std::string>;

// "key\tvalue\tvalue\n" with every field C-escaped (so tabs and newlines in values survive).
std::string Line(std::initializer_list<std::string_view> fields) {
  std::string line;
  for (std::string_view field : fields) {
    if (!line.empty()) {
      line += '\t';
    }
    line += absl::CEscape(ToAbsl(field));
  }
  return line + "\n";
}

std::optional<std::vector<Fields>> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::vector<Fields> lines;
  std::string line;
  while (std::getline(in, line)) {
    Fields fields;
    for (absl::string_view raw : absl::StrSplit(line, '\t')) {
      std::string value;
      absl::CUnescape(raw, &value);
      fields.push_back(std::move(value));
    }
    lines.push_back(std::move(fields));
  }
  return lines;
}

int64_t Int(const Fields& fields, size_t i) {
  int64_t value = 0;
  return i < fields.size() && absl::SimpleAtoi(fields[i], &value) ? value : 0;
}

std::string Nanos(absl::Time t) { return std::to_string(absl::ToUnixNanos(t)); }

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string temp = path + ".tmp";
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(fmt::format("cannot write {}: {}", temp, std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      close(fd);
      return absl::InternalError(fmt::format("cannot write {}: {}", temp, std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  close(fd);
  if (rename(temp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(fmt::format("cannot rename {}: {}", temp, std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteMeta(const std::string& dir, const Meta& meta) {
  std::string text = Line({"id", meta.id}) + Line({"name", meta.name}) +
                     Line({"image", meta.image}) + Line({"created", Nanos(meta.created)});
  for (const auto& [key, value] : meta.labels) {
    text += Line({"label", key, value});
  }
  for (const std::string& cgroup : meta.cgroups) {
    text += Line({"cgroup", cgroup});
  }
  return WriteFileAtomically(dir + "/" + kMetaFile, text);
}

absl::StatusOr<Meta> ReadMeta(const std::string& dir) {
  std::optional<std::vector<Fields>> lines = ReadLines(dir + "/" + kMetaFile);
  if (!lines.has_value()) {
    return absl::NotFoundError(fmt::format("no container state in {}", dir));
  }
  Meta meta;
  for (const Fields& f : *lines) {
    const std::string& key = f[0];
    if (key == "id" && f.size() > 1) {
      meta.id = f[1];
    } else if (key == "name" && f.size() > 1) {
      meta.name = f[1];
    } else if (key == "image" && f.size() > 1) {
      meta.image = f[1];
    } else if (key == "created") {
      meta.created = absl::FromUnixNanos(Int(f, 1));
    } else if (key == "label" && f.size() > 2) {
      meta.labels[f[1]] = f[2];
    } else if (key == "cgroup" && f.size() > 1) {
      meta.cgroups.push_back(f[1]);
    }
  }
  return meta;
}

absl::Status WriteStarted(const std::string& dir, const Started& started) {
  return WriteFileAtomically(dir + "/" + kStartedFile,
                             Line({"pid", std::to_string(started.pid)}) +
                                 Line({"pid_start", std::to_string(started.pid_start_ticks)}) +
                                 Line({"time", Nanos(started.time)}));
}

std::optional<Started> ReadStarted(const std::string& dir) {
  std::optional<std::vector<Fields>> lines = ReadLines(dir + "/" + kStartedFile);
  if (!lines.has_value()) {
    return std::nullopt;
  }
  Started started;
  for (const Fields& f : *lines) {
    if (f[0] == "pid") {
      started.pid = static_cast<pid_t>(Int(f, 1));
    } else if (f[0] == "pid_start") {
      started.pid_start_ticks = static_cast<uint64_t>(Int(f, 1));
    } else if (f[0] == "time") {
      started.time = absl::FromUnixNanos(Int(f, 1));
    }
  }
  return started;
}

absl::Status WriteExit(const std::string& dir, const Exit& exit) {
  return WriteFileAtomically(dir + "/" + kExitFile, Line({"code", std::to_string(exit.code)}) +
                                                        Line({"oom", exit.oom_killed ? "1" : "0"}) +
                                                        Line({"time", Nanos(exit.time)}) +
                                                        Line({"error", exit.error}));
}

std::optional<Exit> ReadExit(const std::string& dir) {
  std::optional<std::vector<Fields>> lines = ReadLines(dir + "/" + kExitFile);
  if (!lines.has_value()) {
    return std::nullopt;
  }
  Exit exit;
  for (const Fields& f : *lines) {
    if (f[0] == "code") {
      exit.code = static_cast<int>(Int(f, 1));
    } else if (f[0] == "oom") {
      exit.oom_killed = Int(f, 1) != 0;
    } else if (f[0] == "time") {
      exit.time = absl::FromUnixNanos(Int(f, 1));
    } else if (f[0] == "error" && f.size() > 1) {
      exit.error = f[1];
    }
  }
  return exit;
}

uint64_t ProcessStartTicks(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  if (!std::getline(in, stat)) {
    return 0;
  }
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return 0;
  }
  std::istringstream rest(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) {
      uint64_t ticks = 0;
      return absl::SimpleAtoi(field, &ticks) ? ticks : 0;
    }
  }
  return 0;
}

bool IsAlive(const Started& started) {
  return started.pid > 0 && ProcessStartTicks(started.pid) == started.pid_start_ticks;
}

std::string EncodeLogRecord(OutputStream stream, absl::Time time, std::string_view data) {
  return fmt::format("{} {} {}\n", stream == OutputStream::kStderr ? 'e' : 'o',
                     absl::ToUnixNanos(time), data.size()) +
         std::string(data);
}

absl::StatusOr<std::optional<LogRecord>> LogRecordParser::Next() {
  const size_t newline = buffer_.find('\n', consumed_);
  if (newline == std::string::npos) {
    return std::nullopt;
  }
  const std::vector<absl::string_view> header =
      absl::StrSplit(absl::string_view(buffer_).substr(consumed_, newline - consumed_), ' ');
  int64_t nanos = 0;
  size_t length = 0;
  if (header.size() != 3 || (header[0] != "o" && header[0] != "e") ||
      !absl::SimpleAtoi(header[1], &nanos) || !absl::SimpleAtoi(header[2], &length)) {
    return absl::InternalError("corrupt local log record header");
  }
  if (buffer_.size() < newline + 1 + length) {
    return std::nullopt;
  }
  LogRecord record{header[0] == "e" ? OutputStream::kStderr : OutputStream::kStdout,
                   absl::FromUnixNanos(nanos), buffer_.substr(newline + 1, length)};
  consumed_ = newline + 1 + length;
  if (consumed_ > 64 * 1024 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return record;
}

}  // namespace gofer::scheduler::local
