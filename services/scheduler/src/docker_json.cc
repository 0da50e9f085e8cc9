#include "docker_json.h"

#include <fmt/format.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::scheduler::docker {
namespace {

using nlohmann::json;

constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

std::optional<absl::Time> ParseTime(const json& value) {
  if (!value.is_string() || value.get<std::string>() == kZeroTime) {
    return std::nullopt;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &t, &error)) {
    return std::nullopt;
  }
  return t;
}

ContainerState StateOf(std::string_view status) {
  static const auto* const kStates = new std::map<std::string_view, ContainerState>{
      {"created", ContainerState::kCreated},    {"running", ContainerState::kRunning},
      {"paused", ContainerState::kPaused},      {"restarting", ContainerState::kRestarting},
      {"removing", ContainerState::kExited},    {"exited", ContainerState::kExited},
      {"dead", ContainerState::kDead},          {"stopped", ContainerState::kExited},
      {"configured", ContainerState::kCreated},  // podman's name for created
  };
  auto it = kStates->find(status);
  return it == kStates->end() ? ContainerState::kUnknown : it->second;
}

std::string StringOr(const json& object, const char* key, std::string fallback = "") {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool IsRegistryHost(std::string_view component) {
  return component.find('.') != std::string_view::npos ||
         component.find(':') != std::string_view::npos || component == "localhost";
}

}  // namespace

ImageReference ParseImageReference(std::string_view image) {
  ImageReference ref;
  std::string_view rest = image;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  const size_t slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  } else if (ref.digest.empty()) {
    ref.tag = "latest";
  }
  ref.repository = std::string(rest);
  const size_t first_slash = rest.find('/');
  ref.registry =
      first_slash != std::string_view::npos && IsRegistryHost(rest.substr(0, first_slash))
          ? std::string(rest.substr(0, first_slash))
          : "docker.io";
  return ref;
}

json CreateContainerBody(const ContainerSpec& spec, const std::string& image_digest) {
  json env = json::array();
  for (const auto& [key, value] : spec.env) {
    env.push_back(key + "=" + value);
  }
  json labels = json::object();
  for (const auto& [key, value] : spec.labels) {
    labels[key] = value;
  }
  labels[kManagedLabel] = kManagedValue;
  labels[kImageDigestLabel] = image_digest;
  json host = {{"NetworkMode", spec.network == NetworkMode::kHost     ? "host"
                               : spec.network == NetworkMode::kBridge ? "bridge"
                                                                      : "none"}};
  if (spec.resources.cpu_millis > 0) {
    host["NanoCpus"] = spec.resources.cpu_millis * 1000000;
  }
  if (spec.resources.memory_bytes > 0) {
    host["Memory"] = spec.resources.memory_bytes;
    host["MemorySwap"] = spec.resources.memory_bytes;  // no swap on top of the limit
  }
  if (spec.resources.pids > 0) {
    host["PidsLimit"] = spec.resources.pids;
  }
  json body = {{"Image", spec.image},  {"Env", env},         {"Labels", labels},
               {"Tty", false},         {"OpenStdin", false}, {"AttachStdout", true},
               {"AttachStderr", true}, {"HostConfig", host}};
  if (!spec.entrypoint.empty()) {
    body["Entrypoint"] = spec.entrypoint;
  }
  if (!spec.command.empty()) {
    body["Cmd"] = spec.command;
  }
  if (!spec.working_dir.empty()) {
    body["WorkingDir"] = spec.working_dir;
  }
  return body;
}

absl::StatusOr<ContainerStatus> ParseInspect(const json& inspect, const std::string& node) {
  if (!inspect.is_object() || !inspect.contains("Id") || !inspect.contains("State") ||
      !inspect["State"].is_object()) {
    return absl::InternalError("the engine's container description lacks Id or State");
  }
  const json& state = inspect["State"];
  ContainerStatus status;
  status.id = StringOr(inspect, "Id");
  status.name = StringOr(inspect, "Name");
  if (absl::StartsWith(status.name, "/")) {
    status.name.erase(0, 1);
  }
  status.state = StateOf(StringOr(state, "Status"));
  status.exit_code = state.value("ExitCode", 0);
  status.oom_killed = state.value("OOMKilled", false);
  status.error = StringOr(state, "Error");
  status.started = ParseTime(state.value("StartedAt", json()));
  status.finished = ParseTime(state.value("FinishedAt", json()));
  if (status.state != ContainerState::kExited && status.state != ContainerState::kDead) {
    status.finished.reset();  // a restarted container keeps its previous FinishedAt
  }
  if (inspect.contains("Config") && inspect["Config"].is_object()) {
    const json& config = inspect["Config"];
    status.image = StringOr(config, "Image");
    if (config.contains("Labels") && config["Labels"].is_object()) {
      for (const auto& [key, value] : config["Labels"].items()) {
        if (value.is_string()) {
          status.labels[key] = value.get<std::string>();
        }
      }
    }
  }
  if (auto it = status.labels.find(kImageDigestLabel); it != status.labels.end()) {
    status.image_digest = it->second;
  }
  status.node = node;
  return status;
}

std::string ImageDigestOf(const json& image_inspect, const ImageReference& reference) {
  std::string first;
  if (image_inspect.contains("RepoDigests") && image_inspect["RepoDigests"].is_array()) {
    for (const json& digest : image_inspect["RepoDigests"]) {
      if (!digest.is_string()) {
        continue;
      }
      const std::string value = digest.get<std::string>();
      if (first.empty()) {
        first = value;
      }
      if (absl::StartsWith(value, reference.repository + "@")) {
        return value;
      }
    }
  }
  return first.empty() ? StringOr(image_inspect, "Id") : first;
}

std::string RegistryAuthHeader(const RegistryAuth& auth, const std::string& server) {
  const json config = {
      {"username", auth.username},
      {"password", auth.password},
      {"serveraddress",
       server == "docker.io" ? std::string("https://index.docker.io/v1/") : server}};
  // base64url with padding (the engine decodes with Go's base64.URLEncoding).
  return absl::StrReplaceAll(absl::Base64Escape(config.dump()), {{"+", "-"}, {"/", "_"}});
}

std::string PullStreamError(std::string_view stream) {
  for (absl::string_view line : absl::StrSplit(ToAbsl(stream), '\n', absl::SkipWhitespace())) {
    const json message = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (message.is_object() && message.contains("error")) {
      return StringOr(message, "error", "the engine reported a pull error");
    }
  }
  return "";
}

std::string ErrorMessage(std::string_view body) {
  const json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) {
    return parsed["message"].get<std::string>();
  }
  std::string text(body);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text.empty() ? "(no message)" : text;
}

json ExecCreateBody(const ExecSpec& spec) {
  json env = json::array();
  for (const auto& [key, value] : spec.env) {
    env.push_back(key + "=" + value);
  }
  json body = {{"AttachStdin", true}, {"AttachStdout", true}, {"AttachStderr", true},
               {"Tty", spec.tty},     {"Cmd", spec.command},  {"Env", env}};
  if (!spec.working_dir.empty()) {
    body["WorkingDir"] = spec.working_dir;
  }
  if (spec.tty && spec.size.rows > 0 && spec.size.columns > 0) {
    body["ConsoleSize"] = {spec.size.rows, spec.size.columns};
  }
  return body;
}

std::string LabelFilter(const Labels& labels, bool containers_only) {
  json label = json::array({fmt::format("{}={}", kManagedLabel, kManagedValue)});
  for (const auto& [key, value] : labels) {
    label.push_back(key + "=" + value);
  }
  json filter = {{"label", label}};
  if (containers_only) {
    filter["type"] = json::array({"container"});
  }
  return filter.dump();
}

ContainerEvent ParseEvent(std::string_view line) {
  static const auto* const kStateActions = new std::set<std::string>{
      "create", "start", "die", "kill", "oom", "pause", "unpause", "stop", "restart", "destroy"};
  const json event = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || StringOr(event, "Type") != "container" ||
      kStateActions->count(StringOr(event, "Action")) == 0 || !event.contains("Actor")) {
    return {};
  }
  const json& actor = event["Actor"];
  ContainerEvent parsed{StringOr(actor, "ID"), ""};
  if (actor.contains("Attributes") && actor["Attributes"].is_object()) {
    parsed.name = StringOr(actor["Attributes"], "name");
  }
  return parsed;
}

}  // namespace gofer::scheduler::docker
