#include "run_timeline.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "gofer/common/string_view_bridge.h"
#include "gofer/rpc/proto_time.h"
#include "output.h"
#include "run_view.h"

namespace gofer::cli {
namespace {

using gofer::v1::TaskExecution;

constexpr std::string_view kQueued = "·";
constexpr std::string_view kStarting = "░";
constexpr std::string_view kRunning = "█";

std::optional<absl::Time> TimeOf(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) {
    return std::nullopt;
  }
  return rpc::FromTimestamp(t);
}

// The phase boundaries of a task's current attempt; unset ones are nullopt.
struct Phases {
  std::optional<absl::Time> queued, leased, started, exited;
};

Phases PhasesOf(const TaskExecution& t) {
  const auto& p = t.phases();
  return {TimeOf(p.queued()), TimeOf(p.leased()), TimeOf(p.started()), TimeOf(p.exited())};
}

// The first of the arguments that is set.
std::optional<absl::Time> First(std::initializer_list<std::optional<absl::Time>> times) {
  for (const auto& t : times) {
    if (t) {
      return t;
    }
  }
  return std::nullopt;
}

// Maps times to columns of a bar `cells` wide spanning [from, to].
class Axis {
 public:
  Axis(absl::Time from, absl::Time to, int cells)
      : from_(from), span_(std::max(to - from, absl::Milliseconds(1))), cells_(cells) {}

  int Column(absl::Time t) const {
    const double at = absl::FDivDuration(t - from_, span_) * cells_;
    return std::clamp(static_cast<int>(at + 0.5), 0, cells_);
  }
  absl::Duration span() const { return span_; }
  int cells() const { return cells_; }

 private:
  absl::Time from_;
  absl::Duration span_;
  int cells_;
};

// The tick line ("0s        1.2s        2.5s") and the ruler ("|---------|---------|") of `axis`.
std::pair<std::string, std::string> AxisLines(const Axis& axis) {
  const int ticks = std::max(1, axis.cells() / 16);
  std::string labels(axis.cells() + 8, ' ');
  std::string ruler(axis.cells() + 1, '-');
  int free_from = 0;  // the first column a label may start in without touching the last one
  for (int i = 0; i <= ticks; ++i) {
    const int col = axis.cells() * i / ticks;
    ruler[col] = '|';
    const std::string label = HumanDuration(axis.span() * i / ticks);
    const int start = std::max(col - static_cast<int>(label.size()) / 2, 0);
    if (start >= free_from && start + label.size() <= labels.size()) {
      labels.replace(start, label.size(), label);
      free_from = start + static_cast<int>(label.size()) + 1;
    }
  }
  while (!labels.empty() && labels.back() == ' ') {
    labels.pop_back();
  }
  return {labels, ruler};
}

// The bar of one task: its phases drawn on `axis`, unfinished ones up to `now`.
std::string Bar(const Phases& p, const Axis& axis, absl::Time now) {
  std::vector<std::string_view> cells(axis.cells(), " ");
  auto fill = [&](std::optional<absl::Time> from, std::optional<absl::Time> to,
                  std::string_view glyph) {
    if (!from) {
      return;
    }
    const int a = axis.Column(*from);
    const int b = axis.Column(to.value_or(now));
    for (int c = a; c < b && c < axis.cells(); ++c) {
      cells[c] = glyph;
    }
  };
  fill(p.queued, First({p.leased, p.started, p.exited}), kQueued);
  fill(p.leased, First({p.started, p.exited}), kStarting);
  fill(p.started, p.exited, kRunning);
  if (p.started) {
    // However short, a task that ran shows at least one running cell.
    const int at = std::min(axis.Column(*p.started), axis.cells() - 1);
    cells[at] = kRunning;
  }
  std::string bar;
  for (std::string_view cell : cells) {
    bar += cell;
  }
  return bar;
}

}  // namespace

std::set<std::string> CriticalPath(const std::vector<TaskExecution>& tasks,
                                   const gofer::v1::PipelineConfig& config) {
  std::map<std::string, absl::Time> exited;
  for (const TaskExecution& t : tasks) {
    if (auto at = TimeOf(t.phases().exited())) {
      exited[t.task_id()] = *at;
    }
  }
  std::map<std::string, std::vector<std::string>> parents;
  for (const gofer::v1::Task& task : config.tasks()) {
    for (const auto& [parent, condition] : task.depends_on()) {
      parents[task.id()].push_back(parent);
    }
  }
  // Walks back from the task that finished last through the parent that finished last.
  auto last_of = [&exited](const std::vector<std::string>& ids) -> std::optional<std::string> {
    std::optional<std::string> last;
    for (const std::string& id : ids) {
      auto it = exited.find(id);
      if (it != exited.end() && (!last || it->second > exited.at(*last))) {
        last = id;
      }
    }
    return last;
  };
  std::vector<std::string> all;
  for (const auto& [id, at] : exited) {
    all.push_back(id);
  }
  std::set<std::string> path;
  for (auto at = last_of(all); at && path.insert(*at).second; at = last_of(parents[*at])) {
  }
  return path;
}

std::vector<std::string> RenderTimeline(const std::vector<TaskExecution>& tasks,
                                        const std::set<std::string>& critical, int width,
                                        bool colour, absl::Time now) {
  std::optional<absl::Time> from;
  absl::Time to = absl::InfinitePast();
  size_t id_width = 4;
  for (const TaskExecution& t : tasks) {
    const Phases p = PhasesOf(t);
    if (auto start = First({p.queued, p.leased, p.started}); start && (!from || *start < *from)) {
      from = start;
    }
    if (auto end = First({p.exited, p.started ? std::optional(now) : std::nullopt, p.leased})) {
      to = std::max(to, *end);
    }
    id_width = std::max(id_width, t.task_id().size());
  }
  if (!from) {
    return {"no task has been queued yet"};
  }
  // "* " + id + "  " + bar + "  " + duration (up to 8).
  const int cells = std::max(10, width - static_cast<int>(id_width) - 14);
  const Axis axis(*from, std::max(to, *from), cells);
  const auto [labels, ruler] = AxisLines(axis);
  const std::string indent(id_width + 4, ' ');
  std::vector<std::string> lines = {indent + labels, indent + ruler};
  for (const TaskExecution& t : tasks) {
    const bool on_path = critical.count(t.task_id()) > 0;
    std::string id = fmt::format("{:<{}}", t.task_id(), id_width);
    if (on_path && colour) {
      id = fmt::format("\x1b[1m{}\x1b[0m", id);
    }
    const std::string tail =
        t.phases().has_started() ? TaskDuration(t, now) : Paint(TaskWord(t), colour);
    lines.push_back(
        fmt::format("{} {}  {}  {}", on_path ? '*' : ' ', id, Bar(PhasesOf(t), axis, now), tail));
  }
  lines.push_back("");
  lines.push_back(fmt::format("{} queued  {} starting  {} running  * critical path", kQueued,
                              kStarting, kRunning));
  return lines;
}

absl::Status PrintTimeline(Context& ctx, const RunRef& ref) {
  GOFER_ASSIGN_OR_RETURN(const gofer::v1::Run run, GetRun(ctx, ref));
  GOFER_ASSIGN_OR_RETURN(const std::vector<TaskExecution> tasks, ListTasks(ctx, ref));
  if (ctx.format() != OutputFormat::kTable) {
    gofer::v1::ListTaskExecutionsResponse response;
    response.mutable_task_executions()->Assign(tasks.begin(), tasks.end());
    return PrintStructured(ctx, response);
  }
  std::set<std::string> critical;
  auto config = GetConfigVersion(ctx, ref, run.config_version());
  if (config.ok()) {
    critical = CriticalPath(tasks, config->config());
  }
  const absl::Time now = absl::Now();
  std::cout << fmt::format("run {} of '{}' (version {}): {} in {}\n\n", run.run_id(),
                           run.pipeline_id(), run.config_version(),
                           Paint(RunWord(run), ctx.colour()), RunDuration(run, now));
  for (const std::string& line :
       RenderTimeline(tasks, critical, TerminalColumns(), ctx.colour(), now)) {
    std::cout << line << '\n';
  }
  if (!config.ok()) {
    std::cout << fmt::format("(no critical path: cannot read config version {}: {})\n",
                             run.config_version(), ToStd(config.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace gofer::cli
