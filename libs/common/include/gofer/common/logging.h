// Process-wide logging set-up (spdlog). Called once from main; libraries just log through
// spdlog's default logger.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "spdlog/formatter.h"

namespace gofer {

struct LogOptions {
  // Added to every line as "service".
  std::string service;
  // trace, debug, info, warn, error, critical or off.
  std::string level = "info";
  // "json" (one JSON object a line, for containers), "text" (for people), or "auto": text when
  // stderr is a terminal, JSON otherwise.
  std::string format = "auto";
};

// Replaces spdlog's default logger with one writing to stderr as `options` says.
// Returns INVALID_ARGUMENT for an unknown level or format.
absl::Status SetupLogging(const LogOptions& options);

// The JSON-lines formatter: {"ts":"2026-11-30T05:36:07.123456Z","level":"info",
// "service":"run-queue","thread":123,"msg":"..."} with the message escaped properly.
std::unique_ptr<spdlog::formatter> MakeJsonFormatter(std::string service);

}  // namespace gofer
