#include "scheduler_convert.h"

#include "gofer/rpc/proto_time.h"

#include <fmt/format.h>

#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"

namespace gofer::scheduler {
namespace {

constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxLabelKey = 128;
constexpr size_t kMaxLabelValue = 256;

bool IsNameChar(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

bool IsContainerName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0)) {
      return false;
    }
  }
  return true;
}

bool IsEnvName(std::string_view key) {
  if (key.empty()) {
    return false;
  }
  for (char c : key) {
    if (c == '=' || c == '\0') {
      return false;
    }
  }
  return true;
}

bool IsPrintable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

void CheckLabels(const google::protobuf::Map<std::string, std::string>& labels, Violations& v) {
  for (const auto& [key, value] : labels) {
    if (key.empty() || key.size() > kMaxLabelKey || !IsPrintable(key) ||
        key.find('=') != std::string::npos) {
      v.Add(fmt::format("labels[{}]", key), "keys are 1–128 printable characters without '='");
    } else if (key == kManagedLabel) {
      v.Add(fmt::format("labels[{}]", key), "is set by the scheduler itself");
    }
    if (value.size() > kMaxLabelValue || !IsPrintable(value)) {
      v.Add(fmt::format("labels[{}]", key), "values are at most 256 printable characters");
    }
  }
}

std::vector<std::pair<std::string, std::string>> SortedEnv(
    const google::protobuf::Map<std::string, std::string>& env) {
  std::map<std::string, std::string> sorted(env.begin(), env.end());
  return {sorted.begin(), sorted.end()};
}

}  // namespace

absl::Status ValidateContainerId(const std::string& id) {
  if (!IsContainerName(id)) {
    return InvalidArgumentError(
        {{"scheduler_id", "must be a scheduler id or a container name ([a-zA-Z0-9_.-], 1–128)"}});
  }
  return absl::OkStatus();
}

absl::StatusOr<ContainerSpec> SpecFromProto(const v1::StartContainerRequest& request) {
  Violations v;
  if (!IsContainerName(request.name())) {
    v.Add("name", "1–128 of [a-zA-Z0-9_.-], starting with a letter or digit");
  }
  if (request.image().empty() || !IsPrintable(request.image()) ||
      request.image().find(' ') != std::string::npos) {
    v.Add("image", "an image reference is required (no spaces)");
  }
  for (const auto& [key, value] : request.env()) {
    if (!IsEnvName(key)) {
      v.Add(fmt::format("env[{}]", key), "names are non-empty and contain no '='");
    }
  }
  CheckLabels(request.labels(), v);
  const v1::Resources& r = request.resources();
  if (r.cpu_millis() < 0 || r.memory_bytes() < 0 || r.pids() < 0) {
    v.Add("resources", "limits must not be negative");
  }
  if (r.memory_bytes() > 0 && r.memory_bytes() < 6 * 1024 * 1024) {
    v.Add("resources.memory_bytes", "must be at least 6 MiB (the engines' minimum)");
  }
  if (request.has_registry_auth() && request.registry_auth().username().empty()) {
    v.Add("registry_auth.username", "is required with registry credentials");
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  ContainerSpec spec;
  spec.name = request.name();
  spec.image = request.image();
  spec.env = SortedEnv(request.env());
  spec.entrypoint.assign(request.entrypoint().begin(), request.entrypoint().end());
  spec.command.assign(request.command().begin(), request.command().end());
  spec.working_dir = request.working_dir();
  if (request.has_registry_auth()) {
    spec.registry_auth =
        RegistryAuth{request.registry_auth().username(), request.registry_auth().password()};
  }
  spec.always_pull = request.always_pull();
  spec.resources = {r.cpu_millis(), r.memory_bytes(), r.pids()};
  spec.labels = Labels(request.labels().begin(), request.labels().end());
  spec.network = request.network_mode() == v1::NETWORK_MODE_HOST     ? NetworkMode::kHost
                 : request.network_mode() == v1::NETWORK_MODE_BRIDGE ? NetworkMode::kBridge
                                                                     : NetworkMode::kNone;
  return spec;
}

absl::StatusOr<ExecSpec> ExecSpecFromProto(const v1::ExecStart& start) {
  Violations v;
  if (!IsContainerName(start.scheduler_id())) {
    v.Add("start.scheduler_id", "must be a scheduler id or a container name");
  }
  if (start.command().empty()) {
    v.Add("start.command", "at least the program is required");
  }
  for (const auto& [key, value] : start.env()) {
    if (!IsEnvName(key)) {
      v.Add(fmt::format("start.env[{}]", key), "names are non-empty and contain no '='");
    }
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  ExecSpec spec;
  spec.container = start.scheduler_id();
  spec.command.assign(start.command().begin(), start.command().end());
  spec.tty = start.tty();
  spec.env = SortedEnv(start.env());
  spec.working_dir = start.working_dir();
  spec.size = {start.size().rows(), start.size().columns()};
  return spec;
}

absl::StatusOr<LogOptions> LogOptionsFromProto(const v1::StreamLogsRequest& request) {
  Violations v;
  if (!IsContainerName(request.scheduler_id())) {
    v.Add("scheduler_id", "must be a scheduler id or a container name");
  }
  if (request.offset() < 0) {
    v.Add("offset", "must not be negative");
  }
  if (request.offset() > 0 && request.has_since()) {
    v.Add("since", "cannot be combined with an offset");
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  LogOptions options;
  options.offset = request.offset();
  if (request.has_since()) {
    options.since = rpc::FromTimestamp(request.since());
  }
  options.follow = request.follow();
  return options;
}

v1::ContainerState ToProto(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated:
      return v1::CONTAINER_STATE_CREATED;
    case ContainerState::kRunning:
      return v1::CONTAINER_STATE_RUNNING;
    case ContainerState::kPaused:
      return v1::CONTAINER_STATE_PAUSED;
    case ContainerState::kRestarting:
      return v1::CONTAINER_STATE_RESTARTING;
    case ContainerState::kExited:
      return v1::CONTAINER_STATE_EXITED;
    case ContainerState::kDead:
      return v1::CONTAINER_STATE_DEAD;
    case ContainerState::kUnknown:
      break;
  }
  return v1::CONTAINER_STATE_UNSPECIFIED;
}

ContainerState FromProto(v1::ContainerState state) {
  switch (state) {
    case v1::CONTAINER_STATE_CREATED:
      return ContainerState::kCreated;
    case v1::CONTAINER_STATE_RUNNING:
      return ContainerState::kRunning;
    case v1::CONTAINER_STATE_PAUSED:
      return ContainerState::kPaused;
    case v1::CONTAINER_STATE_RESTARTING:
      return ContainerState::kRestarting;
    case v1::CONTAINER_STATE_EXITED:
      return ContainerState::kExited;
    case v1::CONTAINER_STATE_DEAD:
      return ContainerState::kDead;
    default:
      return ContainerState::kUnknown;
  }
}

void ToProto(const ContainerStatus& status, v1::ContainerStatus* out) {
  out->set_scheduler_id(status.id);
  out->set_name(status.name);
  out->set_state(ToProto(status.state));
  out->set_exit_code(status.exit_code);
  out->set_oom_killed(status.oom_killed);
  if (status.started.has_value()) {
    rpc::ToTimestamp(*status.started, out->mutable_started());
  }
  if (status.finished.has_value()) {
    rpc::ToTimestamp(*status.finished, out->mutable_finished());
  }
  out->mutable_labels()->insert(status.labels.begin(), status.labels.end());
  out->set_image(status.image);
  out->set_image_digest(status.image_digest);
  out->set_node(status.node);
  out->set_error(status.error);
}

void ToProto(const LogChunk& chunk, v1::LogChunk* out) {
  out->set_stream(chunk.stream == OutputStream::kStderr ? v1::LOG_STREAM_STDERR
                                                        : v1::LOG_STREAM_STDOUT);
  rpc::ToTimestamp(chunk.time, out->mutable_time());
  out->set_offset(chunk.offset);
  out->set_data(chunk.data);
}

}  // namespace gofer::scheduler
