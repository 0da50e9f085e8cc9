// gofer.scheduler.v1 messages ⇄ the engine's types, with request validation (one
// INVALID_ARGUMENT listing every violation).
#pragma once

#include "absl/status/statusor.h"
#include "container_engine.h"
#include "gofer/scheduler/v1/scheduler.pb.h"

namespace gofer::scheduler {

// The spec of a StartContainer request; INVALID_ARGUMENT for a missing or malformed name,
// image, label or environment key, or negative resources.
absl::StatusOr<ContainerSpec> SpecFromProto(const v1::StartContainerRequest& request);

// The exec spec of an Exec stream's first message; INVALID_ARGUMENT without a container or a
// command.
absl::StatusOr<ExecSpec> ExecSpecFromProto(const v1::ExecStart& start);

// The log options of a StreamLogs request; INVALID_ARGUMENT for a negative offset or an offset
// combined with `since`.
absl::StatusOr<LogOptions> LogOptionsFromProto(const v1::StreamLogsRequest& request);

// INVALID_ARGUMENT when `id` (a scheduler id or name) is empty or malformed.
absl::Status ValidateContainerId(const std::string& id);

void ToProto(const ContainerStatus& status, v1::ContainerStatus* out);
void ToProto(const LogChunk& chunk, v1::LogChunk* out);
v1::ContainerState ToProto(ContainerState state);
ContainerState FromProto(v1::ContainerState state);

}  // namespace gofer::scheduler
