// `gofer token bootstrap|whoami|create|list`.
#include <iostream>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "commands.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/v1/tokens.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

using gofer::v1::TokenService;

// The roles of `token` joined with commas.
std::string Roles(const gofer::v1::Token& token) { return absl::StrJoin(token.roles(), ","); }

// One token for people: a key: value line each.
void PrintToken(const Context& ctx, const gofer::v1::Token& token) {
  std::cout << fmt::format(
      "id:       {}\nuser:     {}\nroles:    {}\ncreated:  {}\nexpires:  {}\ndisabled: {}\n",
      token.id(), token.user(), Roles(token), FormatTime(token.created(), ctx.exact_times()),
      token.has_expires() ? FormatTime(token.expires(), ctx.exact_times()) : "never",
      token.disabled() ? "yes" : "no");
}

absl::Status Bootstrap(Context& ctx, bool save) {
  auto stub = TokenService::NewStub(ctx.channel());
  auto call = ctx.NewCall(absl::Seconds(30), /*with_token=*/false);
  gofer::v1::TokenWithSecret created;
  GOFER_RETURN_IF_ERROR(
      FromGrpc(stub->BootstrapToken(call.get(), gofer::v1::BootstrapTokenRequest(), &created)));
  if (save) {
    GOFER_RETURN_IF_ERROR(
        SaveConfigFile(ctx.config_path(), {.api = ctx.api(), .token = created.secret()}));
  }
  absl::Status status;
  if (Structured(ctx, created, &status)) {
    return status;
  }
  std::cout << fmt::format("token {} for user '{}' (roles: {})\n", created.token().id(),
                           created.token().user(), Roles(created.token()));
  if (save) {
    std::cout << fmt::format("saved the token and api {} to {}\n", ctx.api(), ctx.config_path());
  } else {
    std::cout << fmt::format(
        "secret: {}\nThe secret is shown only once: keep it (export GOFER_TOKEN=...), or run "
        "with --save next time.\n",
        created.secret());
  }
  return absl::OkStatus();
}

absl::Status WhoAmI(Context& ctx) {
  auto stub = TokenService::NewStub(ctx.channel());
  auto call = ctx.NewCall();
  gofer::v1::Token token;
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->WhoAmI(call.get(), gofer::v1::WhoAmIRequest(), &token)));
  absl::Status status;
  if (Structured(ctx, token, &status)) {
    return status;
  }
  PrintToken(ctx, token);
  return absl::OkStatus();
}

// Options of `token create`.
struct CreateOptions {
  std::string user;
  std::vector<std::string> roles;
  std::string expires;
};

absl::Status Create(Context& ctx, const CreateOptions& options) {
  gofer::v1::CreateTokenRequest request;
  request.set_user(options.user);
  for (const std::string& role : options.roles) {
    request.add_roles(role);
  }
  if (!options.expires.empty()) {
    absl::Duration expires;
    if (!absl::ParseDuration(ToAbsl(options.expires), &expires) || expires < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          fmt::format("--expires '{}' is not a duration such as 720h or 30m", options.expires));
    }
    request.mutable_expires_in()->set_seconds(absl::ToInt64Seconds(expires));
  }
  auto stub = TokenService::NewStub(ctx.channel());
  auto call = ctx.NewCall();
  gofer::v1::TokenWithSecret created;
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->CreateToken(call.get(), request, &created)));
  absl::Status status;
  if (Structured(ctx, created, &status)) {
    return status;
  }
  PrintToken(ctx, created.token());
  std::cout << fmt::format("secret:   {}\n(shown only once)\n", created.secret());
  return absl::OkStatus();
}

absl::Status List(Context& ctx) {
  auto stub = TokenService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListTokensResponse>(
      ctx.limit(),
      [&](const std::string& token, gofer::v1::ListTokensResponse* page) {
        gofer::v1::ListTokensRequest request;
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListTokens(call.get(), request, page));
      },
      [](gofer::v1::ListTokensResponse& r) { return r.mutable_tokens(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  Table table({"ID", "USER", "ROLES", "CREATED", "EXPIRES", "STATE"});
  for (const gofer::v1::Token& t : all->tokens()) {
    table.AddRow({t.id(), t.user(), Roles(t), FormatTime(t.created(), ctx.exact_times()),
                  t.has_expires() ? FormatTime(t.expires(), ctx.exact_times()) : "never",
                  Paint(t.disabled() ? "disabled" : "active", ctx.colour())});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

}  // namespace

void AddTokenCommands(CLI::App& root, Cli& cli) {
  CLI::App* token = root.add_subcommand("token", "Manage API tokens")->require_subcommand(1);

  auto save = std::make_shared<bool>(false);
  CLI::App* bootstrap = token->add_subcommand(
      "bootstrap", "Create the first admin token of a new installation (works once)");
  bootstrap->add_flag("--save", *save,
                      "Write the token and the API address into the config file (mode 0600)");
  OnRun(bootstrap, cli, [save](Context& ctx) { return Bootstrap(ctx, *save); });

  CLI::App* whoami = token->add_subcommand("whoami", "Describe the token in use");
  OnRun(whoami, cli, [](Context& ctx) { return WhoAmI(ctx); });

  auto create_options = std::make_shared<CreateOptions>();
  CLI::App* create = token->add_subcommand("create", "Create a token (admin only)");
  create->add_option("--user", create_options->user, "Who holds the token")->required();
  create->add_option("--role", create_options->roles, "A role id (repeatable)")->required();
  create->add_option("--expires", create_options->expires,
                     "Lifetime such as 720h (default: never expires)");
  OnRun(create, cli, [create_options](Context& ctx) { return Create(ctx, *create_options); });

  CLI::App* list = token->add_subcommand("list", "List tokens, newest first (admin only)");
  OnRun(list, cli, [](Context& ctx) { return List(ctx); });
}

}  // namespace gofer::cli
