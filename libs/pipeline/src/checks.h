// Checks of single fields of a config, shared by validation.cc (the config and its graph) and
// task_validation.cc (one task's own fields), and the bounded violation list both validation
// and parsing report.
#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "gofer/common/validation.h"
#include "gofer/pipeline/validation.h"
#include "gofer/v1/pipelines.pb.h"
#include "google/protobuf/duration.pb.h"

namespace gofer::pipeline::internal {

// Records a violation of `field` when `value` is longer than `max` bytes.
void CheckLength(std::string_view field, std::string_view value, size_t max, Violations& v);

// Records a violation of `field` when `d` is not a valid protobuf Duration, is negative, or is
// longer than `max`.
void CheckDuration(std::string_view field, const google::protobuf::Duration& d, absl::Duration max,
                   Violations& v);

// Records the violations of `task`'s own fields (everything but its id and its relations to
// other tasks), under the path `path` ("config.tasks[build]").
void CheckTaskFields(const gofer::v1::Task& task, const std::string& path,
                     const ValidationLimits& limits, Violations& v);

// OK when `v` is empty, otherwise InvalidArgumentError with its violations cut to `max` (0: no
// limit) plus one violation of `overflow_field` saying how many were left out.
absl::Status LimitedStatus(const Violations& v, size_t max, std::string_view overflow_field);

}  // namespace gofer::pipeline::internal
