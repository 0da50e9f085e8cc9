// FormatDiff: the text the CLI prints for a ConfigDiff.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_split.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/pipeline/diff.h"

namespace gofer::pipeline {
namespace {

using Json = nlohmann::ordered_json;
using gofer::v1::ConfigChange;

// Past this many cells of the longest-common-subsequence table, a changed text is shown as all
// old lines then all new lines.
constexpr size_t kMaxLineDiffCells = size_t{1} << 20;
// Unchanged lines shown around each changed line of a text.
constexpr size_t kContextLines = 3;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(ToAbsl(text), '\n');
}

// The JSON text `value` parsed; a string holding the text itself when it is not JSON.
Json Parse(const std::string& value) {
  Json j = Json::parse(value, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? Json(value) : j;
}

std::string Compact(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool IsMultiline(const Json& j) {
  return j.is_string() && j.get_ref<const std::string&>().find('\n') != std::string::npos;
}

// One line diff operation: ' ' (both), '-' (old only) or '+' (new only).
struct LineOp {
  char op;
  std::string line;
};

std::vector<LineOp> DiffLines(const std::vector<std::string>& a,
                              const std::vector<std::string>& b) {
  std::vector<LineOp> ops;
  if ((a.size() + 1) * (b.size() + 1) > kMaxLineDiffCells) {
    for (const std::string& line : a) {
      ops.push_back({'-', line});
    }
    for (const std::string& line : b) {
      ops.push_back({'+', line});
    }
    return ops;
  }
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<uint32_t>> lcs(a.size() + 1, std::vector<uint32_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ops.push_back({' ', a[i++]});
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', a[i++]});
    } else {
      ops.push_back({'+', b[j++]});
    }
  }
  return ops;
}

// Appends the line diff of two texts, unchanged lines only near a change, "    ..." for a gap.
void AppendTextDiff(const std::string& from, const std::string& to, std::string& out) {
  const std::vector<LineOp> ops = DiffLines(Lines(from), Lines(to));
  std::vector<bool> shown(ops.size(), false);
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].op != ' ') {
      const size_t first = k >= kContextLines ? k - kContextLines : 0;
      const size_t last = std::min(ops.size() - 1, k + kContextLines);
      std::fill(shown.begin() + first, shown.begin() + last + 1, true);
    }
  }
  bool gap = false;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (!shown[k]) {
      gap = true;
      continue;
    }
    if (gap) {
      out += "    ...\n";
      gap = false;
    }
    out += fmt::format("{}   {}\n", ops[k].op, ops[k].line);
  }
  if (gap) {
    out += "    ...\n";
  }
}

// Appends `value` after "<marker> <label>", multi-line strings as an indented block.
void AppendValue(char marker, const std::string& label, const Json& value, std::string_view indent,
                 std::string& out) {
  if (!IsMultiline(value)) {
    out += fmt::format("{} {}{}: {}\n", marker, indent, label, Compact(value));
    return;
  }
  out += fmt::format("{} {}{}: |\n", marker, indent, label);
  for (const std::string& line : Lines(value.get<std::string>())) {
    out += fmt::format("{} {}  {}\n", marker, indent, line);
  }
}

// An added or removed value; a whole message (a task) is listed field by field.
void AppendSide(char marker, const std::string& path, const std::string& json, std::string& out) {
  const Json value = Parse(json);
  if (!value.is_object()) {
    AppendValue(marker, path, value, "", out);
    return;
  }
  out += fmt::format("{} {}\n", marker, path);
  for (const auto& [key, member] : value.items()) {
    AppendValue(marker, key, member, "    ", out);
  }
}

void AppendChange(const ConfigChange& change, std::string& out) {
  switch (change.kind()) {
    case ConfigChange::KIND_ADDED:
      AppendSide('+', change.path(), change.to_value(), out);
      return;
    case ConfigChange::KIND_REMOVED:
      AppendSide('-', change.path(), change.from_value(), out);
      return;
    default:
      break;
  }
  const Json from = Parse(change.from_value());
  const Json to = Parse(change.to_value());
  if (IsMultiline(from) || IsMultiline(to)) {
    out += fmt::format("~ {}:\n", change.path());
    AppendTextDiff(from.is_string() ? from.get<std::string>() : Compact(from),
                   to.is_string() ? to.get<std::string>() : Compact(to), out);
    return;
  }
  out += fmt::format("~ {}: {} → {}\n", change.path(), Compact(from), Compact(to));
}

}  // namespace

std::string FormatDiff(const gofer::v1::ConfigDiff& diff) {
  std::string out;
  if (diff.to_version() != 0) {
    out += diff.from_version() == 0 ? "--- (none)\n"
                                    : fmt::format("--- version {}\n", diff.from_version());
    out += fmt::format("+++ version {}\n", diff.to_version());
  }
  if (diff.changes().empty()) {
    return out + "no changes\n";
  }
  for (const ConfigChange& change : diff.changes()) {
    AppendChange(change, out);
  }
  return out;
}

}  // namespace gofer::pipeline
