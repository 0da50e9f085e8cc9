#include "run_plan_config.h"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "gofer/rpc/proto_time.h"
#include "google/protobuf/duration.pb.h"

namespace gofer::run_queue {
namespace {

// A limit from the config: zero (or unset) means none.
absl::Duration LimitFromProto(const google::protobuf::Duration& d) {
  const absl::Duration value = rpc::FromDuration(d);
  return value == absl::ZeroDuration() ? absl::InfiniteDuration() : value;
}

void ConvertParents(const gofer::v1::Task& in, PlannedTask& out,
                    std::vector<std::string>& problems) {
  for (const auto& [parent, condition] : in.depends_on()) {
    Dependency dep{parent, Condition::kSuccess};
    switch (condition) {
      case gofer::v1::DEPENDENCY_CONDITION_SUCCESS:
        dep.condition = Condition::kSuccess;
        break;
      case gofer::v1::DEPENDENCY_CONDITION_FAILURE:
        dep.condition = Condition::kFailure;
        break;
      case gofer::v1::DEPENDENCY_CONDITION_ANY:
        dep.condition = Condition::kAny;
        break;
      default:
        problems.push_back(
            fmt::format("task '{}' has no valid condition on parent '{}'", in.id(), parent));
        continue;
    }
    out.parents.push_back(std::move(dep));
  }
}

void ConvertRetries(const gofer::v1::Task& in, PlannedTask& out,
                    std::vector<std::string>& problems) {
  const gofer::v1::RetryPolicy& retries = in.retries();
  out.retry.attempts = retries.attempts() == 0 ? kDefaultAttempts : retries.attempts();
  switch (retries.on()) {
    case gofer::v1::RETRY_ON_UNSPECIFIED:
    case gofer::v1::RETRY_ON_INFRASTRUCTURE:
      out.retry.on = RetryOn::kInfrastructure;
      break;
    case gofer::v1::RETRY_ON_ANY:
      out.retry.on = RetryOn::kAny;
      break;
    default:
      problems.push_back(fmt::format("task '{}' has an unknown retries.on", in.id()));
  }
}

}  // namespace

absl::StatusOr<RunPlan> FromConfig(const gofer::v1::PipelineConfig& config) {
  std::vector<PlannedTask> tasks;
  std::vector<std::string> problems;
  tasks.reserve(config.tasks_size());
  for (const gofer::v1::Task& in : config.tasks()) {
    PlannedTask task;
    task.id = in.id();
    task.timeout = LimitFromProto(in.timeout());
    ConvertParents(in, task, problems);
    ConvertRetries(in, task, problems);
    tasks.push_back(std::move(task));
  }
  if (!problems.empty()) {
    std::string message = "invalid run snapshot: ";
    for (size_t i = 0; i < problems.size(); ++i) {
      message += (i == 0 ? "" : "; ") + problems[i];
    }
    return absl::FailedPreconditionError(message);
  }
  return RunPlan::Create(std::move(tasks), LimitFromProto(config.run_timeout()));
}

}  // namespace gofer::run_queue
