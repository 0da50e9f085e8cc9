#include "run_client.h"

#include <fmt/format.h>

#include "gofer/common/string_view_bridge.h"
#include "gofer/v1/pipelines.grpc.pb.h"
#include "gofer/v1/runs.grpc.pb.h"

namespace gofer::cli {

RunRef Resolve(const Context& ctx, const RunArgs& args) {
  return {ctx.Namespace(args.ns), args.pipeline, args.run_id, args.task};
}

void AddRunArgs(CLI::App* command, RunArgs& args, bool with_run, bool with_task) {
  command->add_option("PIPELINE", args.pipeline, "Pipeline id")->required();
  if (with_run) {
    command->add_option("RUN", args.run_id, "Run number")->required()->check(CLI::PositiveNumber);
  }
  if (with_task) {
    command->add_option("TASK", args.task, "Task id")->required();
  }
  command->add_option("-n,--namespace", args.ns, "Namespace (default: GOFER_NAMESPACE or default)");
}

absl::StatusOr<absl::Duration> ParseGrace(const std::string& text) {
  if (text.empty()) {
    return absl::ZeroDuration();
  }
  absl::Duration grace;
  if (!absl::ParseDuration(ToAbsl(text), &grace) || grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        fmt::format("--grace: '{}' is not a duration (write 10s, 1m30s, ...)", text));
  }
  return grace;
}

void AddGraceOption(CLI::App* command, std::string& grace) {
  command
      ->add_option("--grace", grace,
                   "Time between SIGTERM and SIGKILL for running tasks (e.g. 30s; default 10s)")
      ->check(CLI::Validator(
          [](std::string& text) {
            auto parsed = ParseGrace(text);
            return parsed.ok() ? std::string() : std::string(ToStd(parsed.status().message()));
          },
          "DURATION"));
}

absl::StatusOr<gofer::v1::Run> GetRun(Context& ctx, const RunRef& ref) {
  auto request = RequestFor<gofer::v1::GetRunRequest>(ref);
  auto stub = gofer::v1::RunService::NewStub(ctx.channel());
  gofer::v1::Run run;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetRun(call.get(), request, &run)));
  return run;
}

absl::StatusOr<std::vector<gofer::v1::TaskExecution>> ListTasks(Context& ctx, const RunRef& ref) {
  auto request = RequestFor<gofer::v1::ListTaskExecutionsRequest>(ref);
  auto stub = gofer::v1::TaskService::NewStub(ctx.channel());
  gofer::v1::ListTaskExecutionsResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->ListTaskExecutions(call.get(), request, &response)));
  return std::vector<gofer::v1::TaskExecution>(response.task_executions().begin(),
                                               response.task_executions().end());
}

absl::StatusOr<gofer::v1::ConfigVersion> GetConfigVersion(Context& ctx, const RunRef& ref,
                                                          int64_t version) {
  auto request = RequestFor<gofer::v1::GetConfigRequest>(ref);
  request.set_version(version);
  auto stub = gofer::v1::ConfigService::NewStub(ctx.channel());
  gofer::v1::ConfigVersion config;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetConfig(call.get(), request, &config)));
  return config;
}

absl::Status ReadLogs(Context& ctx, const RunRef& ref, const LogsQuery& query,
                      const std::function<absl::Status(const gofer::v1::TaskLogLine&)>& on_line) {
  auto request = RequestFor<gofer::v1::TaskLogsRequest>(ref);
  request.set_attempt(query.attempt);
  request.set_from_line(query.from_line);
  request.set_follow(query.follow);
  auto stub = gofer::v1::TaskService::NewStub(ctx.channel());
  // A followed stream lasts as long as the task; a plain read is bounded like any call.
  auto call = ctx.NewCall(query.follow ? absl::InfiniteDuration() : absl::Seconds(60));
  auto reader = stub->TaskLogs(call.get(), request);
  gofer::v1::TaskLogsResponse response;
  while (reader->Read(&response)) {
    for (const gofer::v1::TaskLogLine& line : response.lines()) {
      if (absl::Status s = on_line(line); !s.ok()) {
        call->TryCancel();
        (void)reader->Finish();  // CANCELLED by us
        return s;
      }
    }
  }
  return FromGrpc(reader->Finish());
}

}  // namespace gofer::cli
