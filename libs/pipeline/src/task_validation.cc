#include "checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/pipeline/interpolation.h"
#include "gofer/pipeline/resources.h"

namespace gofer::pipeline::internal {
namespace {

using gofer::v1::Task;

// The prefix of the variables Gofer sets itself (F-RUN-8).
constexpr std::string_view kReservedPrefix = "GOFER_";

std::optional<std::string> VariableNameViolation(std::string_view name) {
  if (name.empty()) {
    return "a variable name is required";
  }
  const auto word = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  if (absl::ascii_isdigit(static_cast<unsigned char>(name[0])) ||
      !std::all_of(name.begin(), name.end(), word)) {
    return "a variable name must match [A-Za-z_][A-Za-z0-9_]*";
  }
  if (absl::StartsWithIgnoreCase(ToAbsl(name), ToAbsl(kReservedPrefix))) {
    return "variable names starting with GOFER_ are reserved for the variables Gofer sets";
  }
  return std::nullopt;
}

void CheckVariables(const Task& task, const std::string& path, const ValidationLimits& limits,
                    Violations& v) {
  if (task.variables_size() > limits.max_variables_per_task) {
    v.Add(path + ".variables", fmt::format("at most {} variables are allowed (got {})",
                                           limits.max_variables_per_task, task.variables_size()));
  }
  std::vector<std::pair<std::string, std::string>> sorted(task.variables().begin(),
                                                          task.variables().end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [name, value] : sorted) {
    const std::string field = fmt::format("{}.variables[{}]", path, name);
    if (auto why = VariableNameViolation(name)) {
      v.Add(field, *why);
    }
    CheckLength(field, name, limits.max_variable_name_length, v);
    CheckLength(field, value, limits.max_argument_bytes, v);
    if (auto parsed = ParseInterpolation(value); !parsed.ok()) {
      v.Add(field, std::string(ToStd(parsed.status().message())));
    }
  }
}

void CheckRegistryAuth(const Task& task, const std::string& path, const ValidationLimits& limits,
                       Violations& v) {
  if (!task.has_registry_auth()) {
    return;
  }
  const gofer::v1::RegistryAuth& auth = task.registry_auth();
  const std::string username = path + ".registry_auth.username";
  if (auth.username().empty()) {
    v.Add(username, "is required");
  }
  CheckLength(username, auth.username(), limits.max_short_string_length, v);
  const std::string password = path + ".registry_auth.password_secret";
  const auto parsed = ParseInterpolation(auth.password_secret());
  if (!parsed.ok()) {
    v.Add(password, std::string(ToStd(parsed.status().message())));
  } else if (!parsed->has_value() || ((*parsed)->kind != Interpolation::Kind::kPipelineSecret &&
                                      (*parsed)->kind != Interpolation::Kind::kGlobalSecret)) {
    v.Add(password, "must name a secret: pipeline_secret{{key}} or global_secret{{key}}");
  }
}

void CheckCommand(const Task& task, const std::string& path, const ValidationLimits& limits,
                  Violations& v) {
  if (!task.script().empty() && (task.entrypoint_size() > 0 || task.command_size() > 0)) {
    v.Add(path + ".script",
          "cannot be combined with entrypoint or command (a script runs as sh -c <script>)");
  }
  CheckLength(path + ".script", task.script(), limits.max_argument_bytes, v);
  for (int i = 0; i < task.entrypoint_size(); ++i) {
    CheckLength(fmt::format("{}.entrypoint[{}]", path, i), task.entrypoint(i),
                limits.max_argument_bytes, v);
  }
  for (int i = 0; i < task.command_size(); ++i) {
    CheckLength(fmt::format("{}.command[{}]", path, i), task.command(i), limits.max_argument_bytes,
                v);
  }
  if (!task.working_dir().empty() && task.working_dir()[0] != '/') {
    v.Add(path + ".working_dir", "must be an absolute path");
  }
  CheckLength(path + ".working_dir", task.working_dir(), limits.max_short_string_length, v);
}

// Checks one resources quantity: it parses, is > 0 and at most `max`.
void CheckQuantity(const std::string& field, std::string_view text,
                   absl::StatusOr<int64_t> (*parse)(std::string_view), int64_t max,
                   std::string_view max_text, Violations& v) {
  if (text.empty()) {
    return;
  }
  const absl::StatusOr<int64_t> value = parse(text);
  if (!value.ok()) {
    v.Add(field, std::string(ToStd(value.status().message())));
  } else if (*value <= 0) {
    v.Add(field, "must be greater than 0");
  } else if (*value > max) {
    v.Add(field, fmt::format("must be at most {} (got \"{}\")", max_text, text));
  }
}

void CheckResources(const Task& task, const std::string& path, const ValidationLimits& limits,
                    Violations& v) {
  const gofer::v1::Resources& r = task.resources();
  CheckQuantity(path + ".resources.cpu", r.cpu(), &ParseCpuMillis, limits.max_cpu_millis,
                fmt::format("{}m", limits.max_cpu_millis), v);
  CheckQuantity(path + ".resources.memory", r.memory(), &ParseMemoryBytes, limits.max_memory_bytes,
                fmt::format("{} bytes", limits.max_memory_bytes), v);
}

void CheckRetries(const Task& task, const std::string& path, const ValidationLimits& limits,
                  Violations& v) {
  const gofer::v1::RetryPolicy& r = task.retries();
  if (r.attempts() < 0 || r.attempts() > limits.max_retry_attempts) {
    v.Add(path + ".retries.attempts", fmt::format("must be between 0 (the default) and {} (got {})",
                                                  limits.max_retry_attempts, r.attempts()));
  }
  if (!gofer::v1::RetryOn_IsValid(r.on())) {
    v.Add(path + ".retries.on", fmt::format("unknown value {}", static_cast<int>(r.on())));
  }
}

}  // namespace

void CheckLength(std::string_view field, std::string_view value, size_t max, Violations& v) {
  if (value.size() > max) {
    v.Add(std::string(field),
          fmt::format("must be at most {} bytes long (got {})", max, value.size()));
  }
}

void CheckDuration(std::string_view field, const google::protobuf::Duration& d, absl::Duration max,
                   Violations& v) {
  constexpr int32_t kNanosPerSecond = 1'000'000'000;
  if (d.nanos() <= -kNanosPerSecond || d.nanos() >= kNanosPerSecond ||
      (d.seconds() > 0 && d.nanos() < 0) || (d.seconds() < 0 && d.nanos() > 0)) {
    v.Add(std::string(field), "is not a valid duration (seconds and nanos disagree)");
    return;
  }
  const absl::Duration value = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  if (value < absl::ZeroDuration()) {
    v.Add(std::string(field),
          fmt::format("must not be negative (got {})", absl::FormatDuration(value)));
  } else if (value > max) {
    v.Add(std::string(field), fmt::format("must be at most {} (got {})", absl::FormatDuration(max),
                                          absl::FormatDuration(value)));
  }
}

absl::Status LimitedStatus(const Violations& v, size_t max, std::string_view overflow_field) {
  if (v.empty()) {
    return absl::OkStatus();
  }
  std::vector<FieldViolation> list = v.list();
  if (max > 0 && list.size() > max) {
    const size_t left_out = list.size() - max;
    list.resize(max);
    list.push_back(
        {std::string(overflow_field), fmt::format("{} more violations not shown", left_out)});
  }
  return InvalidArgumentError(std::move(list));
}

void CheckTaskFields(const Task& task, const std::string& path, const ValidationLimits& limits,
                     Violations& v) {
  CheckLength(path + ".description", task.description(), limits.max_description_length, v);
  if (task.image().empty()) {
    v.Add(path + ".image", "is required");
  } else if (std::any_of(task.image().begin(), task.image().end(), [](char c) {
               return absl::ascii_isspace(static_cast<unsigned char>(c)) ||
                      absl::ascii_iscntrl(static_cast<unsigned char>(c));
             })) {
    v.Add(path + ".image", "must not contain whitespace or control characters");
  }
  CheckLength(path + ".image", task.image(), limits.max_short_string_length, v);
  CheckRegistryAuth(task, path, limits, v);
  CheckVariables(task, path, limits, v);
  CheckCommand(task, path, limits, v);
  if (task.has_timeout()) {
    CheckDuration(path + ".timeout", task.timeout(), limits.max_task_timeout, v);
  }
  CheckResources(task, path, limits, v);
  CheckRetries(task, path, limits, v);
}

}  // namespace gofer::pipeline::internal
