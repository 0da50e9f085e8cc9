// gofer: the command-line client of the Gofer API. Exit codes: 0 success, 1 the command failed
// (a server error or an invalid config), 2 the command line was wrong.
#include <iostream>

#include "commands.h"
#include "context.h"
#include "output.h"

namespace {

// The root command with the global options and every command family.
void BuildApp(CLI::App& app, gofer::cli::Cli& cli) {
  gofer::cli::GlobalFlags& flags = cli.flags;
  app.fallthrough();  // global options may also come after the subcommand
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");
  app.add_option("--api", flags.api,
                 "HOST:PORT of the Gofer API (env GOFER_API, else GOFER_API_URL as tasks get it; "
                 "config key `api`; default 127.0.0.1:8080)");
  app.add_option("--token", flags.token,
                 "Bearer token secret (env GOFER_TOKEN, config key `token`)");
  app.add_option("-o,--output", flags.output, "Output format: table (default), json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  app.add_option("--config", flags.config_path,
                 "Config file (env GOFER_CONFIG; default ~/.config/gofer/config.yaml)");
  app.add_flag("--exact-times", flags.exact_times, "Print times as RFC 3339, not \"3m ago\"");
  app.add_option("--limit", flags.limit, "Print at most N items of a list (default: all)")
      ->check(CLI::NonNegativeNumber);
  gofer::cli::AddTokenCommands(app, cli);
  gofer::cli::AddNamespaceCommands(app, cli);
  gofer::cli::AddPipelineCommands(app, cli);
  gofer::cli::AddConfigCommands(app, cli);
  gofer::cli::AddDeployCommands(app, cli);
  gofer::cli::AddRunCommands(app, cli);
  gofer::cli::AddTaskCommands(app, cli);
  gofer::cli::AddEventCommands(app, cli);
  gofer::cli::AddObjectCommands(app, cli);
  gofer::cli::AddSecretCommands(app, cli);
  gofer::cli::AddRoleCommands(app, cli);
  gofer::cli::AddSystemCommands(app, cli);
  gofer::cli::AddCompletionCommands(app, cli);
}

}  // namespace

int main(int argc, char** argv) {
  gofer::cli::Cli cli;
  CLI::App app("gofer: the command-line client of Gofer, a container-native CI/CD system.",
               "gofer");
  BuildApp(app, cli);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  auto ctx = gofer::cli::Context::Create(cli.flags);
  if (!ctx.ok()) {
    std::cerr << gofer::cli::DescribeError(ctx.status(), "");
    return 2;
  }
  if (!cli.action) {
    std::cerr << app.help();
    return 2;
  }
  const absl::Status status = cli.action(**ctx);
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << gofer::cli::DescribeError(status, (*ctx)->api());
    return 1;
  }
  return 0;
}
