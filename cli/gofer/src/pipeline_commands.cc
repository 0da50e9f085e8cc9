// `gofer pipeline register|list|get|enable|disable|delete`.
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "commands.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/pipeline/config_parser.h"
#include "gofer/pipeline/diff.h"
#include "gofer/pipeline/validation.h"
#include "gofer/v1/pipelines.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

using gofer::v1::ConfigService;
using gofer::v1::PipelineService;

// `status` with `prefix: ` before its message, keeping its payloads (the field violations).
absl::Status Annotate(const absl::Status& status, const std::string& prefix) {
  absl::Status out(status.code(), ToAbsl(fmt::format("{}: {}", prefix, ToStd(status.message()))));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

// The standard output of `sh -c command`; FAILED_PRECONDITION when it exits non-zero.
absl::StatusOr<std::string> RunForOutput(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return absl::InternalError(fmt::format("cannot run '{}'", command));
  }
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  if (status != 0) {
    return absl::FailedPreconditionError(
        fmt::format("--exec '{}' failed (exit status {})", command,
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
  }
  return output;
}

// Options of `pipeline register`.
struct RegisterOptions {
  std::string file;
  std::string exec;
  std::string ns;
};

// The config named by `options`, parsed and validated locally so errors carry line and column.
absl::StatusOr<gofer::v1::PipelineConfig> LoadConfig(const RegisterOptions& options) {
  std::string content;
  std::string source;
  pipeline::Format format = pipeline::Format::kAuto;
  if (!options.exec.empty()) {
    GOFER_ASSIGN_OR_RETURN(content, RunForOutput(options.exec));
    source = fmt::format("output of '{}'", options.exec);
  } else {
    std::ifstream in(options.file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(fmt::format("cannot read {}", options.file));
    }
    std::ostringstream text;
    text << in.rdbuf();
    content = text.str();
    source = options.file;
    const std::string& f = options.file;
    if (f.ends_with(".json")) {
      format = pipeline::Format::kJson;
    } else if (f.ends_with(".yaml") || f.ends_with(".yml")) {
      format = pipeline::Format::kYaml;
    }
  }
  auto config = pipeline::ParseConfig(content, format);
  if (!config.ok()) {
    return Annotate(config.status(), source);
  }
  if (absl::Status valid = pipeline::ValidateConfig(*config); !valid.ok()) {
    return Annotate(valid, source);
  }
  return config;
}

absl::Status Register(Context& ctx, const RegisterOptions& options) {
  if (options.file.empty() == options.exec.empty()) {
    return absl::InvalidArgumentError("give either FILE or --exec \"COMMAND\", not both");
  }
  gofer::v1::RegisterConfigRequest request;
  request.set_namespace_id(ctx.Namespace(options.ns));
  GOFER_ASSIGN_OR_RETURN(*request.mutable_config(), LoadConfig(options));
  auto stub = ConfigService::NewStub(ctx.channel());
  auto call = ctx.NewCall();
  gofer::v1::RegisterConfigResponse response;
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->RegisterConfig(call.get(), request, &response)));
  absl::Status status;
  if (Structured(ctx, response, &status)) {
    return status;
  }
  const auto& version = response.version();
  if (response.unchanged()) {
    std::cout << fmt::format("unchanged (version {})\n", version.version());
    return absl::OkStatus();
  }
  if (response.pipeline_created()) {
    std::cout << fmt::format("created pipeline '{}' in namespace '{}'\n", version.pipeline_id(),
                             version.namespace_id());
  }
  std::cout << fmt::format("registered version {}\n", version.version());
  if (!response.pipeline_created()) {
    std::cout << pipeline::FormatDiff(response.diff());
  }
  std::cout << fmt::format(
      "deploy it with: gofer deploy {} {}{}\n", version.pipeline_id(), version.version(),
      version.namespace_id() == "default" ? "" : fmt::format(" -n {}", version.namespace_id()));
  return absl::OkStatus();
}

// The live versions of `p` joined with commas ("-" when none).
std::string LiveVersions(const gofer::v1::Pipeline& p) {
  return p.live_versions().empty() ? "-" : absl::StrJoin(p.live_versions(), ",");
}

absl::Status List(Context& ctx, const std::string& ns) {
  auto stub = PipelineService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListPipelinesResponse>(
      ctx.limit(),
      [&](const std::string& token, gofer::v1::ListPipelinesResponse* page) {
        gofer::v1::ListPipelinesRequest request;
        request.set_namespace_id(ctx.Namespace(ns));
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListPipelines(call.get(), request, page));
      },
      [](gofer::v1::ListPipelinesResponse& r) { return r.mutable_pipelines(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  Table table({"ID", "NAME", "STATE", "LATEST", "LIVE", "MODIFIED"});
  for (const gofer::v1::Pipeline& p : all->pipelines()) {
    table.AddRow(
        {p.pipeline_id(), p.name(),
         Paint(EnumWord(gofer::v1::PipelineState_Name(p.state()), "PIPELINE_STATE_"), ctx.colour()),
         std::to_string(p.latest_version()), LiveVersions(p),
         FormatTime(p.modified(), ctx.exact_times())});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

// One pipeline for people.
absl::Status Print(const Context& ctx, const gofer::v1::Pipeline& p) {
  absl::Status status;
  if (Structured(ctx, p, &status)) {
    return status;
  }
  std::cout << fmt::format(
      "namespace:   {}\nid:          {}\nname:        {}\ndescription: {}\nstate:       {}\n"
      "latest:      {}\nlive:        {}\ncreated:     {}\nmodified:    {}\n",
      p.namespace_id(), p.pipeline_id(), p.name(), p.description(),
      Paint(EnumWord(gofer::v1::PipelineState_Name(p.state()), "PIPELINE_STATE_"), ctx.colour()),
      p.latest_version(), LiveVersions(p), FormatTime(p.created(), ctx.exact_times()),
      FormatTime(p.modified(), ctx.exact_times()));
  return absl::OkStatus();
}

absl::Status Get(Context& ctx, const std::string& ns, const std::string& id) {
  auto stub = PipelineService::NewStub(ctx.channel());
  gofer::v1::GetPipelineRequest request;
  request.set_namespace_id(ctx.Namespace(ns));
  request.set_pipeline_id(id);
  gofer::v1::Pipeline pipeline;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetPipeline(call.get(), request, &pipeline)));
  return Print(ctx, pipeline);
}

absl::Status SetState(Context& ctx, const std::string& ns, const std::string& id,
                      gofer::v1::PipelineState state) {
  auto stub = PipelineService::NewStub(ctx.channel());
  gofer::v1::UpdatePipelineRequest request;
  request.set_namespace_id(ctx.Namespace(ns));
  request.set_pipeline_id(id);
  request.set_state(state);
  gofer::v1::UpdatePipelineResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->UpdatePipeline(call.get(), request, &response)));
  absl::Status status;
  if (Structured(ctx, response, &status)) {
    return status;
  }
  const std::string word = EnumWord(gofer::v1::PipelineState_Name(state), "PIPELINE_STATE_");
  std::cout << (response.changed() ? fmt::format("pipeline '{}' is now {}\n", id, word)
                                   : fmt::format("pipeline '{}' was already {}\n", id, word));
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, const std::string& ns, const std::string& id) {
  auto stub = PipelineService::NewStub(ctx.channel());
  gofer::v1::DeletePipelineRequest request;
  request.set_namespace_id(ctx.Namespace(ns));
  request.set_pipeline_id(id);
  gofer::v1::DeletePipelineResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->DeletePipeline(call.get(), request, &response)));
  if (ctx.format() == OutputFormat::kTable) {
    std::cout << fmt::format("deleted pipeline '{}'\n", id);
  }
  return absl::OkStatus();
}

// Options of the commands that name one pipeline.
struct PipelineRef {
  std::string ns;
  std::string id;
};

// Adds `name` taking a pipeline ID and -n, running `run`.
void AddPipelineCommand(CLI::App* parent, Cli& cli, const std::string& name,
                        const std::string& help,
                        std::function<absl::Status(Context&, const PipelineRef&)> run) {
  auto ref = std::make_shared<PipelineRef>();
  CLI::App* command = parent->add_subcommand(name, help);
  command->add_option("ID", ref->id, "Pipeline id")->required();
  command->add_option("-n,--namespace", ref->ns, "Namespace (default: GOFER_NAMESPACE or default)");
  OnRun(command, cli, [ref, run](Context& ctx) { return run(ctx, *ref); });
}

}  // namespace

void AddPipelineCommands(CLI::App& root, Cli& cli) {
  CLI::App* pipeline = root.add_subcommand("pipeline", "Register and manage pipelines");
  pipeline->require_subcommand(1);

  auto options = std::make_shared<RegisterOptions>();
  CLI::App* reg = pipeline->add_subcommand(
      "register", "Register a config (YAML or JSON) as the pipeline's next version");
  reg->add_option("FILE", options->file, "Config file (.yaml, .yml or .json)");
  reg->add_option("--exec", options->exec,
                  "Run this shell command and register its standard output instead of FILE");
  reg->add_option("-n,--namespace", options->ns, "Namespace (default: GOFER_NAMESPACE or default)");
  OnRun(reg, cli, [options](Context& ctx) { return Register(ctx, *options); });

  auto list_ns = std::make_shared<std::string>();
  CLI::App* list = pipeline->add_subcommand("list", "List the pipelines of a namespace");
  list->add_option("-n,--namespace", *list_ns, "Namespace (default: GOFER_NAMESPACE or default)");
  OnRun(list, cli, [list_ns](Context& ctx) { return List(ctx, *list_ns); });

  AddPipelineCommand(pipeline, cli, "get", "Show a pipeline",
                     [](Context& ctx, const PipelineRef& r) { return Get(ctx, r.ns, r.id); });
  AddPipelineCommand(pipeline, cli, "enable", "Accept new runs of a pipeline",
                     [](Context& ctx, const PipelineRef& r) {
                       return SetState(ctx, r.ns, r.id, gofer::v1::PIPELINE_STATE_ACTIVE);
                     });
  AddPipelineCommand(pipeline, cli, "disable", "Refuse new runs of a pipeline",
                     [](Context& ctx, const PipelineRef& r) {
                       return SetState(ctx, r.ns, r.id, gofer::v1::PIPELINE_STATE_DISABLED);
                     });
  AddPipelineCommand(pipeline, cli, "delete",
                     "Delete a pipeline with its configs, deployments and runs",
                     [](Context& ctx, const PipelineRef& r) { return Delete(ctx, r.ns, r.id); });
}

}  // namespace gofer::cli
