// `gofer task list|get|logs|cancel|delete-logs|attach`: the task executions of a run.
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/v1/runs.grpc.pb.h"
#include "output.h"
#include "run_client.h"
#include "run_view.h"
#include "task_attach.h"

namespace gofer::cli {
namespace {

using gofer::v1::TaskExecution;
using gofer::v1::TaskService;

// Options of the task commands.
struct TaskOptions {
  RunArgs args;
  std::string grace;
  bool follow = false;
  int32_t attempt = 0;
  int64_t since = 0;
  // attach: --command words, then the words after `--`.
  std::vector<std::string> command;
  std::vector<std::string> trailing;
};

absl::Status List(Context& ctx, const TaskOptions& options) {
  GOFER_ASSIGN_OR_RETURN(const std::vector<TaskExecution> tasks,
                         ListTasks(ctx, Resolve(ctx, options.args)));
  if (ctx.format() != OutputFormat::kTable) {
    gofer::v1::ListTaskExecutionsResponse response;
    response.mutable_task_executions()->Assign(tasks.begin(), tasks.end());
    return PrintStructured(ctx, response);
  }
  PrintTaskTable(std::cout, tasks, ctx.colour(), absl::Now());
  return absl::OkStatus();
}

// One task execution with every attempt, for people.
void PrintTask(const Context& ctx, const TaskExecution& t) {
  const absl::Time now = absl::Now();
  const bool exact = ctx.exact_times();
  const auto& p = t.phases();
  std::cout << fmt::format("task:      {} (run {} of '{}')\n", t.task_id(), t.run_id(),
                           t.pipeline_id())
            << fmt::format("state:     {}{}\n", Paint(TaskWord(t), ctx.colour()),
                           t.reused() ? " (reused from the retried run)" : "");
  if (const std::string reason = ReasonText(t.reason()); !reason.empty()) {
    std::cout << fmt::format("reason:    {}\n", reason);
  }
  if (p.has_exited()) {
    std::cout << fmt::format("exit code: {}\n", t.exit_code());
  }
  std::cout << fmt::format("attempt:   {}\n", t.attempt())
            << fmt::format("node:      {}\n", t.node().empty() ? "-" : t.node())
            << fmt::format("image:     {}\n", t.image_digest().empty() ? "-" : t.image_digest())
            << fmt::format("container: {}\n", t.container().empty() ? "-" : t.container())
            << fmt::format("queued:    {}\n", FormatTime(p.queued(), exact, now))
            << fmt::format("started:   {}\n", FormatTime(p.started(), exact, now))
            << fmt::format("exited:    {}\n", FormatTime(p.exited(), exact, now))
            << fmt::format("duration:  {}\n", TaskDuration(t, now));
  if (t.attempts().empty()) {
    return;
  }
  std::cout << "\n";
  Table table({"ATTEMPT", "STATUS", "EXIT", "NODE", "QUEUED", "WAITED", "RAN", "REASON"});
  for (const gofer::v1::TaskAttempt& a : t.attempts()) {
    const auto& ap = a.phases();
    table.AddRow(
        {std::to_string(a.attempt()),
         Paint(EnumWord(gofer::v1::TaskExecutionStatus_Name(a.status()), "TASK_EXECUTION_STATUS_"),
               ctx.colour()),
         ap.has_exited() ? std::to_string(a.exit_code()) : "-", a.node().empty() ? "-" : a.node(),
         FormatTime(ap.queued(), exact, now), Between(ap.queued(), ap.started()),
         Between(ap.started(), ap.exited()), ReasonText(a.reason())});
  }
  table.Print(std::cout, ctx.colour());
}

absl::Status Get(Context& ctx, const TaskOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  auto stub = TaskService::NewStub(ctx.channel());
  TaskExecution task;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetTaskExecution(
      call.get(), RequestFor<gofer::v1::GetTaskExecutionRequest>(ref), &task)));
  absl::Status status;
  if (Structured(ctx, task, &status)) {
    return status;
  }
  PrintTask(ctx, task);
  return absl::OkStatus();
}

absl::Status Logs(Context& ctx, const TaskOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  const LogsQuery query{
      .attempt = options.attempt, .from_line = options.since, .follow = options.follow};
  return ReadLogs(ctx, ref, query, [&ctx](const gofer::v1::TaskLogLine& line) {
    if (ctx.format() != OutputFormat::kTable) {
      return PrintStreamed(ctx, line);
    }
    // Each line is flushed as it comes, so a followed log reads live even through a pipe.
    std::ostream& out = line.stream() == gofer::v1::LOG_STREAM_STDERR ? std::cerr : std::cout;
    out << line.text() << std::endl;
    return absl::OkStatus();
  });
}

absl::Status Cancel(Context& ctx, const TaskOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  GOFER_ASSIGN_OR_RETURN(const absl::Duration grace, ParseGrace(options.grace));
  auto request = RequestFor<gofer::v1::CancelTaskExecutionRequest>(ref);
  *request.mutable_grace_period() = rpc::ToDuration(grace);
  auto stub = TaskService::NewStub(ctx.channel());
  TaskExecution task;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->CancelTaskExecution(call.get(), request, &task)));
  absl::Status status;
  if (Structured(ctx, task, &status)) {
    return status;
  }
  std::cout << (task.state() == gofer::v1::TASK_EXECUTION_STATE_COMPLETE
                    ? fmt::format("task '{}' of run {} is {}\n", ref.task, ref.run_id,
                                  TaskWord(task))
                    : fmt::format("cancelling task '{}' of run {}\n", ref.task, ref.run_id));
  return absl::OkStatus();
}

absl::Status DeleteLogs(Context& ctx, const TaskOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  auto request = RequestFor<gofer::v1::DeleteTaskLogsRequest>(ref);
  auto stub = TaskService::NewStub(ctx.channel());
  gofer::v1::DeleteTaskLogsResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->DeleteTaskLogs(call.get(), request, &response)));
  if (ctx.format() == OutputFormat::kTable) {
    std::cout << fmt::format("deleted the logs of task '{}' of run {} of '{}'\n", ref.task,
                             ref.run_id, ref.pipeline);
  }
  return absl::OkStatus();
}

// Exits with the remote command's exit code (after the terminal is restored); failures to
// attach are the CLI's own (exit 1).
absl::Status Attach(Context& ctx, const TaskOptions& options) {
  std::vector<std::string> command = options.command;
  command.insert(command.end(), options.trailing.begin(), options.trailing.end());
  GOFER_ASSIGN_OR_RETURN(const int exit_code,
                         AttachToTask(ctx, Resolve(ctx, options.args), command));
  if (exit_code != 0) {
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(exit_code);
  }
  return absl::OkStatus();
}

using Action = std::function<absl::Status(Context&, const TaskOptions&)>;

// Adds `name` with PIPELINE RUN [TASK] and -n, running `action` with `options`.
CLI::App* AddCommand(CLI::App* parent, Cli& cli, const std::string& name, const std::string& help,
                     bool with_task, const std::shared_ptr<TaskOptions>& options, Action action) {
  CLI::App* command = parent->add_subcommand(name, help);
  AddRunArgs(command, options->args, /*with_run=*/true, with_task);
  OnRun(command, cli, [options, action](Context& ctx) { return action(ctx, *options); });
  return command;
}

}  // namespace

void AddTaskCommands(CLI::App& root, Cli& cli) {
  CLI::App* task =
      root.add_subcommand("task", "Inspect a run's tasks, read their logs and attach to them");
  task->require_subcommand(1);

  AddCommand(task, cli, "list", "List a run's task executions in dependency order", false,
             std::make_shared<TaskOptions>(), List);
  AddCommand(task, cli, "get", "Show a task execution with every attempt", true,
             std::make_shared<TaskOptions>(), Get);

  auto logs = std::make_shared<TaskOptions>();
  CLI::App* logs_cmd = AddCommand(
      task, cli, "logs", "Print a task's log (its stderr lines on stderr)", true, logs, Logs);
  logs_cmd->add_flag("-f,--follow", logs->follow, "Keep printing new lines until the task ends");
  logs_cmd->add_option("--attempt", logs->attempt, "Attempt to read (default: the latest)")
      ->check(CLI::PositiveNumber);
  logs_cmd->add_option("--since", logs->since, "First line to print (0-based; default 0)")
      ->check(CLI::NonNegativeNumber);

  auto cancel = std::make_shared<TaskOptions>();
  AddGraceOption(AddCommand(task, cli, "cancel", "Cancel one task execution", true, cancel, Cancel),
                 cancel->grace);

  auto attach = std::make_shared<TaskOptions>();
  CLI::App* attach_cmd = AddCommand(
      task, cli, "attach",
      "Run a shell (or --command) in a running task's container; with a terminal, interactively "
      "(raw mode, remote echo, resizes follow); exits with the command's exit code",
      true, attach, Attach);
  attach_cmd->add_option("--command", attach->command,
                         "The command and its arguments (default /bin/sh); arguments starting "
                         "with '-' go after --");
  attach_cmd->add_option("ARGS", attach->trailing,
                         "After --: the command and its arguments (appended to --command)");
  attach_cmd->footer(
      "Examples:\n  gofer task attach build 12 test\n"
      "  gofer task attach build 12 test --command ps\n"
      "  gofer task attach build 12 test -- ls -la /workspace\n"
      "  echo 'cat /etc/os-release' | gofer task attach build 12 test");

  AddCommand(task, cli, "delete-logs",
             "Delete a finished task's logs (for example after a secret leaked into them)", true,
             std::make_shared<TaskOptions>(), DeleteLogs);
}

}  // namespace gofer::cli
