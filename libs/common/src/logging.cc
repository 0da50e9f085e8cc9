#include "gofer/common/logging.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace gofer {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const absl::Time ts = absl::FromChrono(msg.time);
    nlohmann::json line = {
        {"ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", ts, absl::UTCTimeZone())},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"service", service_},
        {"thread", msg.thread_id},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    // Invalid UTF-8 in a message must not make the logger throw.
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(service_);
  }

 private:
  std::string service_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonFormatter(std::string service) {
  return std::make_unique<JsonFormatter>(std::move(service));
}

absl::Status SetupLogging(const LogOptions& options) {
  const auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown log level \"", options.level, "\" (trace|debug|info|warn|error|critical|off)"));
  }
  bool json = false;
  if (options.format == "json") {
    json = true;
  } else if (options.format == "auto") {
    json = isatty(STDERR_FILENO) == 0;
  } else if (options.format != "text") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format \"", options.format, "\" (auto|json|text)"));
  }
  // Not registered in spdlog's registry, so set-up can run again (tests, re-configuration).
  auto logger =
      std::make_shared<spdlog::logger>(options.service.empty() ? "gofer" : options.service,
                                       std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (json) {
    logger->set_formatter(MakeJsonFormatter(options.service));
  } else {
    logger->set_pattern(absl::StrCat("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ ", options.service, " %v"));
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

}  // namespace gofer
