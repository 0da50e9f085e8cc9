// The `gofer` command tree: each command family registers its subcommands on the root app and
// leaves the chosen command's action in a Cli for main to run.
#pragma once

#include <functional>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "context.h"

namespace gofer::cli {

// The state shared by the command tree while parsing, and what to run afterwards.
struct Cli {
  // The global options, filled in by parsing.
  GlobalFlags flags;
  // The action of the command chosen on the command line (set by its parse callback).
  std::function<absl::Status(Context&)> action;
};

// Makes `command`, once parsed, choose `action` as what `cli` runs.
void OnRun(CLI::App* command, Cli& cli, std::function<absl::Status(Context&)> action);

// `token bootstrap|whoami|create|list`.
void AddTokenCommands(CLI::App& root, Cli& cli);
// `namespace list|get|create|delete`.
void AddNamespaceCommands(CLI::App& root, Cli& cli);
// `pipeline register|list|get|enable|disable|delete`.
void AddPipelineCommands(CLI::App& root, Cli& cli);
// `config list|get|diff`.
void AddConfigCommands(CLI::App& root, Cli& cli);
// `deploy` and `deployment list|promote|rollback`.
void AddDeployCommands(CLI::App& root, Cli& cli);
// `run start|list|get|cancel|cancel-all|retry|watch|timeline|dump`.
void AddRunCommands(CLI::App& root, Cli& cli);
// `task list|get|logs|cancel|delete-logs|attach`.
void AddTaskCommands(CLI::App& root, Cli& cli);
// `event list|watch`.
void AddEventCommands(CLI::App& root, Cli& cli);
// `system info|pause|resume|summary`.
void AddSystemCommands(CLI::App& root, Cli& cli);
// `role list|get|create|update|delete`.
void AddRoleCommands(CLI::App& root, Cli& cli);
// `object put|get|list|stat|delete` (pipeline and run objects).
void AddObjectCommands(CLI::App& root, Cli& cli);
// `secret put|get|list|delete` (pipeline and global secrets).
void AddSecretCommands(CLI::App& root, Cli& cli);
// `completion bash`: a static bash completion script of the whole tree under `root`.
void AddCompletionCommands(CLI::App& root, Cli& cli);

// The bash completion script for the command tree of `root` (commands and option names).
std::string BashCompletion(const CLI::App& root);

}  // namespace gofer::cli
