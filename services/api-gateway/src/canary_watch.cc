#include "canary_watch.h"

#include <fmt/format.h>

#include "gofer/common/status_macros.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/rpc/status.h"
#include "gofer/runqueue/v1/run_queue.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace gofer::api_gateway {
namespace {

constexpr char kActor[] = "system:canary-watch";
constexpr int kMaxPages = 20;

// The finished runs of `d`'s target version since it started.
absl::StatusOr<CanaryResults> Results(const DeploymentRecord& d, const rpc::Client& run_queue) {
  auto stub = runqueue::v1::RunQueue::NewStub(run_queue.channel());
  CanaryResults results;
  v1::ListRunsRequest request;
  request.set_namespace_id(d.namespace_id);
  request.set_pipeline_id(d.pipeline_id);
  request.set_state(v1::RUN_STATE_COMPLETE);
  request.set_page_size(200);
  for (int page = 0; page < kMaxPages; ++page) {
    v1::ListRunsResponse response;
    auto context = run_queue.NewContext({.caller = kActor});
    GOFER_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub->ListRuns(context.get(), request, &response)));
    for (const v1::Run& run : response.runs()) {
      if (rpc::FromTimestamp(run.queued()) < d.started) {
        return results;  // newest first: everything after is older than the deployment
      }
      if (run.config_version() != d.end_version) {
        continue;
      }
      ++results.finished;
      if (run.status() == v1::RUN_STATUS_FAILED) {
        ++results.failed;
      }
    }
    if (response.next_page_token().empty()) {
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  return results;
}

}  // namespace

std::optional<std::string> CanaryRollbackReason(const CanarySettings& settings,
                                                const CanaryResults& results) {
  if (settings.max_failure_percent <= 0) {
    return std::nullopt;
  }
  if (results.finished < std::max(settings.min_runs, 1)) {
    return std::nullopt;
  }
  if (static_cast<int64_t>(results.failed) * 100 <=
      static_cast<int64_t>(settings.max_failure_percent) * results.finished) {
    return std::nullopt;
  }
  return fmt::format(
      "automatic rollback: {} of the canary's {} finished runs failed ({}%), above the "
      "threshold of {}%",
      results.failed, results.finished, results.failed * 100 / results.finished,
      settings.max_failure_percent);
}

absl::Status CheckCanaries(DeploymentStore& deployments, const rpc::Client& run_queue) {
  GOFER_ASSIGN_OR_RETURN(std::vector<DeploymentRecord> canaries, deployments.ListRunningCanaries());
  absl::Status first;
  for (const DeploymentRecord& d : canaries) {
    if (!d.canary) {
      continue;
    }
    auto results = Results(d, run_queue);
    if (!results.ok()) {
      first.Update(results.status());
      continue;
    }
    const std::optional<std::string> reason = CanaryRollbackReason(*d.canary, *results);
    if (!reason) {
      continue;
    }
    auto rolled = deployments.Rollback(d.namespace_id, d.pipeline_id, d.id, *reason, kActor);
    if (rolled.ok()) {
      spdlog::warn("deployment {} of {}/{} rolled back: {}", d.id, d.namespace_id, d.pipeline_id,
                   *reason);
    } else if (!absl::IsFailedPrecondition(rolled.status())) {  // finished meanwhile
      first.Update(rolled.status());
    }
  }
  return first;
}

}  // namespace gofer::api_gateway
