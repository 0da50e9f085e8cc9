// `gofer config list|get|diff`: a pipeline's registered config versions.
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "gofer/pipeline/diff.h"
#include "gofer/v1/pipelines.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

using gofer::v1::ConfigService;

// Options of the config commands.
struct ConfigOptions {
  std::string ns;
  std::string pipeline;
  int64_t version = 0;
  int64_t to_version = 0;
};

absl::Status List(Context& ctx, const ConfigOptions& options) {
  auto stub = ConfigService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListConfigsResponse>(
      ctx.limit(),
      [&](const std::string& token, gofer::v1::ListConfigsResponse* page) {
        gofer::v1::ListConfigsRequest request;
        request.set_namespace_id(ctx.Namespace(options.ns));
        request.set_pipeline_id(options.pipeline);
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListConfigs(call.get(), request, page));
      },
      [](gofer::v1::ListConfigsResponse& r) { return r.mutable_configs(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  Table table({"VERSION", "STATE", "TASKS", "HASH", "REGISTERED"});
  for (const gofer::v1::ConfigVersion& v : all->configs()) {
    table.AddRow(
        {std::to_string(v.version()),
         Paint(EnumWord(gofer::v1::ConfigState_Name(v.state()), "CONFIG_STATE_"), ctx.colour()),
         std::to_string(v.config().tasks_size()), v.hash().substr(0, 12),
         FormatTime(v.registered(), ctx.exact_times())});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

absl::Status Get(Context& ctx, const ConfigOptions& options) {
  auto stub = ConfigService::NewStub(ctx.channel());
  gofer::v1::GetConfigRequest request;
  request.set_namespace_id(ctx.Namespace(options.ns));
  request.set_pipeline_id(options.pipeline);
  request.set_version(options.version);
  gofer::v1::ConfigVersion version;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetConfig(call.get(), request, &version)));
  absl::Status status;
  if (Structured(ctx, version, &status)) {
    return status;
  }
  // For people: a header, then the config itself as YAML (ready to edit and register again).
  std::cout << fmt::format("# {}/{} version {} ({}, registered {}, sha256 {})\n",
                           version.namespace_id(), version.pipeline_id(), version.version(),
                           EnumWord(gofer::v1::ConfigState_Name(version.state()), "CONFIG_STATE_"),
                           FormatTime(version.registered(), ctx.exact_times()), version.hash());
  GOFER_ASSIGN_OR_RETURN(const std::string json, ToJson(version.config()));
  GOFER_ASSIGN_OR_RETURN(const std::string yaml, JsonToYaml(json));
  std::cout << yaml << '\n';
  return absl::OkStatus();
}

absl::Status Diff(Context& ctx, const ConfigOptions& options) {
  auto stub = ConfigService::NewStub(ctx.channel());
  gofer::v1::DiffConfigsRequest request;
  request.set_namespace_id(ctx.Namespace(options.ns));
  request.set_pipeline_id(options.pipeline);
  request.set_from_version(options.version);
  request.set_to_version(options.to_version);
  gofer::v1::ConfigDiff diff;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->DiffConfigs(call.get(), request, &diff)));
  absl::Status status;
  if (Structured(ctx, diff, &status)) {
    return status;
  }
  std::cout << pipeline::FormatDiff(diff);
  return absl::OkStatus();
}

// A config subcommand `name` taking PIPELINE and -n; returns it for more arguments.
CLI::App* AddConfigCommand(CLI::App* parent, const std::string& name, const std::string& help,
                           ConfigOptions& options) {
  CLI::App* command = parent->add_subcommand(name, help);
  command->add_option("PIPELINE", options.pipeline, "Pipeline id")->required();
  command->add_option("-n,--namespace", options.ns,
                      "Namespace (default: GOFER_NAMESPACE or default)");
  return command;
}

}  // namespace

void AddConfigCommands(CLI::App& root, Cli& cli) {
  CLI::App* config =
      root.add_subcommand("config", "Inspect a pipeline's config versions")->require_subcommand(1);

  auto list_options = std::make_shared<ConfigOptions>();
  OnRun(AddConfigCommand(config, "list", "List config versions, newest first", *list_options), cli,
        [list_options](Context& ctx) { return List(ctx, *list_options); });

  auto get_options = std::make_shared<ConfigOptions>();
  CLI::App* get = AddConfigCommand(config, "get", "Show a config version (as YAML)", *get_options);
  get->add_option("VERSION", get_options->version, "Version (default: the latest)");
  OnRun(get, cli, [get_options](Context& ctx) { return Get(ctx, *get_options); });

  auto diff_options = std::make_shared<ConfigOptions>();
  CLI::App* diff =
      AddConfigCommand(config, "diff", "Show what changed between two versions", *diff_options);
  diff->add_option("FROM", diff_options->version, "Older version")->required();
  diff->add_option("TO", diff_options->to_version, "Newer version (default: the latest)");
  OnRun(diff, cli, [diff_options](Context& ctx) { return Diff(ctx, *diff_options); });
}

}  // namespace gofer::cli
