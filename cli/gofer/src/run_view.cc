#include "run_view.h"

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/rpc/proto_time.h"
#include "output.h"

namespace gofer::cli {
namespace {

bool IsSet(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

// started → ended, started → now while unfinished, "-" before it started.
std::string Span(const google::protobuf::Timestamp& started,
                 const google::protobuf::Timestamp& ended, absl::Time now) {
  if (!IsSet(started)) {
    return "-";
  }
  const absl::Time end = IsSet(ended) ? rpc::FromTimestamp(ended) : now;
  const absl::Duration d = end - rpc::FromTimestamp(started);
  // Something that ran took some time, even when its clock said otherwise.
  return d < absl::Milliseconds(1) ? "<1ms" : HumanDuration(d);
}

}  // namespace

std::string RunWord(const gofer::v1::Run& run) {
  if (run.state() == gofer::v1::RUN_STATE_COMPLETE) {
    return EnumWord(gofer::v1::RunStatus_Name(run.status()), "RUN_STATUS_");
  }
  return EnumWord(gofer::v1::RunState_Name(run.state()), "RUN_STATE_");
}

std::string TaskWord(const gofer::v1::TaskExecution& task) {
  if (task.state() == gofer::v1::TASK_EXECUTION_STATE_COMPLETE) {
    return EnumWord(gofer::v1::TaskExecutionStatus_Name(task.status()), "TASK_EXECUTION_STATUS_");
  }
  return EnumWord(gofer::v1::TaskExecutionState_Name(task.state()), "TASK_EXECUTION_STATE_");
}

std::string HumanDuration(absl::Duration d) {
  if (d <= absl::ZeroDuration()) {
    return "0s";
  }
  if (d < absl::Seconds(1)) {
    return fmt::format("{}ms", absl::ToInt64Milliseconds(d));
  }
  if (d < absl::Minutes(1)) {
    return fmt::format("{:.1f}s", absl::ToDoubleSeconds(d));
  }
  const int64_t seconds = absl::ToInt64Seconds(d);
  if (d < absl::Hours(1)) {
    return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  }
  return fmt::format("{}h{:02}m", seconds / 3600, seconds / 60 % 60);
}

std::string Between(const google::protobuf::Timestamp& from,
                    const google::protobuf::Timestamp& to) {
  if (!IsSet(from) || !IsSet(to)) {
    return "-";
  }
  return HumanDuration(rpc::FromTimestamp(to) - rpc::FromTimestamp(from));
}

std::string TaskDuration(const gofer::v1::TaskExecution& task, absl::Time now) {
  return Span(task.phases().started(), task.phases().exited(), now);
}

std::string RunDuration(const gofer::v1::Run& run, absl::Time now) {
  return Span(run.started(), run.ended(), now);
}

std::string ReasonText(const gofer::v1::StatusReason& reason) {
  const std::string kind =
      EnumWord(gofer::v1::StatusReasonKind_Name(reason.kind()), "STATUS_REASON_KIND_");
  std::string text = kind == "-" ? "" : kind;
  for (char& c : text) {
    c = c == '_' ? ' ' : c;
  }
  const std::string& description = reason.description();
  if (description.empty()) {
    return text;
  }
  // "cancelled by alice" needs no "cancelled: " before it.
  if (text.empty() || absl::StartsWithIgnoreCase(ToAbsl(description), ToAbsl(text))) {
    return description;
  }
  return text + ": " + description;
}

std::string InitiatorText(const gofer::v1::Initiator& initiator) {
  std::string text = EnumWord(gofer::v1::InitiatorKind_Name(initiator.kind()), "INITIATOR_KIND_");
  if (!initiator.name().empty()) {
    text += " " + initiator.name();
  }
  if (!initiator.reason().empty()) {
    text += fmt::format(" ({})", initiator.reason());
  }
  return text;
}

void PrintTaskTable(std::ostream& out, const std::vector<gofer::v1::TaskExecution>& tasks,
                    bool colour, absl::Time now) {
  Table table({"TASK", "STATE", "EXIT", "ATTEMPT", "DURATION", "REASON"});
  for (const gofer::v1::TaskExecution& t : tasks) {
    const bool exited = IsSet(t.phases().exited());
    table.AddRow({t.task_id() + (t.reused() ? " (reused)" : ""), Paint(TaskWord(t), colour),
                  exited ? std::to_string(t.exit_code()) : "-",
                  IsSet(t.phases().queued()) ? std::to_string(t.attempt()) : "-",
                  TaskDuration(t, now), ReasonText(t.reason())});
  }
  table.Print(out, colour);
}

void PrintRunSummary(std::ostream& out, const gofer::v1::Run& run,
                     const std::vector<gofer::v1::TaskExecution>& tasks, bool colour,
                     absl::Time now) {
  out << fmt::format("run {} of '{}' {} in {}", run.run_id(), run.pipeline_id(),
                     Paint(RunWord(run), colour), RunDuration(run, now));
  if (const std::string reason = ReasonText(run.status_reason()); !reason.empty()) {
    out << ": " << reason;
  }
  out << "\n";
  PrintTaskTable(out, tasks, colour, now);
}

absl::Status RunOutcome(const gofer::v1::Run& run) {
  if (run.state() == gofer::v1::RUN_STATE_COMPLETE &&
      run.status() == gofer::v1::RUN_STATUS_SUCCESSFUL) {
    return absl::OkStatus();
  }
  std::string message =
      fmt::format("run {} of '{}' {}", run.run_id(), run.pipeline_id(), RunWord(run));
  if (const std::string reason = ReasonText(run.status_reason()); !reason.empty()) {
    message += ": " + reason;
  }
  return absl::AbortedError(message);
}

}  // namespace gofer::cli
