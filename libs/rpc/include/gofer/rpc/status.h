// absl::Status ⇄ grpc::Status, keeping error details.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace gofer::rpc {

// The same canonical code and message, with every status payload (ErrorInfo, BadRequest, ...)
// sent as a google.rpc.Status detail in the grpc-status-details-bin trailer.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse: details in the trailer become payloads again, so errors keep their ErrorInfo
// and BadRequest across a hop between services.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace gofer::rpc
