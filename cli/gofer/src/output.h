// Printing for `gofer`: aligned tables and humanised times for people, JSON and YAML for
// scripts, colours only on a terminal, and errors in plain words.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gofer::cli {

class Context;

// Rows under a header, printed with each column padded to its widest cell (ANSI colour codes
// do not count towards the width). Not thread-safe.
class Table {
 public:
  // A table with these column headers.
  explicit Table(std::vector<std::string> headers);

  // Appends a row; missing cells print empty, extra cells are ignored.
  void AddRow(std::vector<std::string> cells);

  // Writes the header (bold when `colour`) and the rows, two spaces between columns.
  void Print(std::ostream& out, bool colour) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// `t` for people relative to `now` ("just now", "3m ago", "2d ago", "in 5h"), or RFC 3339 when
// `exact`. An unset timestamp (zero) is "-".
std::string FormatTime(const google::protobuf::Timestamp& t, bool exact,
                       absl::Time now = absl::Now());

// The lowercase word of an enum value name without its prefix:
// EnumWord("PIPELINE_STATE_ACTIVE", "PIPELINE_STATE_") == "active"; "_UNSPECIFIED" is "-".
std::string EnumWord(std::string_view name, std::string_view prefix);

// `word` coloured by meaning when `colour` (green: active, live, successful, complete; yellow:
// pending, waiting, starting, running, disabled, unreleased; red: failed, deprecated,
// rolled_back; grey: cancelled, skipped), otherwise unchanged.
std::string Paint(std::string_view word, bool colour);

// `s` cut to at most `width` visible columns (ANSI colour codes do not count and are kept; a cut
// coloured line ends with a reset).
std::string FitWidth(std::string_view s, size_t width);

// True when standard output is a terminal.
bool StdoutIsTerminal();

// The terminal's width in columns; 80 when standard output is not a terminal.
int TerminalColumns();

// The terminal's height in lines; 24 when standard output is not a terminal.
int TerminalRows();

// `message` in the protobuf JSON mapping with proto field names, every field printed (defaults
// included), indented when `pretty`. Fails with INTERNAL when the message cannot be converted.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message, bool pretty = true);

// The same document as YAML (block style; multi-line strings as literal blocks; strings that
// would read as another type quoted). INVALID_ARGUMENT when `json` does not parse.
absl::StatusOr<std::string> JsonToYaml(const std::string& json);

// Prints `message` as JSON or YAML per `ctx.format()`, one document ending in a newline.
// Must not be called for OutputFormat::kTable.
absl::Status PrintStructured(const Context& ctx, const google::protobuf::Message& message);

// Prints one item of a stream as JSON or YAML per `ctx.format()`: a compact JSON line, or a
// YAML document after "---". Flushes, so a follower reads items as they come. Must not be
// called for OutputFormat::kTable.
absl::Status PrintStreamed(const Context& ctx, const google::protobuf::Message& message);

// True when `ctx` asks for JSON or YAML; then `message` is printed and `*status` holds the
// result. Lets commands write `if (Structured(ctx, msg, &st)) return st;`.
bool Structured(const Context& ctx, const google::protobuf::Message& message, absl::Status* status);

// What `gofer` prints for a failed command, one or more lines each ending in '\n':
// "gofer: <message>", then for INVALID_ARGUMENT one "  <field>: <why>" line per
// google.rpc.BadRequest violation, and for UNAUTHENTICATED / PERMISSION_DENIED / UNAVAILABLE a
// hint on what to do. `api` is the address that was called.
std::string DescribeError(const absl::Status& status, std::string_view api);

}  // namespace gofer::cli
