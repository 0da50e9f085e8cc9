#include "gofer/common/logging.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "spdlog/details/log_msg.h"
#include "spdlog/spdlog.h"

namespace {

// 2026-01-01T00:00:00.123456Z
const spdlog::log_clock::time_point kTime =
    std::chrono::system_clock::from_time_t(1767225600) + std::chrono::microseconds(123456);

std::string Format(spdlog::formatter& formatter, spdlog::level::level_enum level,
                   std::string_view payload) {
  spdlog::details::log_msg msg(kTime, spdlog::source_loc{}, "test", level,
                               spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t buf;
  formatter.format(msg, buf);
  return std::string(buf.data(), buf.size());
}

// Points file descriptor 2 at a temporary file until Stop() (or destruction) restores it.
class StderrCapture {
 public:
  StderrCapture() {
    fd_ = mkstemp(path_);
    REQUIRE(fd_ >= 0);
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    REQUIRE(saved_ >= 0);
    REQUIRE(dup2(fd_, STDERR_FILENO) >= 0);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  ~StderrCapture() {
    Restore();
    std::remove(path_);
  }

  // Restores stderr and returns everything written to it meanwhile.
  std::string Stop() {
    Restore();
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  void Restore() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      dup2(saved_, STDERR_FILENO);
      close(saved_);
      saved_ = -1;
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  char path_[32] = "/tmp/gofer-logging-test-XXXXXX";
  int fd_ = -1;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("The JSON formatter writes one object per line with ts, level, service and msg") {
  auto formatter = gofer::MakeJsonFormatter("run-queue");
  const std::string line = Format(*formatter, spdlog::level::info, "lease granted");
  REQUIRE_FALSE(line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);

  const nlohmann::json json = nlohmann::json::parse(line);
  REQUIRE(json.is_object());
  CHECK(json.at("ts") == "2026-01-01T00:00:00.123456Z");
  CHECK(json.at("level") == "info");
  CHECK(json.at("service") == "run-queue");
  CHECK(json.at("msg") == "lease granted");
  CHECK(json.at("thread").is_number_unsigned());
}

TEST_CASE("The JSON formatter names each level") {
  auto formatter = gofer::MakeJsonFormatter("svc");
  CHECK(nlohmann::json::parse(Format(*formatter, spdlog::level::debug, "x")).at("level") ==
        "debug");
  CHECK(nlohmann::json::parse(Format(*formatter, spdlog::level::err, "x")).at("level") == "error");
}

TEST_CASE("The JSON formatter escapes quotes, backslashes and newlines") {
  auto formatter = gofer::MakeJsonFormatter("svc");
  const std::string message = "say \"hi\"\nthen \\ leave\ttab\x01";
  const std::string line = Format(*formatter, spdlog::level::warn, message);
  CHECK(line.find('\n') == line.size() - 1);  // the embedded newline is escaped
  CHECK(nlohmann::json::parse(line).at("msg") == message);
}

TEST_CASE("The JSON formatter keeps invalid UTF-8 from breaking the line") {
  auto formatter = gofer::MakeJsonFormatter("svc");
  const std::string message = "before \xff\xfe after \"q\"\n";
  std::string line;
  REQUIRE_NOTHROW(line = Format(*formatter, spdlog::level::info, message));
  CHECK(line.find('\n') == line.size() - 1);
  nlohmann::json json;
  REQUIRE_NOTHROW(json = nlohmann::json::parse(line));
  const std::string msg = json.at("msg");
  CHECK(msg.rfind("before ", 0) == 0);
  CHECK(msg.find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD replacement
  CHECK(msg.find(" after \"q\"\n") != std::string::npos);
}

TEST_CASE("A cloned JSON formatter keeps the service name") {
  auto formatter = gofer::MakeJsonFormatter("scheduler");
  auto clone = formatter->clone();
  CHECK(nlohmann::json::parse(Format(*clone, spdlog::level::info, "x")).at("service") ==
        "scheduler");
}

TEST_CASE("SetupLogging rejects an unknown level") {
  const absl::Status s =
      gofer::SetupLogging({.service = "bad-level", .level = "verbose", .format = "text"});
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message().find("verbose") != absl::string_view::npos);
}

TEST_CASE("SetupLogging rejects an unknown format") {
  const absl::Status s =
      gofer::SetupLogging({.service = "bad-format", .level = "info", .format = "xml"});
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message().find("xml") != absl::string_view::npos);
}

TEST_CASE("SetupLogging installs a default logger with the requested level") {
  REQUIRE(gofer::SetupLogging({.service = "setup-debug", .level = "debug", .format = "text"}).ok());
  CHECK(spdlog::default_logger()->name() == "setup-debug");
  CHECK(spdlog::default_logger()->level() == spdlog::level::debug);

  REQUIRE(gofer::SetupLogging({.service = "setup-off", .level = "off", .format = "auto"}).ok());
  CHECK(spdlog::default_logger()->name() == "setup-off");
  CHECK(spdlog::default_logger()->level() == spdlog::level::off);

  REQUIRE(gofer::SetupLogging({.service = "setup-warn", .level = "warn", .format = "json"}).ok());
  CHECK(spdlog::default_logger()->level() == spdlog::level::warn);
}

TEST_CASE("SetupLogging with format json writes JSON lines to stderr") {
  StderrCapture capture;
  REQUIRE(gofer::SetupLogging({.service = "json-out", .level = "info", .format = "json"}).ok());
  spdlog::debug("hidden");
  spdlog::info("visible {}", 1);
  const std::string out = capture.Stop();
  REQUIRE(out.find('\n') == out.size() - 1);  // exactly one line: debug is below the level
  const nlohmann::json json = nlohmann::json::parse(out);
  CHECK(json.at("service") == "json-out");
  CHECK(json.at("level") == "info");
  CHECK(json.at("msg") == "visible 1");
}

TEST_CASE("SetupLogging with format text writes the service and message for people") {
  StderrCapture capture;
  REQUIRE(gofer::SetupLogging({.service = "text-out", .level = "info", .format = "text"}).ok());
  spdlog::warn("careful");
  spdlog::default_logger()->flush();
  const std::string out = capture.Stop();
  CHECK(out.find("text-out careful") != std::string::npos);
  CHECK_FALSE(nlohmann::json::accept(out));
}
