// `gofer deploy` and `gofer deployment list|promote|rollback`.
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "gofer/v1/deployments.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

using gofer::v1::DeploymentService;

// Options of the deployment commands.
struct DeployOptions {
  std::string ns;
  std::string pipeline;
  int64_t number = 0;  // the version for `deploy`, the deployment id otherwise
  int32_t canary = 0;
  std::string reason;
};

// "immediate" or "canary 20%".
std::string TypeWords(const gofer::v1::Deployment& d) {
  return d.type() == gofer::v1::DEPLOYMENT_TYPE_CANARY
             ? fmt::format("canary {}%", d.canary().weight_percent())
             : "immediate";
}

// "running", "successful" or "rolled_back", coloured.
std::string StateWord(const Context& ctx, const gofer::v1::Deployment& d) {
  const std::string word =
      d.state() == gofer::v1::DEPLOYMENT_STATE_COMPLETE
          ? EnumWord(gofer::v1::DeploymentStatus_Name(d.status()), "DEPLOYMENT_STATUS_")
          : EnumWord(gofer::v1::DeploymentState_Name(d.state()), "DEPLOYMENT_STATE_");
  return Paint(word, ctx.colour());
}

// One deployment for people, in one line.
absl::Status Print(const Context& ctx, const gofer::v1::Deployment& d) {
  absl::Status status;
  if (Structured(ctx, d, &status)) {
    return status;
  }
  std::cout << fmt::format("deployment {} of '{}': version {} → {} ({}), {}\n", d.id(),
                           d.pipeline_id(), d.start_version(), d.end_version(), TypeWords(d),
                           StateWord(ctx, d));
  return absl::OkStatus();
}

absl::Status Deploy(Context& ctx, const DeployOptions& options) {
  gofer::v1::DeployRequest request;
  request.set_namespace_id(ctx.Namespace(options.ns));
  request.set_pipeline_id(options.pipeline);
  request.set_version(options.number);
  if (options.canary > 0) {
    request.set_type(gofer::v1::DEPLOYMENT_TYPE_CANARY);
    request.mutable_canary()->set_weight_percent(options.canary);
  } else {
    request.set_type(gofer::v1::DEPLOYMENT_TYPE_IMMEDIATE);
  }
  auto stub = DeploymentService::NewStub(ctx.channel());
  gofer::v1::Deployment deployment;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->Deploy(call.get(), request, &deployment)));
  return Print(ctx, deployment);
}

absl::Status List(Context& ctx, const DeployOptions& options) {
  auto stub = DeploymentService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListDeploymentsResponse>(
      ctx.limit(),
      [&](const std::string& token, gofer::v1::ListDeploymentsResponse* page) {
        gofer::v1::ListDeploymentsRequest request;
        request.set_namespace_id(ctx.Namespace(options.ns));
        request.set_pipeline_id(options.pipeline);
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListDeployments(call.get(), request, page));
      },
      [](gofer::v1::ListDeploymentsResponse& r) { return r.mutable_deployments(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  Table table({"ID", "FROM", "TO", "TYPE", "STATE", "STARTED", "ENDED"});
  for (const gofer::v1::Deployment& d : all->deployments()) {
    table.AddRow({std::to_string(d.id()), std::to_string(d.start_version()),
                  std::to_string(d.end_version()), TypeWords(d), StateWord(ctx, d),
                  FormatTime(d.started(), ctx.exact_times()),
                  FormatTime(d.ended(), ctx.exact_times())});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

absl::Status Promote(Context& ctx, const DeployOptions& options) {
  gofer::v1::PromoteDeploymentRequest request;
  request.set_namespace_id(ctx.Namespace(options.ns));
  request.set_pipeline_id(options.pipeline);
  request.set_deployment_id(options.number);
  auto stub = DeploymentService::NewStub(ctx.channel());
  gofer::v1::Deployment deployment;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->PromoteDeployment(call.get(), request, &deployment)));
  return Print(ctx, deployment);
}

absl::Status Rollback(Context& ctx, const DeployOptions& options) {
  gofer::v1::RollbackDeploymentRequest request;
  request.set_namespace_id(ctx.Namespace(options.ns));
  request.set_pipeline_id(options.pipeline);
  request.set_deployment_id(options.number);
  request.set_reason(options.reason);
  auto stub = DeploymentService::NewStub(ctx.channel());
  gofer::v1::Deployment deployment;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->RollbackDeployment(call.get(), request, &deployment)));
  return Print(ctx, deployment);
}

// A subcommand taking PIPELINE and -n.
CLI::App* AddCommand(CLI::App* parent, const std::string& name, const std::string& help,
                     DeployOptions& options) {
  CLI::App* command = parent->add_subcommand(name, help);
  command->add_option("PIPELINE", options.pipeline, "Pipeline id")->required();
  command->add_option("-n,--namespace", options.ns,
                      "Namespace (default: GOFER_NAMESPACE or default)");
  return command;
}

}  // namespace

void AddDeployCommands(CLI::App& root, Cli& cli) {
  auto deploy_options = std::make_shared<DeployOptions>();
  CLI::App* deploy = AddCommand(&root, "deploy", "Deploy a config version", *deploy_options);
  deploy->add_option("VERSION", deploy_options->number, "Version to deploy")->required();
  deploy
      ->add_option("--canary", deploy_options->canary,
                   "Canary: send WEIGHT percent of new runs to the version until promoted")
      ->check(CLI::Range(1, 99));
  OnRun(deploy, cli, [deploy_options](Context& ctx) { return Deploy(ctx, *deploy_options); });

  CLI::App* deployment =
      root.add_subcommand("deployment", "Inspect and finish deployments")->require_subcommand(1);
  auto list_options = std::make_shared<DeployOptions>();
  OnRun(
      AddCommand(deployment, "list", "List a pipeline's deployments, newest first", *list_options),
      cli, [list_options](Context& ctx) { return List(ctx, *list_options); });

  auto promote_options = std::make_shared<DeployOptions>();
  CLI::App* promote =
      AddCommand(deployment, "promote", "Promote a running canary", *promote_options);
  promote->add_option("ID", promote_options->number, "Deployment id")->required();
  OnRun(promote, cli, [promote_options](Context& ctx) { return Promote(ctx, *promote_options); });

  auto rollback_options = std::make_shared<DeployOptions>();
  CLI::App* rollback =
      AddCommand(deployment, "rollback", "Roll back a running canary", *rollback_options);
  rollback->add_option("ID", rollback_options->number, "Deployment id")->required();
  rollback->add_option("--reason", rollback_options->reason, "Why (recorded in its steps)");
  OnRun(rollback, cli,
        [rollback_options](Context& ctx) { return Rollback(ctx, *rollback_options); });
}

}  // namespace gofer::cli
