#include "gofer/common/errors.h"

#include <fmt/format.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gofer/common/string_view_bridge.h"
#include "google/rpc/error_details.pb.h"

namespace gofer {
namespace {

constexpr std::string_view kErrorInfoUrl = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr std::string_view kBadRequestUrl = "type.googleapis.com/google.rpc.BadRequest";

template <typename Message>
bool ParsePayload(const absl::Status& status, std::string_view url, Message* out) {
  const auto payload = status.GetPayload(ToAbsl(url));
  return payload.has_value() && out->ParseFromString(std::string(*payload));
}

}  // namespace

std::string_view ErrorReasonName(ErrorReason reason) {
  switch (reason) {
    case ErrorReason::kInvalidField:
      return "INVALID_FIELD";
    case ErrorReason::kResourceNotFound:
      return "RESOURCE_NOT_FOUND";
    case ErrorReason::kParentNotFound:
      return "PARENT_NOT_FOUND";
    case ErrorReason::kResourceExists:
      return "RESOURCE_EXISTS";
    case ErrorReason::kUnauthenticated:
      return "UNAUTHENTICATED";
    case ErrorReason::kPermissionDenied:
      return "PERMISSION_DENIED";
    case ErrorReason::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case ErrorReason::kOverloaded:
      return "OVERLOADED";
    case ErrorReason::kLimitExceeded:
      return "LIMIT_EXCEEDED";
    case ErrorReason::kDependencyUnavailable:
      return "DEPENDENCY_UNAVAILABLE";
    case ErrorReason::kConflict:
      return "CONFLICT";
    case ErrorReason::kInternalError:
      return "INTERNAL_ERROR";
    case ErrorReason::kRunsPaused:
      return "RUNS_PAUSED";
  }
  return "ERROR_REASON_UNSPECIFIED";
}

absl::Status WithErrorInfo(absl::Status status, ErrorReason reason,
                           std::map<std::string, std::string> metadata) {
  if (status.ok()) {
    return status;
  }
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(ErrorReasonName(reason)));
  info.set_domain(std::string(kErrorDomain));
  for (auto& [key, value] : metadata) {
    (*info.mutable_metadata())[key] = std::move(value);
  }
  status.SetPayload(ToAbsl(kErrorInfoUrl), absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status InvalidArgumentError(std::vector<FieldViolation> violations) {
  google::rpc::BadRequest bad_request;
  std::vector<std::string> parts;
  parts.reserve(violations.size());
  for (const FieldViolation& v : violations) {
    auto* out = bad_request.add_field_violations();
    out->set_field(v.field);
    out->set_description(v.description);
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
  }
  absl::Status status = WithErrorInfo(
      absl::InvalidArgumentError(absl::StrCat("invalid request: ", absl::StrJoin(parts, "; "))),
      ErrorReason::kInvalidField);
  status.SetPayload(ToAbsl(kBadRequestUrl), absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status NotFoundError(std::string_view resource, std::string_view id,
                           std::vector<std::pair<std::string, std::string>> parents, bool parent) {
  std::string message = fmt::format("{} '{}' not found", resource, id);
  std::map<std::string, std::string> metadata{{"resource", std::string(resource)},
                                              {"id", std::string(id)}};
  for (size_t i = 0; i < parents.size(); ++i) {
    const auto& [key, value] = parents[i];
    std::string_view kind = key;
    if (kind.size() > 3 && kind.substr(kind.size() - 3) == "_id") {
      kind.remove_suffix(3);
    }
    message += fmt::format("{}{} '{}'", i == 0 ? " in " : ", ", kind, value);
    metadata[key] = value;
  }
  return WithErrorInfo(absl::NotFoundError(message),
                       parent ? ErrorReason::kParentNotFound : ErrorReason::kResourceNotFound,
                       std::move(metadata));
}

absl::Status AlreadyExistsError(std::string_view resource, std::string_view id) {
  return WithErrorInfo(
      absl::AlreadyExistsError(fmt::format("{} '{}' already exists", resource, id)),
      ErrorReason::kResourceExists, {{"resource", std::string(resource)}, {"id", std::string(id)}});
}

ErrorDetails GetErrorDetails(const absl::Status& status) {
  ErrorDetails details;
  google::rpc::ErrorInfo info;
  if (ParsePayload(status, kErrorInfoUrl, &info)) {
    details.reason = info.reason();
    details.metadata.insert(info.metadata().begin(), info.metadata().end());
  }
  return details;
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  google::rpc::BadRequest bad_request;
  if (ParsePayload(status, kBadRequestUrl, &bad_request)) {
    for (const auto& v : bad_request.field_violations()) {
      out.push_back({v.field(), v.description()});
    }
  }
  return out;
}

}  // namespace gofer
