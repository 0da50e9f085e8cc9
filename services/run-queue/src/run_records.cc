#include "run_records.h"

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace gofer::run_queue {
namespace {

// Finds the value whose name is `name` among `values` (the enum's every value).
template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseName(std::string_view what, std::string_view name,
                               const Enum (&values)[N], std::string_view (*name_of)(Enum)) {
  for (Enum value : values) {
    if (name_of(value) == name) {
      return value;
    }
  }
  return absl::InvalidArgumentError(fmt::format("unknown {} '{}'", what, name));
}

}  // namespace

std::string RunKey::ToString() const {
  return fmt::format("{}/{}/{}", namespace_id, pipeline_id, run_id);
}

absl::StatusOr<RunKey> RunKey::Parse(std::string_view text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(text.data(), text.size()), '/');
  RunKey key;
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() ||
      !absl::SimpleAtoi(parts[2], &key.run_id) || key.run_id < 1) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a run key (<namespace>/<pipeline>/<run>)", text));
  }
  key.namespace_id = std::string(parts[0].data(), parts[0].size());
  key.pipeline_id = std::string(parts[1].data(), parts[1].size());
  return key;
}

absl::StatusOr<RunState> ParseRunState(std::string_view name) {
  static constexpr RunState kAll[] = {RunState::kPending, RunState::kRunning, RunState::kComplete};
  return ParseName("run state", name, kAll, &RunStateName);
}

absl::StatusOr<RunStatus> ParseRunStatus(std::string_view name) {
  static constexpr RunStatus kAll[] = {RunStatus::kNone, RunStatus::kSuccessful, RunStatus::kFailed,
                                       RunStatus::kCancelled};
  return ParseName("run status", name, kAll, &RunStatusName);
}

absl::StatusOr<TaskState> ParseTaskState(std::string_view name) {
  static constexpr TaskState kAll[] = {TaskState::kPending, TaskState::kWaiting,
                                       TaskState::kStarting, TaskState::kRunning,
                                       TaskState::kComplete};
  return ParseName("task state", name, kAll, &TaskStateName);
}

absl::StatusOr<TaskStatus> ParseTaskStatus(std::string_view name) {
  static constexpr TaskStatus kAll[] = {TaskStatus::kNone, TaskStatus::kSuccessful,
                                        TaskStatus::kFailed, TaskStatus::kCancelled,
                                        TaskStatus::kSkipped};
  return ParseName("task status", name, kAll, &TaskStatusName);
}

absl::StatusOr<ReasonKind> ParseReasonKind(std::string_view name) {
  static constexpr ReasonKind kAll[] = {
      ReasonKind::kNone,           ReasonKind::kAbnormalExit,       ReasonKind::kTimeout,
      ReasonKind::kSchedulerError, ReasonKind::kFailedPrecondition, ReasonKind::kCancelled,
      ReasonKind::kOomKilled,      ReasonKind::kInfrastructure,     ReasonKind::kDependencyNotMet};
  return ParseName("reason kind", name, kAll, &ReasonKindName);
}

}  // namespace gofer::run_queue
