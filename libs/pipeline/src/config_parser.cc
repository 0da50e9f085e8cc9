#include "gofer/pipeline/config_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "checks.h"
#include "document.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/common/validation.h"
#include "google/protobuf/util/json_util.h"

namespace gofer::pipeline {
namespace {

using internal::Document;
using internal::Json;

// Problems reported by one parse (the same bound as validation's default).
constexpr size_t kMaxViolations = 100;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// The length of the UTF-8 sequence at s[i], or 0 when it is not valid there (truncated, an
// overlong form, a surrogate or past U+10FFFF).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t length = c < 0x80           ? 1
                        : (c >> 5) == 0x6  ? 2
                        : (c >> 4) == 0xE  ? 3
                        : (c >> 3) == 0x1E ? 4
                                           : 0;
  if (length == 0 || i + length > s.size()) {
    return 0;
  }
  uint32_t code = length == 1 ? c : c & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xC0) != 0x80) {
      return 0;
    }
    code = (code << 6) | (next & 0x3F);
  }
  constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  const bool valid =
      code >= kMinimum[length] && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
  return valid ? length : 0;
}

// The offset of the first byte that is not part of valid UTF-8, or nullopt.
std::optional<size_t> InvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t length = Utf8Length(s, i);
    if (length == 0) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

// `s` with every byte that is not valid UTF-8 replaced by U+FFFD: parser messages quote
// input cut at a byte ("last read: 'tru\xF0'") and statuses must be valid UTF-8 on the wire.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t length = Utf8Length(s, i);
    out += length == 0 ? std::string_view("\xEF\xBF\xBD") : s.substr(i, length);
    i += length == 0 ? 1 : length;
  }
  return out;
}

Format Detect(std::string_view content) {
  if (content.starts_with(kByteOrderMark)) {
    content.remove_prefix(kByteOrderMark.size());
  }
  for (char c : content) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return c == '{' || c == '[' ? Format::kJson : Format::kYaml;
    }
  }
  return Format::kYaml;
}

// Records, while nlohmann parses, members given twice in one object (the parser keeps only the
// last) and refuses nesting deeper than kMaxDepth.
class JsonTracker {
 public:
  struct TooDeep {};

  explicit JsonTracker(Document& doc) : doc_(doc) {}

  bool operator()(int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > internal::kMaxDepth) {
      throw TooDeep{};
    }
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        frames_.push_back({event == Json::parse_event_t::object_start, NextKey(), 0, {}, {}});
        break;
      case Json::parse_event_t::key: {
        Frame& frame = frames_.back();
        frame.member = parsed.get<std::string>();
        if (!frame.members.insert(frame.member).second) {
          doc_.duplicates.insert(internal::MemberKey(frame.key, frame.member));
        }
        break;
      }
      case Json::parse_event_t::value:
        NextKey();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object;
    std::string key;
    size_t next_element;
    std::string member;
    std::set<std::string> members;
  };

  // The key of the value that starts now, counting it when it is a list element.
  std::string NextKey() {
    if (frames_.empty()) {
      return "";
    }
    Frame& f = frames_.back();
    return f.object ? internal::MemberKey(f.key, f.member)
                    : internal::ElementKey(f.key, f.next_element++);
  }

  Document& doc_;
  std::vector<Frame> frames_;
};

std::optional<Document> ReadJson(std::string_view content, Violations& v) {
  Document doc;
  try {
    doc.root = Json::parse(content.begin(), content.end(), JsonTracker(doc));
  } catch (const Json::parse_error& e) {
    const std::string_view before = content.substr(0, std::min(e.byte, content.size()));
    const size_t line = std::count(before.begin(), before.end(), '\n') + 1;
    const size_t newline = before.rfind('\n');
    const size_t column =
        newline == std::string_view::npos ? before.size() : before.size() - newline - 1;
    std::string_view what = e.what();
    if (const size_t colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);  // Past "[json.exception.parse_error.101] parse error at …".
    }
    v.Add("content", fmt::format("JSON syntax error (line {}, column {}): {}", line,
                                 std::max<size_t>(column, 1), what));
    return std::nullopt;
  } catch (const Json::exception& e) {  // A number beyond double ("1e999"): out_of_range.406.
    std::string_view what = e.what();
    if (const size_t bracket = what.find("] "); bracket != std::string_view::npos) {
      what.remove_prefix(bracket + 2);
    }
    v.Add("content", fmt::format("JSON error: {}", what));
    return std::nullopt;
  } catch (const JsonTracker::TooDeep&) {
    v.Add("content", fmt::format("nests more than {} levels deep", internal::kMaxDepth));
    return std::nullopt;
  }
  return doc;
}

absl::StatusOr<gofer::v1::PipelineConfig> ToMessage(const Json& root) {
  gofer::v1::PipelineConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const std::string text = root.dump(-1, ' ', false, Json::error_handler_t::strict);
  const auto status = google::protobuf::util::JsonStringToMessage(text, &config, options);
  if (!status.ok()) {
    // NormalizeForProto checks what protobuf checks, so this is a gap in it, still the
    // author's document at fault.
    return InvalidArgumentError(
        {{"content", fmt::format("not a valid config: {}",
                                 std::string(status.message().data(), status.message().size()))}});
  }
  return config;
}

}  // namespace

absl::StatusOr<Format> ParseFormat(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(name));
  if (lower.empty() || lower == "auto") {
    return Format::kAuto;
  }
  if (lower == "yaml" || lower == "yml") {
    return Format::kYaml;
  }
  if (lower == "json") {
    return Format::kJson;
  }
  return InvalidArgumentError(
      {{"format", fmt::format("unknown format \"{}\" (expected yaml or json)", name)}});
}

absl::StatusOr<gofer::v1::PipelineConfig> ParseConfig(std::string_view content, Format format) {
  Violations v;
  if (const auto offset = InvalidUtf8(content)) {
    v.Add("content", fmt::format("is not valid UTF-8 (byte {})", *offset));
    return v.ToStatus();
  }
  if (format == Format::kAuto) {
    format = Detect(content);
  }
  std::optional<Document> doc =
      format == Format::kJson ? ReadJson(content, v) : internal::ReadYaml(content, v);
  if (doc.has_value()) {
    internal::NormalizeForProto(*doc, gofer::v1::PipelineConfig::descriptor(), v);
  }
  if (!v.empty()) {
    Violations valid;
    for (const FieldViolation& violation : v.list()) {
      valid.Add(ValidUtf8(violation.field), ValidUtf8(violation.description));
    }
    return internal::LimitedStatus(valid, kMaxViolations, "content");
  }
  try {
    return ToMessage(doc->root);
  } catch (const Json::type_error&) {  // A YAML escape that does not encode valid UTF-8.
    return InvalidArgumentError({{"content", "holds text that is not valid UTF-8"}});
  }
}

}  // namespace gofer::pipeline
