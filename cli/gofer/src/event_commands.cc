// `gofer event list|watch`.
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "event_client.h"
#include "gofer/v1/events.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

using gofer::v1::EventService;

// Options of the event commands.
struct EventOptions {
  std::string kind;
  std::string ns;
  std::string pipeline;
  bool from_now = false;
};

gofer::v1::EventFilter Filter(const EventOptions& options) {
  gofer::v1::EventFilter filter;
  filter.set_kind(options.kind);
  filter.set_namespace_id(options.ns);
  filter.set_pipeline_id(options.pipeline);
  return filter;
}

// "prod/build#3:test": what an event concerns ("-" when nothing).
std::string Subject(const gofer::v1::Event& e) {
  std::string subject = e.namespace_id();
  if (!e.pipeline_id().empty()) {
    subject += "/" + e.pipeline_id();
  }
  if (e.run_id() != 0) {
    subject += fmt::format("#{}", e.run_id());
  }
  if (!e.task_id().empty()) {
    subject += ":" + e.task_id();
  }
  return subject.empty() ? "-" : subject;
}

absl::Status List(Context& ctx, const EventOptions& options) {
  GOFER_ASSIGN_OR_RETURN(const gofer::v1::ListEventsResponse all,
                         CollectEvents(ctx, Filter(options), ctx.limit()));
  absl::Status status;
  if (Structured(ctx, all, &status)) {
    return status;
  }
  Table table({"ID", "TIME", "KIND", "SUBJECT", "ACTOR"});
  for (const gofer::v1::Event& e : all.events()) {
    table.AddRow({std::to_string(e.id()), FormatTime(e.emitted(), ctx.exact_times()), e.kind(),
                  Subject(e), e.actor()});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

// Prints one streamed event: a line for people, a compact JSON line, or a YAML document.
absl::Status PrintEvent(const Context& ctx, const gofer::v1::Event& e) {
  if (ctx.format() != OutputFormat::kTable) {
    return PrintStreamed(ctx, e);
  }
  std::cout << fmt::format("{:>6}  {}  {}  {}  {}\n", e.id(),
                           FormatTime(e.emitted(), /*exact=*/true), e.kind(), Subject(e),
                           e.actor());
  std::cout.flush();
  return absl::OkStatus();
}

absl::Status Watch(Context& ctx, const EventOptions& options) {
  auto stub = EventService::NewStub(ctx.channel());
  gofer::v1::WatchEventsRequest request;
  *request.mutable_filter() = Filter(options);
  if (options.from_now) {
    request.set_from_now(true);
  }
  auto call = ctx.NewCall(absl::InfiniteDuration());
  auto reader = stub->WatchEvents(call.get(), request);
  gofer::v1::WatchEventsResponse response;
  int64_t seen = 0;
  while (reader->Read(&response)) {
    GOFER_RETURN_IF_ERROR(PrintEvent(ctx, response.event()));
    if (ctx.limit() > 0 && ++seen >= ctx.limit()) {
      call->TryCancel();
      reader->Finish().ok();  // CANCELLED by us: not an error
      return absl::OkStatus();
    }
  }
  return FromGrpc(reader->Finish());
}

// Adds the filter options to `command`.
void AddFilters(CLI::App* command, EventOptions& options) {
  command->add_option("--kind", options.kind,
                      "Only this kind, or kinds starting with it when it ends with '.' (run.)");
  command->add_option("-n,--namespace", options.ns, "Only this namespace's events");
  command->add_option("--pipeline", options.pipeline, "Only this pipeline's events (with -n)");
}

}  // namespace

absl::StatusOr<gofer::v1::ListEventsResponse> CollectEvents(Context& ctx,
                                                            const gofer::v1::EventFilter& filter,
                                                            int64_t limit) {
  auto stub = EventService::NewStub(ctx.channel());
  auto all = CollectPages<gofer::v1::ListEventsResponse>(
      limit,
      [&](const std::string& token, gofer::v1::ListEventsResponse* page) {
        gofer::v1::ListEventsRequest request;
        *request.mutable_filter() = filter;
        request.set_page_size(limit > 0 ? PageSizeFor(limit) : 1000);
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListEvents(call.get(), request, page));
      },
      [](gofer::v1::ListEventsResponse& r) { return r.mutable_events(); });
  GOFER_RETURN_IF_ERROR(all.status());
  // The event log has no last page: the token would only say where the log ended.
  all->clear_next_page_token();
  return all;
}

void AddEventCommands(CLI::App& root, Cli& cli) {
  CLI::App* event = root.add_subcommand("event", "Read the event log")->require_subcommand(1);

  auto list_options = std::make_shared<EventOptions>();
  CLI::App* list = event->add_subcommand("list", "List stored events, oldest first");
  AddFilters(list, *list_options);
  OnRun(list, cli, [list_options](Context& ctx) { return List(ctx, *list_options); });

  auto watch_options = std::make_shared<EventOptions>();
  CLI::App* watch = event->add_subcommand(
      "watch", "Print events as they are written until Ctrl-C (or --limit N events)");
  AddFilters(watch, *watch_options);
  watch->add_flag("--from-now", watch_options->from_now,
                  "Only new events (default: from the oldest stored one)");
  OnRun(watch, cli, [watch_options](Context& ctx) { return Watch(ctx, *watch_options); });
}

}  // namespace gofer::cli
