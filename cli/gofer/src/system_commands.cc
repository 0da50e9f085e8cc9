// `gofer system info|pause|resume|summary`.
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "gofer/v1/system.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

using gofer::v1::SystemService;

// The system flags for people.
void PrintInfo(const gofer::v1::SystemInfo& info) {
  std::cout << fmt::format("version:     {}\ncommit:      {}\nruns paused: {}\n", info.version(),
                           info.commit(), info.runs_paused() ? "yes" : "no");
  if (info.auth_disabled()) {
    std::cout << "auth:        DISABLED (development only)\n";
  }
}

absl::Status Info(Context& ctx) {
  auto stub = SystemService::NewStub(ctx.channel());
  gofer::v1::SystemInfo info;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(
      FromGrpc(stub->GetSystemInfo(call.get(), gofer::v1::GetSystemInfoRequest(), &info)));
  absl::Status status;
  if (Structured(ctx, info, &status)) {
    return status;
  }
  PrintInfo(info);
  return absl::OkStatus();
}

absl::Status SetPaused(Context& ctx, bool paused) {
  auto stub = SystemService::NewStub(ctx.channel());
  gofer::v1::UpdateSystemRequest request;
  request.set_runs_paused(paused);
  gofer::v1::UpdateSystemResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->UpdateSystem(call.get(), request, &response)));
  absl::Status status;
  if (Structured(ctx, response, &status)) {
    return status;
  }
  const char* word = paused ? "paused" : "resumed";
  std::cout << (response.changed() ? fmt::format("run starts {}\n", word)
                                   : fmt::format("run starts were already {}\n", word));
  return absl::OkStatus();
}

absl::Status Summary(Context& ctx) {
  auto stub = SystemService::NewStub(ctx.channel());
  gofer::v1::Summary summary;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(
      FromGrpc(stub->GetSummary(call.get(), gofer::v1::GetSummaryRequest(), &summary)));
  absl::Status status;
  if (Structured(ctx, summary, &status)) {
    return status;
  }
  std::cout << fmt::format("namespaces: {}\npipelines:  {}\ntokens:     {}\nevents:     {}\n",
                           summary.namespaces(), summary.pipelines(), summary.tokens(),
                           summary.events());
  return absl::OkStatus();
}

}  // namespace

void AddSystemCommands(CLI::App& root, Cli& cli) {
  CLI::App* system =
      root.add_subcommand("system", "System information and controls")->require_subcommand(1);
  OnRun(system->add_subcommand("info", "Show the server's version and flags"), cli,
        [](Context& ctx) { return Info(ctx); });
  OnRun(system->add_subcommand("pause", "Pause all run starts (admin only)"), cli,
        [](Context& ctx) { return SetPaused(ctx, true); });
  OnRun(system->add_subcommand("resume", "Resume run starts (admin only)"), cli,
        [](Context& ctx) { return SetPaused(ctx, false); });
  OnRun(system->add_subcommand("summary", "Count namespaces, pipelines, tokens and events"), cli,
        [](Context& ctx) { return Summary(ctx); });
}

}  // namespace gofer::cli
