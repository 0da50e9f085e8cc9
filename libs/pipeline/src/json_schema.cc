// NormalizeForProto: checks a document tree against the proto schema, the way protobuf's JSON
// parser would but reporting every problem with its path (and line in YAML), and rewrites the
// conveniences Gofer accepts into the protobuf JSON mapping.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "document.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::pipeline::internal {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// The most seconds a google.protobuf.Duration holds (10,000 years).
constexpr int64_t kMaxDurationSeconds = 315'576'000'000;

// A value's place: as shown to the author, and as keyed in Document.
struct Location {
  std::string shown;
  std::string key;
};

Location Member(const Location& at, const std::string& name, bool map_entry) {
  std::string shown = map_entry          ? fmt::format("{}[{}]", at.shown, name)
                      : at.shown.empty() ? name
                                         : fmt::format("{}.{}", at.shown, name);
  return {std::move(shown), MemberKey(at.key, name)};
}

Location Element(const Location& at, size_t i) {
  return {fmt::format("{}[{}]", at.shown, i), ElementKey(at.key, i)};
}

// Edit distance, for "did you mean" hints on unknown fields.
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t next =
          std::min({row[j] + 1, row[j - 1] + 1,
                    diagonal + (absl::ascii_tolower(a[i - 1]) != absl::ascii_tolower(b[j - 1]))});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

const FieldDescriptor* FindField(const Descriptor* d, const std::string& name) {
  if (const FieldDescriptor* f = d->FindFieldByName(name)) {
    return f;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == name) {
      return d->field(i);
    }
  }
  return nullptr;
}

// "; did you mean \"image\"?" when a field's name is close to `name`.
std::string Suggestion(const Descriptor* d, const std::string& name) {
  for (int i = 0; i < d->field_count(); ++i) {
    if (name.size() > 2 && Distance(name, d->field(i)->name()) <= 2) {
      return fmt::format("; did you mean \"{}\"?", d->field(i)->name());
    }
  }
  return "";
}

// "DEPENDENCY_CONDITION_" for DependencyCondition: its zero value's name without "UNSPECIFIED".
std::string EnumPrefix(const EnumDescriptor* e) {
  const std::string& zero = e->value(0)->name();
  const std::string_view suffix = "UNSPECIFIED";
  return zero.ends_with(suffix) ? zero.substr(0, zero.size() - suffix.size()) : "";
}

std::string ShortNames(const EnumDescriptor* e) {
  const std::string prefix = EnumPrefix(e);
  std::vector<std::string> names;
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() != 0) {
      names.push_back(absl::AsciiStrToLower(e->value(i)->name().substr(prefix.size())));
    }
  }
  return absl::StrJoin(names, ", ");
}

class Normalizer {
 public:
  Normalizer(const Document& doc, Violations& v) : doc_(doc), v_(v) {}

  void Message(Json& object, const Descriptor* d, const Location& at) {
    if (!object.is_object()) {
      Add(at, "expected a mapping of fields");
      return;
    }
    std::map<int, std::string> seen;
    std::vector<std::string> nulls;
    for (auto& [name, value] : object.items()) {
      const Location member = Member(at, name, false);
      if (doc_.duplicates.contains(member.key)) {
        Add(member, "is given more than once");
      }
      const FieldDescriptor* f = FindField(d, name);
      if (f == nullptr) {
        Add(member, "unknown field", Suggestion(d, name));
      } else if (const auto [it, added] = seen.emplace(f->number(), name); !added) {
        Add(member, fmt::format("is the same field as \"{}\"", it->second));
      } else if (value.is_null()) {
        nulls.push_back(name);  // null means "not set" in the protobuf JSON mapping.
      } else {
        Field(value, f, member);
      }
    }
    for (const std::string& name : nulls) {
      object.erase(name);
    }
  }

 private:
  // Records a violation: `description`, the position in YAML, then `hint`.
  void Add(const Location& at, std::string_view description, std::string_view hint = "") {
    const auto position = doc_.positions.find(at.key);
    v_.Add(at.shown, fmt::format("{}{}{}", description,
                                 position == doc_.positions.end() ? "" : position->second, hint));
  }

  void Field(Json& value, const FieldDescriptor* f, const Location& at) {
    if (f->is_map()) {
      if (!value.is_object()) {
        Add(at, "expected a mapping");
        return;
      }
      for (auto& [key, entry] : value.items()) {
        const Location member = Member(at, key, true);
        if (doc_.duplicates.contains(member.key)) {
          Add(member, "is given more than once");
        }
        if (entry.is_null()) {
          Add(member, "a value is required (\"\" for an empty one)");
        } else {
          Single(entry, f->message_type()->map_value(), member);
        }
      }
    } else if (f->is_repeated()) {
      if (!value.is_array()) {
        Add(at, "expected a list");
        return;
      }
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i].is_null()) {
          Add(Element(at, i), "a list element cannot be null");
        } else {
          Single(value[i], f, Element(at, i));
        }
      }
    } else {
      Single(value, f, at);
    }
  }

  void Single(Json& value, const FieldDescriptor* f, const Location& at) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        if (!value.is_string()) {
          Add(at, "expected text (quote it)");
        }
        return;
      case FieldDescriptor::CPPTYPE_BOOL:
        return Bool(value, at);
      case FieldDescriptor::CPPTYPE_INT32:
        return Integer(value, std::numeric_limits<int32_t>::min(),
                       std::numeric_limits<int32_t>::max(), at);
      case FieldDescriptor::CPPTYPE_INT64:
        return Integer(value, std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max(), at);
      case FieldDescriptor::CPPTYPE_ENUM:
        return Enum(value, f->enum_type(), at);
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (f->message_type()->full_name() == "google.protobuf.Duration") {
          return Duration(value, at);
        }
        return Message(value, f->message_type(), at);
      default:
        return;  // No other types in the config; protobuf's parser checks them.
    }
  }

  void Bool(Json& value, const Location& at) {
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (text == "true" || text == "True" || text == "TRUE") {
        value = true;
      } else if (text == "false" || text == "False" || text == "FALSE") {
        value = false;
      }
    }
    if (!value.is_boolean()) {
      Add(at, "expected true or false");
    }
  }

  void Integer(Json& value, int64_t min, int64_t max, const Location& at) {
    int64_t number = 0;
    if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
      return Add(at, fmt::format("must be between {} and {}", min, max));
    }
    if (value.is_number_integer()) {
      number = value.get<int64_t>();
    } else if (!value.is_string() ||
               !absl::SimpleAtoi(ToAbsl(value.get_ref<const std::string&>()), &number)) {
      return Add(at, "expected a whole number");
    }
    if (number < min || number > max) {
      return Add(at, fmt::format("must be between {} and {}", min, max));
    }
    value = number;
  }

  void Enum(Json& value, const EnumDescriptor* e, const Location& at) {
    if (value.is_number_integer()) {
      const int64_t number = value.get<int64_t>();
      if (number >= std::numeric_limits<int>::min() && number <= std::numeric_limits<int>::max() &&
          e->FindValueByNumber(static_cast<int>(number)) != nullptr) {
        return;
      }
    }
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (e->FindValueByName(text) != nullptr) {
        return;
      }
      const std::string full = EnumPrefix(e) + absl::AsciiStrToUpper(text);
      const auto* match = e->FindValueByName(full);
      if (match != nullptr && match->number() != 0 && !EnumPrefix(e).empty()) {
        value = full;
        return;
      }
    }
    Add(at, fmt::format("unknown value {} (expected {})", value.dump(), ShortNames(e)));
  }

  void Duration(Json& value, const Location& at) {
    absl::Duration d;
    if (!value.is_string() ||
        !absl::ParseDuration(ToAbsl(value.get_ref<const std::string&>()), &d)) {
      return Add(at, "expected a duration such as \"30s\", \"10m\" or \"1h30m\"");
    }
    if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration() ||
        absl::AbsDuration(d) > absl::Seconds(kMaxDurationSeconds)) {
      return Add(at, "is out of range");
    }
    const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
    const int64_t nanos = absl::ToInt64Nanoseconds(d);
    // The protobuf JSON form: seconds with 0, 3, 6 or 9 fractional digits, then "s".
    std::string text = fmt::format("{}{}.{:09d}", seconds < 0 || nanos < 0 ? "-" : "",
                                   seconds < 0 ? -seconds : seconds, nanos < 0 ? -nanos : nanos);
    while (text.ends_with("000")) {
      text.resize(text.size() - 3);
    }
    if (text.ends_with('.')) {
      text.pop_back();
    }
    value = text + "s";
  }

  const Document& doc_;
  Violations& v_;
};

}  // namespace

void NormalizeForProto(Document& doc, const Descriptor* message, Violations& v) {
  if (!doc.root.is_object()) {
    v.Add("content", doc.root.is_null() ? "the document is empty"
                                        : "must be a mapping of pipeline config fields");
    return;
  }
  Normalizer(doc, v).Message(doc.root, message, Location{});
}

}  // namespace gofer::pipeline::internal
