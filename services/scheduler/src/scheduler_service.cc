#include "scheduler_service.h"

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "gofer/common/errors.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"
#include "gofer/rpc/proto_time.h"
#include "scheduler_convert.h"
#include "scheduler_reactors.h"
#include "spdlog/spdlog.h"

namespace gofer::scheduler {
namespace {

constexpr PageLimits kListLimits{.default_size = 100, .max_size = 1000};
const absl::Duration kMaxGrace = absl::Hours(1);

// The filter summed up for page tokens: "k=v,k=v" in key order.
std::string Fingerprint(const Labels& labels) {
  return absl::StrJoin(labels, ",", absl::PairFormatter("="));
}

}  // namespace

grpc::ServerUnaryReactor* SchedulerService::StartContainer(grpc::CallbackServerContext* context,
                                                           const v1::StartContainerRequest* request,
                                                           v1::StartContainerResponse* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    GOFER_ASSIGN_OR_RETURN(ContainerSpec spec, SpecFromProto(*request));
    GOFER_ASSIGN_OR_RETURN(StartedContainer started, engine_.Start(spec));
    // Names and ids only: env values and registry passwords are never logged.
    spdlog::info("started container {} ({}) from {} on {}", spec.name, started.id, spec.image,
                 started.node);
    response->set_scheduler_id(started.id);
    response->set_node(started.node);
    response->set_image_digest(started.image_digest);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SchedulerService::StopContainer(grpc::CallbackServerContext* context,
                                                          const v1::StopContainerRequest* request,
                                                          v1::StopContainerResponse* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    GOFER_RETURN_IF_ERROR(ValidateContainerId(request->scheduler_id()));
    const absl::Duration grace = rpc::FromDuration(request->grace_period());
    if (grace < absl::ZeroDuration() || grace > kMaxGrace) {
      return InvalidArgumentError({{"grace_period", "must be between 0 and 1 hour"}});
    }
    GOFER_RETURN_IF_ERROR(engine_.Stop(request->scheduler_id(), grace));
    GOFER_ASSIGN_OR_RETURN(ContainerStatus status, engine_.Inspect(request->scheduler_id()));
    ToProto(status, response->mutable_status());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SchedulerService::GetState(grpc::CallbackServerContext* context,
                                                     const v1::GetStateRequest* request,
                                                     v1::ContainerStatus* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    GOFER_RETURN_IF_ERROR(ValidateContainerId(request->scheduler_id()));
    GOFER_ASSIGN_OR_RETURN(ContainerStatus status, engine_.Inspect(request->scheduler_id()));
    ToProto(status, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SchedulerService::WaitState(grpc::CallbackServerContext* context,
                                                      const v1::WaitStateRequest* request,
                                                      v1::WaitStateResponse* response) {
  absl::Duration timeout =
      request->has_timeout() ? rpc::FromDuration(request->timeout()) : options_.default_wait;
  timeout = std::clamp(timeout, absl::ZeroDuration(), options_.max_wait);
  return NewWaitStateReactor(context, runtime_, engine_, *request, timeout, response);
}

grpc::ServerWriteReactor<v1::StreamLogsResponse>* SchedulerService::StreamLogs(
    grpc::CallbackServerContext* context, const v1::StreamLogsRequest* request) {
  return NewStreamLogsReactor(context, runtime_, engine_, *request);
}

grpc::ServerBidiReactor<v1::ExecRequest, v1::ExecResponse>* SchedulerService::Exec(
    grpc::CallbackServerContext* context) {
  return NewExecReactor(context, runtime_, engine_, options_.exec_enabled);
}

grpc::ServerUnaryReactor* SchedulerService::ListContainers(grpc::CallbackServerContext* context,
                                                           const v1::ListContainersRequest* request,
                                                           v1::ListContainersResponse* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    const Labels filter(request->labels().begin(), request->labels().end());
    GOFER_ASSIGN_OR_RETURN(PageRequest page,
                           ParsePageRequest(request->page_size(), request->page_token(),
                                            Fingerprint(filter), kListLimits));
    GOFER_ASSIGN_OR_RETURN(std::vector<ContainerStatus> all, engine_.List(filter));
    int taken = 0;
    for (const ContainerStatus& status : all) {  // ordered by id
      if (!page.after.empty() && status.id <= page.after) {
        continue;
      }
      if (taken == page.limit) {
        response->set_next_page_token(
            MakePageToken(response->containers().rbegin()->scheduler_id(), Fingerprint(filter)));
        break;
      }
      ToProto(status, response->add_containers());
      ++taken;
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SchedulerService::RemoveContainer(
    grpc::CallbackServerContext* context, const v1::RemoveContainerRequest* request,
    v1::RemoveContainerResponse*) {
  return rpc::Unary(context, runtime_, [this, request]() -> absl::Status {
    GOFER_RETURN_IF_ERROR(ValidateContainerId(request->scheduler_id()));
    GOFER_RETURN_IF_ERROR(engine_.Remove(request->scheduler_id(), request->force()));
    spdlog::info("removed container {}", request->scheduler_id());
    return absl::OkStatus();
  });
}

}  // namespace gofer::scheduler
