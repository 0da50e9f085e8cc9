// `gofer namespace list|get|create|delete`.
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "gofer/v1/namespaces.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

using gofer::v1::NamespaceService;

absl::Status List(Context& ctx) {
  auto stub = NamespaceService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListNamespacesResponse>(
      ctx.limit(),
      [&](const std::string& token, gofer::v1::ListNamespacesResponse* page) {
        gofer::v1::ListNamespacesRequest request;
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListNamespaces(call.get(), request, page));
      },
      [](gofer::v1::ListNamespacesResponse& r) { return r.mutable_namespaces(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  Table table({"ID", "NAME", "DESCRIPTION", "CREATED"});
  for (const gofer::v1::Namespace& ns : all->namespaces()) {
    table.AddRow(
        {ns.id(), ns.name(), ns.description(), FormatTime(ns.created(), ctx.exact_times())});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

// One namespace for people.
absl::Status Print(const Context& ctx, const gofer::v1::Namespace& ns) {
  absl::Status status;
  if (Structured(ctx, ns, &status)) {
    return status;
  }
  std::cout << fmt::format(
      "id:          {}\nname:        {}\ndescription: {}\ncreated:     {}\n"
      "modified:    {}\n",
      ns.id(), ns.name(), ns.description(), FormatTime(ns.created(), ctx.exact_times()),
      FormatTime(ns.modified(), ctx.exact_times()));
  return absl::OkStatus();
}

absl::Status Get(Context& ctx, const std::string& id) {
  auto stub = NamespaceService::NewStub(ctx.channel());
  gofer::v1::GetNamespaceRequest request;
  request.set_id(id);
  gofer::v1::Namespace ns;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetNamespace(call.get(), request, &ns)));
  return Print(ctx, ns);
}

// Options of `namespace create`.
struct CreateOptions {
  std::string id;
  std::string name;
  std::string description;
};

absl::Status Create(Context& ctx, const CreateOptions& options) {
  auto stub = NamespaceService::NewStub(ctx.channel());
  gofer::v1::CreateNamespaceRequest request;
  request.set_id(options.id);
  request.set_name(options.name);
  request.set_description(options.description);
  gofer::v1::Namespace ns;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->CreateNamespace(call.get(), request, &ns)));
  if (ctx.format() != OutputFormat::kTable) {
    return PrintStructured(ctx, ns);
  }
  std::cout << fmt::format("created namespace '{}'\n", ns.id());
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, const std::string& id) {
  auto stub = NamespaceService::NewStub(ctx.channel());
  gofer::v1::DeleteNamespaceRequest request;
  request.set_id(id);
  gofer::v1::DeleteNamespaceResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->DeleteNamespace(call.get(), request, &response)));
  if (ctx.format() == OutputFormat::kTable) {
    std::cout << fmt::format("deleted namespace '{}'\n", id);
  }
  return absl::OkStatus();
}

}  // namespace

void AddNamespaceCommands(CLI::App& root, Cli& cli) {
  CLI::App* ns = root.add_subcommand("namespace", "Manage namespaces")->require_subcommand(1);
  ns->alias("ns");

  OnRun(ns->add_subcommand("list", "List namespaces"), cli, [](Context& ctx) { return List(ctx); });

  auto get_id = std::make_shared<std::string>();
  CLI::App* get = ns->add_subcommand("get", "Show a namespace");
  get->add_option("ID", *get_id, "Namespace id")->required();
  OnRun(get, cli, [get_id](Context& ctx) { return Get(ctx, *get_id); });

  auto create_options = std::make_shared<CreateOptions>();
  CLI::App* create = ns->add_subcommand("create", "Create a namespace (admin only)");
  create->add_option("ID", create_options->id, "Namespace id")->required();
  create->add_option("--name", create_options->name, "Human-readable name (default: the id)");
  create->add_option("--description", create_options->description, "What it is for");
  OnRun(create, cli, [create_options](Context& ctx) { return Create(ctx, *create_options); });

  auto delete_id = std::make_shared<std::string>();
  CLI::App* del =
      ns->add_subcommand("delete", "Delete a namespace and everything in it (admin only)");
  del->add_option("ID", *delete_id, "Namespace id")->required();
  OnRun(del, cli, [delete_id](Context& ctx) { return Delete(ctx, *delete_id); });
}

}  // namespace gofer::cli
