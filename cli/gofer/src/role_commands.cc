// `gofer role list|get|create|update|delete`.
#include <iostream>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "commands.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/v1/tokens.grpc.pb.h"
#include "output.h"
#include "role_permissions.h"

namespace gofer::cli {
namespace {

using gofer::v1::RoleService;

// Options of `role create` and `role update`.
struct RoleOptions {
  std::string id;
  std::string description;
  std::vector<std::string> permissions;  // in the syntax of role_permissions.h
};

// The --permission values parsed; the first invalid one fails.
absl::StatusOr<std::vector<gofer::v1::Permission>> ParsePermissions(
    const std::vector<std::string>& texts) {
  std::vector<gofer::v1::Permission> out;
  for (const std::string& text : texts) {
    GOFER_ASSIGN_OR_RETURN(gofer::v1::Permission permission, ParsePermission(text));
    out.push_back(std::move(permission));
  }
  return out;
}

// The role's permissions in --permission syntax, joined by `separator` ("-" when none).
std::string Permissions(const gofer::v1::Role& role, std::string_view separator) {
  std::vector<std::string> texts;
  for (const gofer::v1::Permission& p : role.permissions()) {
    texts.push_back(FormatPermission(p));
  }
  return texts.empty() ? "-" : absl::StrJoin(texts, ToAbsl(separator));
}

// One role for people: key: value lines, then a permission per line.
absl::Status Print(const Context& ctx, const gofer::v1::Role& role) {
  absl::Status status;
  if (Structured(ctx, role, &status)) {
    return status;
  }
  std::cout << fmt::format(
      "id:          {}\ndescription: {}\nsystem:      {}\ncreated:     {}\nmodified:    {}\n"
      "permissions:\n",
      role.id(), role.description(), role.system_role() ? "yes (read-only)" : "no",
      FormatTime(role.created(), ctx.exact_times()),
      FormatTime(role.modified(), ctx.exact_times()));
  for (const gofer::v1::Permission& p : role.permissions()) {
    std::cout << "  " << FormatPermission(p) << '\n';
  }
  if (role.permissions().empty()) {
    std::cout << "  (none)\n";
  }
  return absl::OkStatus();
}

absl::Status List(Context& ctx) {
  auto stub = RoleService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListRolesResponse>(
      ctx.limit(),
      [&](const std::string& token, gofer::v1::ListRolesResponse* page) {
        gofer::v1::ListRolesRequest request;
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListRoles(call.get(), request, page));
      },
      [](gofer::v1::ListRolesResponse& r) { return r.mutable_roles(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  Table table({"ID", "SYSTEM", "PERMISSIONS", "DESCRIPTION"});
  for (const gofer::v1::Role& r : all->roles()) {
    table.AddRow({r.id(), r.system_role() ? "yes" : "no", Permissions(r, "; "), r.description()});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

absl::Status Get(Context& ctx, const std::string& id) {
  auto stub = RoleService::NewStub(ctx.channel());
  gofer::v1::GetRoleRequest request;
  request.set_id(id);
  gofer::v1::Role role;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetRole(call.get(), request, &role)));
  return Print(ctx, role);
}

absl::Status Create(Context& ctx, const RoleOptions& options) {
  GOFER_ASSIGN_OR_RETURN(const auto permissions, ParsePermissions(options.permissions));
  gofer::v1::CreateRoleRequest request;
  request.mutable_role()->set_id(options.id);
  request.mutable_role()->set_description(options.description);
  for (const gofer::v1::Permission& p : permissions) {
    *request.mutable_role()->add_permissions() = p;
  }
  auto stub = RoleService::NewStub(ctx.channel());
  gofer::v1::Role role;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->CreateRole(call.get(), request, &role)));
  absl::Status status;
  if (Structured(ctx, role, &status)) {
    return status;
  }
  std::cout << fmt::format("created role '{}' ({})\n", role.id(), Permissions(role, "; "));
  return absl::OkStatus();
}

// `role update`: `description_set` says whether --description was given (even as "").
absl::Status Update(Context& ctx, const RoleOptions& options, bool description_set) {
  GOFER_ASSIGN_OR_RETURN(const auto permissions, ParsePermissions(options.permissions));
  if (!description_set && permissions.empty()) {
    return absl::InvalidArgumentError(
        "nothing to change: give --description and/or --permission (which replace the role's)");
  }
  gofer::v1::UpdateRoleRequest request;
  request.set_id(options.id);
  if (description_set) {
    request.set_description(options.description);
  }
  request.set_update_permissions(!permissions.empty());
  for (const gofer::v1::Permission& p : permissions) {
    *request.add_permissions() = p;
  }
  auto stub = RoleService::NewStub(ctx.channel());
  gofer::v1::UpdateRoleResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->UpdateRole(call.get(), request, &response)));
  absl::Status status;
  if (Structured(ctx, response, &status)) {
    return status;
  }
  std::cout << (response.changed() ? fmt::format("updated role '{}'\n", options.id)
                                   : fmt::format("role '{}' unchanged\n", options.id));
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, const std::string& id) {
  auto stub = RoleService::NewStub(ctx.channel());
  gofer::v1::DeleteRoleRequest request;
  request.set_id(id);
  gofer::v1::DeleteRoleResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->DeleteRole(call.get(), request, &response)));
  if (ctx.format() == OutputFormat::kTable) {
    std::cout << fmt::format("deleted role '{}'\n", id);
  }
  return absl::OkStatus();
}

// Adds the repeatable --permission option, validated as the command line is parsed (exit 2).
void AddPermissionOption(CLI::App* command, std::vector<std::string>& permissions,
                         const std::string& help) {
  command->add_option("--permission", permissions, fmt::format("{}: {}", help, kPermissionSyntax))
      ->check(CLI::Validator(
          [](std::string& text) {
            auto parsed = ParsePermission(text);
            return parsed.ok() ? std::string() : std::string(parsed.status().message());
          },
          "PERMISSION"));
}

// The description of the role commands' --help: the permission model in brief.
constexpr char kRoleHelp[] =
    "Roles are named sets of permissions that tokens carry. A permission grants actions\n"
    "(read, write, delete) on resources, written\n"
    "  RESOURCE[,RESOURCE...]:ACTION[,ACTION...]   (the actions follow the last ':')\n"
    "Resources: all, namespaces[:GLOB], pipelines[:GLOB], configs, deployments, runs, tasks,\n"
    "objects, secrets, global_secrets, extensions[:GLOB], subscriptions, tokens, roles,\n"
    "events, system. A call inside a namespace needs ONE permission that names its kind and\n"
    "its namespace (and, for pipeline resources, its pipeline); globs use * and ?.\n"
    "Example: --permission \"runs,objects,namespaces:prod-*,pipelines:api-*:read,write\"";

}  // namespace

void AddRoleCommands(CLI::App& root, Cli& cli) {
  CLI::App* role = root.add_subcommand("role", "Manage roles and their permissions");
  role->require_subcommand(1);
  role->footer(kRoleHelp);

  OnRun(role->add_subcommand("list", "List roles in id order"), cli,
        [](Context& ctx) { return List(ctx); });

  auto get_id = std::make_shared<std::string>();
  CLI::App* get = role->add_subcommand("get", "Show a role and its permissions");
  get->add_option("ID", *get_id, "Role id")->required();
  OnRun(get, cli, [get_id](Context& ctx) { return Get(ctx, *get_id); });

  auto create_options = std::make_shared<RoleOptions>();
  CLI::App* create = role->add_subcommand("create", "Create a role (admin only)");
  create->add_option("ID", create_options->id, "Role id")->required();
  create->add_option("--description", create_options->description, "What the role is for");
  AddPermissionOption(create, create_options->permissions, "A permission (repeatable)");
  create->get_option("--permission")->required();
  OnRun(create, cli, [create_options](Context& ctx) { return Create(ctx, *create_options); });

  auto update_options = std::make_shared<RoleOptions>();
  CLI::App* update = role->add_subcommand(
      "update", "Change a role's description and/or replace its permissions (admin only)");
  update->add_option("ID", update_options->id, "Role id")->required();
  CLI::Option* description =
      update->add_option("--description", update_options->description, "New description");
  AddPermissionOption(update, update_options->permissions,
                      "A permission (repeatable; together they replace the role's)");
  OnRun(update, cli, [update_options, description](Context& ctx) {
    return Update(ctx, *update_options, description->count() > 0);
  });

  auto delete_id = std::make_shared<std::string>();
  CLI::App* del =
      role->add_subcommand("delete", "Delete a role (admin only; not while a token holds it)");
  del->add_option("ID", *delete_id, "Role id")->required();
  OnRun(del, cli, [delete_id](Context& ctx) { return Delete(ctx, *delete_id); });
}

}  // namespace gofer::cli
