// The Engine API's JSON ⇄ the scheduler's types: request bodies, inspect results, errors,
// image references and registry credentials. Part of the docker backend (only docker_* files
// include nlohmann::json). Pure functions, unit-tested on recorded engine answers.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "container_engine.h"

namespace gofer::scheduler::docker {

// The label holding the image digest recorded at start (read back by Inspect).
inline constexpr char kImageDigestLabel[] = "gofer.image-digest";

// An image reference split the way POST /images/create wants it.
struct ImageReference {
  std::string repository;  // "127.0.0.1:5000/team/tool", "busybox"
  std::string tag;         // "1.2", or "" when the reference has a digest
  std::string digest;      // "sha256:..." or ""
  std::string registry;    // "127.0.0.1:5000", or "docker.io" for Docker Hub names
};

// Splits "registry:5000/repo/name:tag@sha256:..." (tag "latest" when neither tag nor digest).
ImageReference ParseImageReference(std::string_view image);

// The body of POST /containers/create for `spec`, with the labels gofer.managed=true and
// gofer.image-digest=`image_digest` added.
nlohmann::json CreateContainerBody(const ContainerSpec& spec, const std::string& image_digest);

// A ContainerStatus from GET /containers/{id}/json. INTERNAL when the document lacks the
// fields every engine sends (Id, State).
absl::StatusOr<ContainerStatus> ParseInspect(const nlohmann::json& inspect,
                                             const std::string& node);

// The digest to record for a pulled or local image (GET /images/{name}/json): the RepoDigest of
// `reference`'s repository when present, else the first RepoDigest, else the image Id.
std::string ImageDigestOf(const nlohmann::json& image_inspect, const ImageReference& reference);

// The X-Registry-Auth header value: base64url of {"username","password","serveraddress"}.
std::string RegistryAuthHeader(const RegistryAuth& auth, const std::string& server);

// The first error reported in a POST /images/create progress stream (JSON objects, one a
// line, each possibly carrying "error"), or "" when the pull succeeded.
std::string PullStreamError(std::string_view stream);

// The engine's message in an error response body ({"message": "..."}), or the body itself
// when it is not JSON.
std::string ErrorMessage(std::string_view body);

// The body of POST /containers/{id}/exec.
nlohmann::json ExecCreateBody(const ExecSpec& spec);

// The JSON filter of GET /containers/json and /events selecting the scheduler's containers
// with every label of `labels`: {"label": ["gofer.managed=true", "k=v", ...]}.
std::string LabelFilter(const Labels& labels, bool containers_only);

// The container id and name of a GET /events message, and whether it may change the state
// (start, die, kill, oom, pause, unpause, destroy, ...); empty id for other messages.
struct ContainerEvent {
  std::string id;
  std::string name;
};
ContainerEvent ParseEvent(std::string_view line);

}  // namespace gofer::scheduler::docker
