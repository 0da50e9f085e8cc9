// Building and reading errors that carry structured details.
//
// Gofer errors are absl::Status values with a canonical code and, as payloads, the
// google.rpc detail messages that travel to clients in the grpc-status-details-bin trailer:
// a google.rpc.ErrorInfo (reason + metadata, domain "gofer.dev") on every error built here, and
// a google.rpc.BadRequest for INVALID_ARGUMENT. libs/rpc converts payloads to and from the
// wire, so details survive a hop between services. No proto types appear in this header.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace gofer {

// The machine-readable reasons of gofer/v1/errors.proto (ErrorReason); their names are the
// ErrorInfo.reason strings. Keep both lists in step (errors_test checks that they are).
enum class ErrorReason {
  kInvalidField,
  kResourceNotFound,
  kParentNotFound,
  kResourceExists,
  kUnauthenticated,
  kPermissionDenied,
  kFailedPrecondition,
  kOverloaded,
  kLimitExceeded,
  kDependencyUnavailable,
  kConflict,
  kInternalError,
  kRunsPaused,
};

// The ErrorInfo.reason string of `reason`, e.g. "PARENT_NOT_FOUND".
std::string_view ErrorReasonName(ErrorReason reason);

// The ErrorInfo.domain of every Gofer error.
inline constexpr std::string_view kErrorDomain = "gofer.dev";

// One broken rule of a request: `field` is a path such as "config.tasks[2].image".
struct FieldViolation {
  std::string field;
  std::string description;

  friend bool operator==(const FieldViolation&, const FieldViolation&) = default;
};

// ErrorInfo as plain data.
struct ErrorDetails {
  std::string reason;
  std::map<std::string, std::string> metadata;
};

// Returns `status` with an ErrorInfo payload (replacing any previous one). OK stays OK.
absl::Status WithErrorInfo(absl::Status status, ErrorReason reason,
                           std::map<std::string, std::string> metadata = {});

// INVALID_ARGUMENT listing every violation in the message ("invalid request: a: x; b: y") and
// as a BadRequest payload, with reason INVALID_FIELD. `violations` must not be empty.
absl::Status InvalidArgumentError(std::vector<FieldViolation> violations);

// NOT_FOUND for a missing resource, e.g. NotFoundError("pipeline", "build", {{"namespace_id",
// "prod"}}) → "pipeline 'build' not found in namespace 'prod'". With `parent` true the reason
// is PARENT_NOT_FOUND (the thing missing is a parent of what was asked for).
absl::Status NotFoundError(std::string_view resource, std::string_view id,
                           std::vector<std::pair<std::string, std::string>> parents = {},
                           bool parent = false);

// ALREADY_EXISTS for `resource` `id`, reason RESOURCE_EXISTS.
absl::Status AlreadyExistsError(std::string_view resource, std::string_view id);

// The ErrorInfo carried by `status`, or an empty reason when it has none.
ErrorDetails GetErrorDetails(const absl::Status& status);

// The BadRequest violations carried by `status` (empty when none).
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

}  // namespace gofer
