// `gofer run start|list|get|cancel|cancel-all|retry|watch|timeline|dump`.
#include <iostream>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "commands.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/v1/runs.grpc.pb.h"
#include "output.h"
#include "run_client.h"
#include "run_dump.h"
#include "run_timeline.h"
#include "run_view.h"
#include "run_watch.h"

namespace gofer::cli {
namespace {

using gofer::v1::RunService;

// Options of the run commands.
struct RunOptions {
  RunArgs args;
  std::vector<std::string> variables;  // K=V
  std::string reason;
  std::string state;  // list filter
  std::string grace;
  std::string file;
  bool watch = false;
  bool failed_only = false;
};

// " -n NS" when `ns` is not the default namespace, for the commands a hint suggests.
std::string NamespaceFlag(const std::string& ns) { return ns == "default" ? "" : " -n " + ns; }

absl::Status Start(Context& ctx, const RunOptions& options) {
  RunRef ref = Resolve(ctx, options.args);
  auto request = RequestFor<gofer::v1::StartRunRequest>(ref);
  request.set_reason(options.reason);
  for (const std::string& kv : options.variables) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(fmt::format("--var '{}': write KEY=VALUE", kv));
    }
    (*request.mutable_variables())[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  auto stub = RunService::NewStub(ctx.channel());
  gofer::v1::Run run;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->StartRun(call.get(), request, &run)));
  ref.run_id = run.run_id();
  if (ctx.format() == OutputFormat::kTable) {
    std::cout << fmt::format("started run {} of '{}' (version {})\n", run.run_id(),
                             run.pipeline_id(), run.config_version());
    if (!options.watch) {
      std::cout << fmt::format("watch it with: gofer run watch {} {}{}\n", run.pipeline_id(),
                               run.run_id(), NamespaceFlag(ref.ns));
    }
    std::cout.flush();
  } else if (!options.watch) {
    return PrintStructured(ctx, run);
  }
  return options.watch ? WatchRun(ctx, ref) : absl::OkStatus();
}

absl::Status List(Context& ctx, const RunOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  gofer::v1::RunState state = gofer::v1::RUN_STATE_UNSPECIFIED;
  if (!options.state.empty()) {
    gofer::v1::RunState_Parse("RUN_STATE_" + absl::AsciiStrToUpper(options.state), &state);
  }
  auto stub = RunService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListRunsResponse>(
      ctx.limit(),
      [&](const std::string& token, gofer::v1::ListRunsResponse* page) {
        auto request = RequestFor<gofer::v1::ListRunsRequest>(ref);
        request.set_state(state);
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListRuns(call.get(), request, page));
      },
      [](gofer::v1::ListRunsResponse& r) { return r.mutable_runs(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  const absl::Time now = absl::Now();
  Table table({"RUN", "STATE", "VERSION", "INITIATOR", "QUEUED", "DURATION", "REASON"});
  for (const gofer::v1::Run& r : all->runs()) {
    const std::string reason = r.state() == gofer::v1::RUN_STATE_PENDING
                                   ? r.waiting_reason()
                                   : ReasonText(r.status_reason());
    gofer::v1::Initiator who = r.initiator();
    who.clear_reason();  // `run get` shows it; here it would widen every row
    table.AddRow({std::to_string(r.run_id()), Paint(RunWord(r), ctx.colour()),
                  std::to_string(r.config_version()), InitiatorText(who),
                  FormatTime(r.queued(), ctx.exact_times(), now), RunDuration(r, now), reason});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

// One run with its tasks, for people.
void PrintRun(const Context& ctx, const gofer::v1::Run& r,
              const std::vector<gofer::v1::TaskExecution>& tasks) {
  const absl::Time now = absl::Now();
  const bool exact = ctx.exact_times();
  std::cout << fmt::format("run:         {} of '{}' (namespace {})\n", r.run_id(), r.pipeline_id(),
                           r.namespace_id())
            << fmt::format("status:      {}\n", Paint(RunWord(r), ctx.colour()));
  if (const std::string reason = ReasonText(r.status_reason()); !reason.empty()) {
    std::cout << fmt::format("reason:      {}\n", reason);
  }
  if (!r.waiting_reason().empty()) {
    std::cout << fmt::format("waiting:     {}\n", r.waiting_reason());
  }
  std::cout << fmt::format("initiator:   {}\n", InitiatorText(r.initiator()))
            << fmt::format("version:     {}\n", r.config_version());
  if (r.retry_of() != 0) {
    std::cout << fmt::format("retry of:    run {}\n", r.retry_of());
  }
  if (!r.variables().empty()) {
    std::vector<std::string> keys;
    for (const gofer::v1::Variable& v : r.variables()) {
      keys.push_back(v.key());
    }
    std::cout << fmt::format("variables:   {}\n", absl::StrJoin(keys, ", "));
  }
  std::cout << fmt::format("queued:      {}\n", FormatTime(r.queued(), exact, now))
            << fmt::format("started:     {}\n", FormatTime(r.started(), exact, now))
            << fmt::format("ended:       {}\n", FormatTime(r.ended(), exact, now))
            << fmt::format("duration:    {}\n\n", RunDuration(r, now));
  PrintTaskTable(std::cout, tasks, ctx.colour(), now);
}

absl::Status Get(Context& ctx, const RunOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  GOFER_ASSIGN_OR_RETURN(const gofer::v1::Run run, GetRun(ctx, ref));
  absl::Status status;
  if (Structured(ctx, run, &status)) {
    return status;
  }
  GOFER_ASSIGN_OR_RETURN(const std::vector<gofer::v1::TaskExecution> tasks, ListTasks(ctx, ref));
  PrintRun(ctx, run, tasks);
  return absl::OkStatus();
}

absl::Status Cancel(Context& ctx, const RunOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  GOFER_ASSIGN_OR_RETURN(const absl::Duration grace, ParseGrace(options.grace));
  auto request = RequestFor<gofer::v1::CancelRunRequest>(ref);
  *request.mutable_grace_period() = rpc::ToDuration(grace);
  request.set_reason(options.reason);
  auto stub = RunService::NewStub(ctx.channel());
  gofer::v1::Run run;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->CancelRun(call.get(), request, &run)));
  absl::Status status;
  if (Structured(ctx, run, &status)) {
    return status;
  }
  std::cout << (run.state() == gofer::v1::RUN_STATE_COMPLETE
                    ? fmt::format("run {} of '{}' is {}\n", run.run_id(), run.pipeline_id(),
                                  RunWord(run))
                    : fmt::format("cancelling run {} of '{}'\n", run.run_id(), run.pipeline_id()));
  return absl::OkStatus();
}

absl::Status CancelAll(Context& ctx, const RunOptions& options) {
  const RunRef ref = Resolve(ctx, options.args);
  GOFER_ASSIGN_OR_RETURN(const absl::Duration grace, ParseGrace(options.grace));
  auto request = RequestFor<gofer::v1::CancelAllRunsRequest>(ref);
  *request.mutable_grace_period() = rpc::ToDuration(grace);
  request.set_reason(options.reason);
  auto stub = RunService::NewStub(ctx.channel());
  gofer::v1::CancelAllRunsResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->CancelAllRuns(call.get(), request, &response)));
  absl::Status status;
  if (Structured(ctx, response, &status)) {
    return status;
  }
  std::cout << (response.run_ids().empty()
                    ? fmt::format("'{}' has no unfinished runs\n", ref.pipeline)
                    : fmt::format("cancelling runs {} of '{}'\n",
                                  absl::StrJoin(response.run_ids(), ", "), ref.pipeline));
  return absl::OkStatus();
}

absl::Status Retry(Context& ctx, const RunOptions& options) {
  RunRef ref = Resolve(ctx, options.args);
  auto request = RequestFor<gofer::v1::RetryRunRequest>(ref);
  request.set_failed_only(options.failed_only);
  auto stub = RunService::NewStub(ctx.channel());
  gofer::v1::Run run;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->RetryRun(call.get(), request, &run)));
  absl::Status status;
  if (Structured(ctx, run, &status)) {
    return status;
  }
  std::cout << fmt::format("started run {} of '{}', retrying run {}{}\n", run.run_id(),
                           run.pipeline_id(), ref.run_id,
                           options.failed_only ? " (failed tasks only)" : "");
  std::cout << fmt::format("watch it with: gofer run watch {} {}{}\n", run.pipeline_id(),
                           run.run_id(), NamespaceFlag(ref.ns));
  return absl::OkStatus();
}

using Action = std::function<absl::Status(Context&, const RunOptions&)>;

// Adds `name` with PIPELINE [RUN] and -n, running `action` with `options` (which the caller may
// add options to).
CLI::App* AddCommand(CLI::App* parent, Cli& cli, const std::string& name, const std::string& help,
                     bool with_run, const std::shared_ptr<RunOptions>& options, Action action) {
  CLI::App* command = parent->add_subcommand(name, help);
  AddRunArgs(command, options->args, with_run);
  OnRun(command, cli, [options, action](Context& ctx) { return action(ctx, *options); });
  return command;
}

}  // namespace

void AddRunCommands(CLI::App& root, Cli& cli) {
  CLI::App* run = root.add_subcommand("run", "Start, follow and inspect runs");
  run->require_subcommand(1);

  auto start = std::make_shared<RunOptions>();
  CLI::App* start_cmd = AddCommand(run, cli, "start", "Start a run of the pipeline's live version",
                                   false, start, Start);
  start_cmd->add_option("--var", start->variables,
                        "Run variable KEY=VALUE (repeatable; wins over the config's)");
  start_cmd->add_option("--reason", start->reason, "Why the run is started (shown with it)");
  start_cmd->add_flag("--watch", start->watch,
                      "Follow the run until it ends (exit 1 unless it succeeds)");

  auto list = std::make_shared<RunOptions>();
  AddCommand(run, cli, "list", "List a pipeline's runs, newest first", false, list, List)
      ->add_option("--state", list->state, "Only runs in this state")
      ->check(CLI::IsMember({"pending", "running", "complete"}));

  AddCommand(run, cli, "get", "Show a run: status, reasons, times and its tasks", true,
             std::make_shared<RunOptions>(), Get);

  auto cancel = std::make_shared<RunOptions>();
  CLI::App* cancel_cmd = AddCommand(
      run, cli, "cancel", "Cancel a run: pending tasks are cancelled, running ones stopped", true,
      cancel, Cancel);
  AddGraceOption(cancel_cmd, cancel->grace);
  cancel_cmd->add_option("--reason", cancel->reason, "Why (recorded as the run's reason)");

  auto cancel_all = std::make_shared<RunOptions>();
  CLI::App* cancel_all_cmd =
      AddCommand(run, cli, "cancel-all", "Cancel every unfinished run of a pipeline", false,
                 cancel_all, CancelAll);
  AddGraceOption(cancel_all_cmd, cancel_all->grace);
  cancel_all_cmd->add_option("--reason", cancel_all->reason, "Why (recorded in each run)");

  auto retry = std::make_shared<RunOptions>();
  AddCommand(run, cli, "retry", "Start a new run repeating a finished one", true, retry, Retry)
      ->add_flag("--failed", retry->failed_only,
                 "Re-run only failed, cancelled and skipped tasks, reusing the successful ones");

  AddCommand(run, cli, "watch",
             "Follow a run live until it ends, then summarise it (exit 1 unless it succeeds)", true,
             std::make_shared<RunOptions>(),
             [](Context& ctx, const RunOptions& o) { return WatchRun(ctx, Resolve(ctx, o.args)); });

  AddCommand(run, cli, "timeline",
             "Chart the run's tasks on a time axis (queued, starting, running) with the critical "
             "path",
             true, std::make_shared<RunOptions>(), [](Context& ctx, const RunOptions& o) {
               return PrintTimeline(ctx, Resolve(ctx, o.args));
             });

  auto dump = std::make_shared<RunOptions>();
  AddCommand(
      run, cli, "dump", "Write the run, its config, tasks, events and every log into one .tar.gz",
      true, dump,
      [](Context& ctx, const RunOptions& o) { return DumpRun(ctx, Resolve(ctx, o.args), o.file); })
      ->add_option("-f,--file", dump->file, "Archive to write (default PIPELINE-run-RUN.tar.gz)");
}

}  // namespace gofer::cli
