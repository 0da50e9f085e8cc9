#include "docker_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "docker_api.h"
#include "docker_http.h"
#include "docker_json.h"
#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"

namespace gofer::scheduler {
namespace {

using docker::HttpRequest;
using docker::HttpResponse;
using nlohmann::json;

bool Ok(const HttpResponse& r) { return r.status >= 200 && r.status < 300; }

absl::StatusOr<json> ParseBody(const HttpResponse& response, std::string_view what) {
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InternalError(fmt::format("the engine's answer to {} is not JSON", what));
  }
  return parsed;
}

absl::Status NameTaken(std::string_view name, const std::string& id) {
  return WithErrorInfo(
      absl::AlreadyExistsError(fmt::format("a container named '{}' already exists", name)),
      ErrorReason::kResourceExists, {{"scheduler_id", id}});
}

}  // namespace

absl::StatusOr<std::unique_ptr<DockerEngine>> DockerEngine::Create(const DockerOptions& options) {
  GOFER_ASSIGN_OR_RETURN(std::string socket, docker::SocketPathOf(options.host));
  return std::unique_ptr<DockerEngine>(new DockerEngine(options, std::move(socket)));
}

DockerEngine::DockerEngine(const DockerOptions& options, std::string socket_path)
    : options_(options),
      http_(std::make_unique<docker::DockerHttp>(std::move(socket_path), "v1.41")),
      events_(std::make_unique<docker::EventWatcher>(*http_)) {}

DockerEngine::~DockerEngine() = default;

absl::Status DockerEngine::Ping() {
  GOFER_ASSIGN_OR_RETURN(HttpResponse response,
                         http_->Call({.path = "/_ping", .timeout = options_.request_timeout}));
  return Ok(response) ? absl::OkStatus() : docker::StatusFromResponse(response, "engine", "ping");
}

absl::StatusOr<std::string> DockerEngine::Node() {
  {
    absl::MutexLock lock(&mu_);
    if (!node_.empty()) {
      return node_;
    }
  }
  GOFER_ASSIGN_OR_RETURN(HttpResponse response,
                         http_->Call({.path = "/info", .timeout = options_.request_timeout}));
  if (!Ok(response)) {
    return docker::StatusFromResponse(response, "engine", "info");
  }
  GOFER_ASSIGN_OR_RETURN(json info, ParseBody(response, "GET /info"));
  absl::MutexLock lock(&mu_);
  node_ = info.value("Name", std::string("unknown"));
  return node_;
}

absl::Status DockerEngine::Pull(const ContainerSpec& spec) {
  const docker::ImageReference ref = docker::ParseImageReference(spec.image);
  HttpRequest request{.method = "POST",
                      .path = "/images/create",
                      .query = {{"fromImage", ref.repository}},
                      .timeout = options_.pull_timeout};
  request.query.emplace_back("tag", ref.digest.empty() ? ref.tag : ref.digest);
  if (spec.registry_auth.has_value()) {
    request.headers.push_back("X-Registry-Auth: " +
                              docker::RegistryAuthHeader(*spec.registry_auth, ref.registry));
  }
  GOFER_ASSIGN_OR_RETURN(HttpResponse response, http_->Call(request));
  std::string error =
      Ok(response) ? docker::PullStreamError(response.body) : docker::ErrorMessage(response.body);
  if (error.empty()) {
    return absl::OkStatus();
  }
  if (response.status == 503) {
    return absl::UnavailableError(fmt::format("pulling image '{}': {}", spec.image, error));
  }
  return WithErrorInfo(
      absl::FailedPreconditionError(fmt::format("cannot pull image '{}': {}", spec.image, error)),
      ErrorReason::kFailedPrecondition, {{"image", spec.image}});
}

absl::StatusOr<std::string> DockerEngine::EnsureImage(const ContainerSpec& spec) {
  const HttpRequest inspect{.path = fmt::format("/images/{}/json", spec.image),
                            .timeout = options_.request_timeout};
  GOFER_ASSIGN_OR_RETURN(HttpResponse image, http_->Call(inspect));
  if (spec.always_pull || image.status == 404) {
    GOFER_RETURN_IF_ERROR(Pull(spec));
    GOFER_ASSIGN_OR_RETURN(image, http_->Call(inspect));
  }
  if (!Ok(image)) {
    return docker::StatusFromResponse(image, "image", spec.image);
  }
  GOFER_ASSIGN_OR_RETURN(json parsed, ParseBody(image, "GET /images/{name}/json"));
  return docker::ImageDigestOf(parsed, docker::ParseImageReference(spec.image));
}

absl::StatusOr<std::string> DockerEngine::Create(const ContainerSpec& spec,
                                                 const std::string& digest) {
  GOFER_ASSIGN_OR_RETURN(HttpResponse created,
                         http_->Call({.method = "POST",
                                      .path = "/containers/create",
                                      .query = {{"name", spec.name}},
                                      .json_body = docker::CreateContainerBody(spec, digest).dump(),
                                      .timeout = options_.request_timeout}));
  if (Ok(created)) {
    GOFER_ASSIGN_OR_RETURN(json body, ParseBody(created, "POST /containers/create"));
    return body.value("Id", std::string());
  }
  // dockerd answers 409; podman 4 answers 500 "... is already in use".
  const bool taken = created.status == 409 ||
                     (created.status == 500 &&
                      absl::StrContains(docker::ErrorMessage(created.body), "already in use"));
  if (!taken) {
    return docker::StatusFromResponse(created, "container", spec.name);
  }
  // The name is taken. A managed container a previous attempt created but never started (its
  // start failed transiently) is started now; anything else must not run the task twice.
  auto existing = docker::InspectManaged(*http_, spec.name, options_.request_timeout);
  if (!existing.ok()) {
    return existing.status().code() == absl::StatusCode::kNotFound ? NameTaken(spec.name, "")
                                                                   : existing.status();
  }
  const std::string id = existing->value("Id", std::string());
  if ((*existing)["State"].value("Status", std::string()) != "created" ||
      (*existing)["State"].value("Error", std::string()) != "") {
    return NameTaken(spec.name, id);
  }
  return id;
}

absl::Status DockerEngine::StartCreated(const std::string& id) {
  GOFER_ASSIGN_OR_RETURN(HttpResponse started,
                         http_->Call({.method = "POST",
                                      .path = fmt::format("/containers/{}/start", id),
                                      .timeout = options_.request_timeout}));
  if (Ok(started) || started.status == 304) {
    return absl::OkStatus();
  }
  absl::Status status = docker::StatusFromResponse(started, "container", id);
  if (status.code() == absl::StatusCode::kUnavailable) {
    return status;
  }
  // The engine refused to run it (no such executable, say): a definite failure of this spec.
  return WithErrorInfo(absl::FailedPreconditionError(fmt::format(
                           "cannot start container: {}", docker::ErrorMessage(started.body))),
                       ErrorReason::kFailedPrecondition, {{"scheduler_id", id}});
}

absl::StatusOr<StartedContainer> DockerEngine::Start(const ContainerSpec& spec) {
  GOFER_ASSIGN_OR_RETURN(std::string node, Node());
  GOFER_ASSIGN_OR_RETURN(std::string digest, EnsureImage(spec));
  GOFER_ASSIGN_OR_RETURN(std::string id, Create(spec, digest));
  GOFER_RETURN_IF_ERROR(StartCreated(id));
  return StartedContainer{id, node, digest};
}

absl::Status DockerEngine::Stop(std::string_view id, absl::Duration grace) {
  GOFER_ASSIGN_OR_RETURN(json inspect,
                         docker::InspectManaged(*http_, id, options_.request_timeout));
  const int64_t seconds = static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(grace)));
  GOFER_ASSIGN_OR_RETURN(
      HttpResponse stopped,
      http_->Call({.method = "POST",
                   .path = fmt::format("/containers/{}/stop", inspect.value("Id", "")),
                   .query = {{"t", std::to_string(std::max<int64_t>(0, seconds))}},
                   .timeout = options_.request_timeout + grace}));
  if (Ok(stopped) || stopped.status == 304) {
    return absl::OkStatus();
  }
  return docker::StatusFromResponse(stopped, "container", id);
}

absl::StatusOr<ContainerStatus> DockerEngine::Inspect(std::string_view id) {
  GOFER_ASSIGN_OR_RETURN(json inspect,
                         docker::InspectManaged(*http_, id, options_.request_timeout));
  GOFER_ASSIGN_OR_RETURN(std::string node, Node());
  return docker::ParseInspect(inspect, node);
}

absl::StatusOr<std::vector<ContainerStatus>> DockerEngine::List(const Labels& labels) {
  GOFER_ASSIGN_OR_RETURN(
      HttpResponse listed,
      http_->Call({.path = "/containers/json",
                   .query = {{"all", "1"}, {"filters", docker::LabelFilter(labels, false)}},
                   .timeout = options_.request_timeout}));
  if (!Ok(listed)) {
    return docker::StatusFromResponse(listed, "containers", "list");
  }
  GOFER_ASSIGN_OR_RETURN(json entries, ParseBody(listed, "GET /containers/json"));
  std::vector<ContainerStatus> out;
  for (const json& entry : entries) {
    auto status = Inspect(entry.value("Id", ""));
    if (status.ok() && MatchesLabels(status->labels, labels)) {
      out.push_back(*std::move(status));
    } else if (!status.ok() && status.status().code() != absl::StatusCode::kNotFound) {
      return status.status();  // (NOT_FOUND: removed since it was listed)
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::Status DockerEngine::Remove(std::string_view id, bool force) {
  GOFER_ASSIGN_OR_RETURN(json inspect,
                         docker::InspectManaged(*http_, id, options_.request_timeout));
  const std::string status = inspect["State"].value("Status", "");
  if (!force && (status == "running" || status == "paused" || status == "restarting")) {
    return WithErrorInfo(
        absl::FailedPreconditionError(
            fmt::format("container '{}' is {}; stop it first or remove it with force", id, status)),
        ErrorReason::kFailedPrecondition);
  }
  GOFER_ASSIGN_OR_RETURN(
      HttpResponse removed,
      http_->Call({.method = "DELETE",
                   .path = fmt::format("/containers/{}", inspect.value("Id", "")),
                   .query = {{"force", "1"}, {"v", "1"}},
                   .timeout = options_.request_timeout}));
  if (Ok(removed) || removed.status == 404) {
    return absl::OkStatus();
  }
  return docker::StatusFromResponse(removed, "container", id);
}

absl::StatusOr<std::unique_ptr<LogReader>> DockerEngine::OpenLogs(std::string_view id,
                                                                  const LogOptions& options) {
  return docker::OpenDockerLogs(*http_, id, options, options_.request_timeout);
}

absl::StatusOr<std::unique_ptr<ExecSession>> DockerEngine::Exec(const ExecSpec& spec) {
  return docker::StartDockerExec(*http_, spec, options_.request_timeout);
}

std::unique_ptr<Subscription> DockerEngine::Watch(std::string_view id,
                                                  std::function<void()> on_change) {
  return events_->Watch(id, std::move(on_change));
}

}  // namespace gofer::scheduler
