#include "output.h"

#include <google/protobuf/util/json_util.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "context.h"
#include "gofer/common/errors.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::cli {
namespace {

constexpr std::string_view kReset = "\x1b[0m";

// Visible width of `s`: UTF-8 code points outside ANSI escape sequences.
size_t VisibleWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') {
        ++i;
      }
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

// True when YAML would read the plain scalar `s` as something other than a string.
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) {
    return true;
  }
  static const char* const kSpecial[] = {"true", "false", "yes", "no", "on", "off", "null", "~"};
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char* word : kSpecial) {
    if (lower == word) {
      return true;
    }
  }
  return std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' ||
         s[0] == '.';
}

void EmitYaml(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(out, item);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : value) {
      EmitYaml(out, item);
    }
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    const std::string s = value.get<std::string>();
    if (s.find('\n') != std::string::npos) {
      out << YAML::Literal << s;
    } else if (NeedsQuotes(s)) {
      out << YAML::DoubleQuoted << s;
    } else {
      out << s;
    }
  } else if (value.is_boolean()) {
    out << value.get<bool>();
  } else if (value.is_number_integer()) {
    out << value.get<int64_t>();
  } else if (value.is_number()) {
    out << value.get<double>();
  } else {
    out << YAML::Null;
  }
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out, bool colour) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = VisibleWidth(headers_[c]);
    for (const auto& row : rows_) {
      widths[c] = std::max(widths[c], VisibleWidth(row[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row, bool header) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool last = c + 1 == row.size();
      std::string cell = row[c];
      const size_t pad = last ? 0 : widths[c] - VisibleWidth(cell) + 2;
      if (header && colour) {
        cell = fmt::format("\x1b[1m{}{}", cell, kReset);
      }
      line += cell + std::string(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out << line << '\n';
  };
  print_row(headers_, true);
  for (const auto& row : rows_) {
    print_row(row, false);
  }
}

std::string FormatTime(const google::protobuf::Timestamp& t, bool exact, absl::Time now) {
  if (t.seconds() == 0 && t.nanos() == 0) {
    return "-";
  }
  const absl::Time time = absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
  if (exact) {
    return absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
  }
  const absl::Duration delta = now - time;
  const absl::Duration magnitude = absl::AbsDuration(delta);
  std::string amount;
  if (magnitude < absl::Seconds(10)) {
    return "just now";
  } else if (magnitude < absl::Minutes(1)) {
    amount = fmt::format("{}s", absl::ToInt64Seconds(magnitude));
  } else if (magnitude < absl::Hours(1)) {
    amount = fmt::format("{}m", absl::ToInt64Minutes(magnitude));
  } else if (magnitude < absl::Hours(48)) {
    amount = fmt::format("{}h", absl::ToInt64Hours(magnitude));
  } else {
    amount = fmt::format("{}d", absl::ToInt64Hours(magnitude) / 24);
  }
  return delta >= absl::ZeroDuration() ? amount + " ago" : "in " + amount;
}

std::string EnumWord(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) == prefix) {
    name.remove_prefix(prefix.size());
  }
  if (name.empty() || name == "UNSPECIFIED") {
    return "-";
  }
  std::string word(name);
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return word;
}

std::string Paint(std::string_view word, bool colour) {
  if (!colour) {
    return std::string(word);
  }
  std::string_view code;
  if (word == "active" || word == "live" || word == "successful" || word == "complete") {
    code = "\x1b[32m";
  } else if (word == "pending" || word == "waiting" || word == "starting" || word == "running" ||
             word == "disabled" || word == "unreleased") {
    code = "\x1b[33m";
  } else if (word == "failed" || word == "deprecated" || word == "rolled_back") {
    code = "\x1b[31m";
  } else if (word == "cancelled" || word == "skipped") {
    code = "\x1b[90m";
  } else {
    return std::string(word);
  }
  return fmt::format("{}{}{}", code, word, kReset);
}

std::string FitWidth(std::string_view s, size_t width) {
  std::string out;
  size_t visible = 0;
  bool escaped = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      const size_t end = std::min(s.find('m', i), s.size() - 1);
      out.append(s.substr(i, end - i + 1));
      escaped = true;
      i = end;
      continue;
    }
    const bool starts_code_point = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_code_point && ++visible > width) {
      return escaped ? out + std::string(kReset) : out;
    }
    out += s[i];
  }
  return out;
}

bool StdoutIsTerminal() { return ::isatty(STDOUT_FILENO) == 1; }

// The terminal's size; 80×24 when standard output is not a terminal.
winsize TerminalSize() {
  winsize size{};
  if (!StdoutIsTerminal() || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_col == 0 ||
      size.ws_row == 0) {
    size.ws_col = 80;
    size.ws_row = 24;
  }
  return size;
}

int TerminalColumns() { return TerminalSize().ws_col; }

int TerminalRows() { return TerminalSize().ws_row; }

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
      !status.ok()) {
    return absl::InternalError(fmt::format("cannot print as JSON: {}", status.ToString()));
  }
  return json;
}

absl::StatusOr<std::string> JsonToYaml(const std::string& json) {
  const nlohmann::json value = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return absl::InvalidArgumentError("cannot convert to YAML: invalid JSON");
  }
  YAML::Emitter out;
  EmitYaml(out, value);
  return std::string(out.c_str());
}

absl::Status PrintStructured(const Context& ctx, const google::protobuf::Message& message) {
  GOFER_ASSIGN_OR_RETURN(std::string text, ToJson(message));
  if (ctx.format() == OutputFormat::kYaml) {
    GOFER_ASSIGN_OR_RETURN(text, JsonToYaml(text));
  }
  std::cout << text;
  if (text.empty() || text.back() != '\n') {
    std::cout << '\n';
  }
  return absl::OkStatus();
}

absl::Status PrintStreamed(const Context& ctx, const google::protobuf::Message& message) {
  GOFER_ASSIGN_OR_RETURN(std::string json, ToJson(message, /*pretty=*/false));
  if (ctx.format() == OutputFormat::kYaml) {
    GOFER_ASSIGN_OR_RETURN(std::string yaml, JsonToYaml(json));
    std::cout << "---\n" << yaml << '\n';
  } else {
    std::cout << json << '\n';
  }
  std::cout.flush();
  return absl::OkStatus();
}

bool Structured(const Context& ctx, const google::protobuf::Message& message,
                absl::Status* status) {
  if (ctx.format() == OutputFormat::kTable) {
    return false;
  }
  *status = PrintStructured(ctx, message);
  return true;
}

std::string DescribeError(const absl::Status& status, std::string_view api) {
  std::string message = ToStd(status.message()).empty() ? absl::StatusCodeToString(status.code())
                                                        : std::string(ToStd(status.message()));
  const std::vector<FieldViolation> violations = GetFieldViolations(status);
  std::string out;
  if (!violations.empty()) {
    // The message repeats the violations after "invalid request": print them a line each.
    constexpr std::string_view kHead = "invalid request";
    if (const size_t at = message.find(kHead); at != std::string::npos) {
      message = message.substr(0, at + kHead.size()) + ":";
    }
    out = fmt::format("gofer: {}\n", message);
    for (const FieldViolation& v : violations) {
      out += fmt::format("  {}: {}\n", v.field, v.description);
    }
    return out;
  }
  out = fmt::format("gofer: {}\n", message);
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    out +=
        "hint: get a token with `gofer token bootstrap --save` (first use of a new installation), "
        "or set GOFER_TOKEN / pass --token\n";
  } else if (status.code() == absl::StatusCode::kPermissionDenied) {
    out +=
        "hint: the token's roles do not grant this; `gofer token whoami` lists them and `gofer "
        "role get ROLE` shows what one grants\n";
  } else if (status.code() == absl::StatusCode::kUnavailable) {
    out += fmt::format(
        "hint: is the Gofer API running at {}? Set it with --api, GOFER_API or `api` in the "
        "config file\n",
        api);
  }
  return out;
}

}  // namespace gofer::cli
