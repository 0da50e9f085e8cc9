#include "run_watch.h"

#include <deque>
#include <iostream>

#include <fmt/format.h>

#include "output.h"
#include "run_view.h"

namespace gofer::cli {
namespace {

using gofer::v1::TaskExecution;

constexpr absl::Duration kPollInterval = absl::Milliseconds(500);

bool Complete(const gofer::v1::Run& run) { return run.state() == gofer::v1::RUN_STATE_COMPLETE; }

// "build: failed, exit 3 (abnormal exit: exited with code 3)".
std::string TaskChange(const TaskExecution& t) {
  std::string line = fmt::format("{}: {}", t.task_id(), TaskWord(t));
  if (t.attempt() > 1) {
    line += fmt::format(" (attempt {})", t.attempt());
  }
  if (t.state() == gofer::v1::TASK_EXECUTION_STATE_COMPLETE && t.phases().has_exited()) {
    line += fmt::format(", exit {}", t.exit_code());
  }
  if (const std::string reason = ReasonText(t.reason()); !reason.empty()) {
    line += fmt::format(" ({})", reason);
  }
  return line;
}

// The log tails of the live view: for every task that started, the lines read so far of its
// current attempt (the last kTailLines of them), read on from the last line seen.
class LogTails {
 public:
  // Reads the new lines of every task that may have some.
  absl::Status Update(Context& ctx, const RunRef& run, const std::vector<TaskExecution>& tasks) {
    for (const TaskExecution& t : tasks) {
      Tail& tail = tails_[t.task_id()];
      if (tail.attempt != t.attempt()) {
        tail = Tail{.attempt = t.attempt()};
      }
      const bool complete = t.state() == gofer::v1::TASK_EXECUTION_STATE_COMPLETE;
      if (t.attempt() == 0 || !t.phases().has_started() || tail.drained) {
        continue;
      }
      RunRef ref = run;
      ref.task = t.task_id();
      GOFER_RETURN_IF_ERROR(ReadLogs(ctx, ref, {.attempt = t.attempt(), .from_line = tail.next},
                                     [&tail](const gofer::v1::TaskLogLine& line) {
                                       tail.lines.push_back(line.text());
                                       if (tail.lines.size() > kTailLines) {
                                         tail.lines.pop_front();
                                       }
                                       tail.next = line.line() + 1;
                                       return absl::OkStatus();
                                     }));
      // A finished attempt's lines are all stored before it is complete: one read drains it.
      tail.drained = complete;
    }
    return absl::OkStatus();
  }

  // The tails by task id.
  std::map<std::string, std::vector<std::string>> Lines() const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [task, tail] : tails_) {
      out[task] = std::vector<std::string>(tail.lines.begin(), tail.lines.end());
    }
    return out;
  }

 private:
  struct Tail {
    int32_t attempt = 0;
    int64_t next = 0;
    bool drained = false;
    std::deque<std::string> lines;
  };
  std::map<std::string, Tail> tails_;
};

// Replaces the previous frame (of `*drawn` lines) with `lines`.
void Redraw(const std::vector<std::string>& lines, size_t* drawn) {
  std::string frame;
  if (*drawn > 0) {
    frame += fmt::format("\x1b[{}F\x1b[J", *drawn);  // to the frame's first line; clear below
  }
  for (const std::string& line : lines) {
    frame += line + "\n";
  }
  std::cout << frame << std::flush;
  *drawn = lines.size();
}

// The live view cut to the terminal: a frame taller than the screen scrolls, and the redraw
// cannot reach back above it. Log tails go first, then the rows that do not fit.
std::vector<std::string> FitScreen(const gofer::v1::Run& run,
                                   const std::vector<TaskExecution>& tasks, const LogTails& tails,
                                   bool colour, absl::Time now) {
  const int width = TerminalColumns();
  const size_t rows = std::max(TerminalRows() - 1, 3);
  std::vector<std::string> lines = RenderLiveView(run, tasks, tails.Lines(), width, colour, now);
  if (lines.size() > rows) {
    lines = RenderLiveView(run, tasks, {}, width, colour, now);
  }
  if (lines.size() > rows) {
    const size_t hidden = lines.size() - rows + 1;
    lines.resize(rows - 1);
    lines.push_back(fmt::format("  … {} more tasks", hidden));
  }
  return lines;
}

}  // namespace

std::vector<std::string> RenderLiveView(
    const gofer::v1::Run& run, const std::vector<TaskExecution>& tasks,
    const std::map<std::string, std::vector<std::string>>& tails, int width, bool colour,
    absl::Time now) {
  std::vector<std::string> lines;
  std::string header = fmt::format("run {} of '{}': {} {}", run.run_id(), run.pipeline_id(),
                                   Paint(RunWord(run), colour), RunDuration(run, now));
  if (run.state() == gofer::v1::RUN_STATE_PENDING && !run.waiting_reason().empty()) {
    header += fmt::format(" (waiting: {})", run.waiting_reason());
  }
  lines.push_back(header);
  size_t id_width = 4;
  for (const TaskExecution& t : tasks) {
    id_width = std::max(id_width, t.task_id().size());
  }
  for (const TaskExecution& t : tasks) {
    const std::string word = TaskWord(t);
    std::string line = fmt::format("  {:<{}}  {}{}", t.task_id(), id_width, Paint(word, colour),
                                   std::string(word.size() < 10 ? 10 - word.size() : 0, ' '));
    if (t.phases().has_exited()) {
      line += fmt::format("  exit {:<3}", t.exit_code());
    } else {
      line += std::string(10, ' ');
    }
    line += "  " + TaskDuration(t, now);
    if (t.attempt() > 1) {
      line += fmt::format("  attempt {}", t.attempt());
    }
    if (const std::string reason = ReasonText(t.reason()); !reason.empty()) {
      line += "  " + reason;
    }
    lines.push_back(line);
    if (auto it = tails.find(t.task_id()); it != tails.end()) {
      for (const std::string& text : it->second) {
        lines.push_back("      │ " + text);
      }
    }
  }
  for (std::string& line : lines) {
    line = FitWidth(line, width > 1 ? width - 1 : 1);
  }
  return lines;
}

std::vector<std::string> StateChangeLines(const gofer::v1::Run& run,
                                          const std::vector<TaskExecution>& tasks,
                                          const std::string& clock, SeenStates& seen) {
  std::vector<std::string> lines;
  auto note = [&](const std::string& key, const std::string& state, const std::string& text) {
    auto [it, inserted] = seen.try_emplace(key, state);
    if (inserted || it->second != state) {
      it->second = state;
      lines.push_back(fmt::format("{} {}", clock, text));
    }
  };
  std::string run_text = fmt::format("run {}: {}", run.run_id(), RunWord(run));
  if (run.state() == gofer::v1::RUN_STATE_PENDING && !run.waiting_reason().empty()) {
    run_text += fmt::format(" (waiting: {})", run.waiting_reason());
  }
  // The run's completion is the summary's to report.
  if (!Complete(run)) {
    note("", RunWord(run) + run.waiting_reason(), run_text);
  }
  for (const TaskExecution& t : tasks) {
    note(t.task_id(), fmt::format("{}#{}", TaskWord(t), t.attempt()), TaskChange(t));
  }
  return lines;
}

absl::Status WatchRun(Context& ctx, const RunRef& ref) {
  const bool terminal = StdoutIsTerminal();
  const bool structured = ctx.format() != OutputFormat::kTable;
  LogTails tails;
  SeenStates seen;
  size_t drawn = 0;
  while (true) {
    GOFER_ASSIGN_OR_RETURN(gofer::v1::Run run, GetRun(ctx, ref));
    GOFER_ASSIGN_OR_RETURN(std::vector<TaskExecution> tasks, ListTasks(ctx, ref));
    const absl::Time now = absl::Now();
    if (structured) {
      // Nothing while following: the final run is the one document printed.
    } else if (terminal) {
      GOFER_RETURN_IF_ERROR(tails.Update(ctx, ref, tasks));
      Redraw(FitScreen(run, tasks, tails, ctx.colour(), now), &drawn);
    } else {
      const std::string clock = absl::FormatTime("%H:%M:%S", now, absl::LocalTimeZone());
      for (const std::string& line : StateChangeLines(run, tasks, clock, seen)) {
        std::cout << line << '\n';
      }
      std::cout.flush();
    }
    if (Complete(run)) {
      if (structured) {
        GOFER_RETURN_IF_ERROR(PrintStructured(ctx, run));
      } else {
        std::cout << '\n';
        PrintRunSummary(std::cout, run, tasks, ctx.colour(), now);
      }
      return RunOutcome(run);
    }
    absl::SleepFor(kPollInterval);
  }
}

}  // namespace gofer::cli
