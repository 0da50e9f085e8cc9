#include "gofer/pipeline/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "gofer/pipeline/canonical.h"
#include "google/protobuf/util/time_util.h"

namespace gofer::pipeline {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using Json = nlohmann::ordered_json;
using gofer::v1::ConfigChange;

Json MessageToJson(const Message& m);

// One value of `f` (element `index` when it is repeated) in the protobuf JSON mapping.
Json ValueToJson(const Message& m, const FieldDescriptor* f, int index) {
  const auto* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f);
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
      const auto* value = f->enum_type()->FindValueByNumber(number);
      return value != nullptr ? Json(value->name()) : Json(number);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageToJson(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
  }
  return nullptr;
}

// The entries of map field `f` keyed by their key as text, which sorts them.
std::map<std::string, Json> MapEntries(const Message& m, const FieldDescriptor* f) {
  std::map<std::string, Json> entries;
  const auto* r = m.GetReflection();
  for (int i = 0; i < r->FieldSize(m, f); ++i) {
    const Message& entry = r->GetRepeatedMessage(m, f, i);
    const Json key = ValueToJson(entry, f->message_type()->map_key(), -1);
    entries[key.is_string() ? key.get<std::string>() : key.dump()] =
        ValueToJson(entry, f->message_type()->map_value(), -1);
  }
  return entries;
}

Json FieldToJson(const Message& m, const FieldDescriptor* f) {
  if (f->is_map()) {
    Json object = Json::object();
    for (auto& [key, value] : MapEntries(m, f)) {
      object[key] = std::move(value);
    }
    return object;
  }
  if (f->is_repeated()) {
    Json array = Json::array();
    for (int i = 0; i < m.GetReflection()->FieldSize(m, f); ++i) {
      array.push_back(ValueToJson(m, f, i));
    }
    return array;
  }
  return ValueToJson(m, f, -1);
}

// `m` in the protobuf JSON mapping with proto field names: set fields in field-number order.
Json MessageToJson(const Message& m) {
  if (m.GetDescriptor()->full_name() == "google.protobuf.Duration") {
    return google::protobuf::util::TimeUtil::ToString(
        static_cast<const google::protobuf::Duration&>(m));
  }
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);  // Sorted by field number.
  Json object = Json::object();
  for (const FieldDescriptor* f : fields) {
    object[f->name()] = FieldToJson(m, f);
  }
  return object;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

class Differ {
 public:
  explicit Differ(gofer::v1::ConfigDiff* out) : out_(out) {}

  void Messages(const Message& a, const Message& b, const std::string& prefix) {
    const Descriptor* d = a.GetDescriptor();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      const std::string path = prefix.empty() ? f->name() : fmt::format("{}.{}", prefix, f->name());
      if (f->is_map()) {
        Maps(MapEntries(a, f), MapEntries(b, f), path);
      } else if (IsKeyedList(f)) {
        Tasks(a, b, f, path);
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() &&
                 f->message_type()->full_name() != "google.protobuf.Duration") {
        const auto* r = a.GetReflection();
        Messages(r->GetMessage(a, f), r->GetMessage(b, f), path);
      } else {
        Values(Present(a, f) ? Dump(FieldToJson(a, f)) : "",
               Present(b, f) ? Dump(FieldToJson(b, f)) : "", path);
      }
    }
  }

 private:
  // A list of messages with an "id" (tasks): diffed by id, not by position.
  static bool IsKeyedList(const FieldDescriptor* f) {
    return f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
           f->message_type()->FindFieldByName("id") != nullptr;
  }

  static bool Present(const Message& m, const FieldDescriptor* f) {
    return f->is_repeated() ? m.GetReflection()->FieldSize(m, f) > 0
                            : m.GetReflection()->HasField(m, f);
  }

  // By id; a duplicate id counts once (its first element).
  static std::map<std::string, const Message*> ById(const Message& m, const FieldDescriptor* f) {
    std::map<std::string, const Message*> out;
    const auto* r = m.GetReflection();
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      const Message& element = r->GetRepeatedMessage(m, f, i);
      const auto* id = element.GetDescriptor()->FindFieldByName("id");
      out.emplace(element.GetReflection()->GetString(element, id), &element);
    }
    return out;
  }

  void Tasks(const Message& a, const Message& b, const FieldDescriptor* f,
             const std::string& path) {
    const auto from = ById(a, f);
    const auto to = ById(b, f);
    std::vector<std::string> ids;
    for (const auto* side : {&from, &to}) {
      for (const auto& [id, message] : *side) {
        ids.push_back(id);
      }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const std::string& id : ids) {
      const std::string element = fmt::format("{}[{}]", path, id);
      const auto in_from = from.find(id);
      const auto in_to = to.find(id);
      if (in_from != from.end() && in_to != to.end()) {
        Messages(*in_from->second, *in_to->second, element);
      } else {
        Values(in_from != from.end() ? Dump(MessageToJson(*in_from->second)) : "",
               in_to != to.end() ? Dump(MessageToJson(*in_to->second)) : "", element);
      }
    }
  }

  void Maps(const std::map<std::string, Json>& a, const std::map<std::string, Json>& b,
            const std::string& path) {
    auto i = a.begin();
    auto j = b.begin();
    while (i != a.end() || j != b.end()) {
      const bool take_a = j == b.end() || (i != a.end() && i->first <= j->first);
      const bool take_b = i == a.end() || (j != b.end() && j->first <= i->first);
      const std::string& key = take_a ? i->first : j->first;
      Values(take_a ? Dump(i->second) : "", take_b ? Dump(j->second) : "",
             fmt::format("{}[{}]", path, key));
      i = take_a ? std::next(i) : i;
      j = take_b ? std::next(j) : j;
    }
  }

  // Records a change when the JSON texts differ ("" = absent).
  void Values(std::string from, std::string to, const std::string& path) {
    if (from == to) {
      return;
    }
    ConfigChange* change = out_->add_changes();
    change->set_kind(from.empty() ? ConfigChange::KIND_ADDED
                     : to.empty() ? ConfigChange::KIND_REMOVED
                                  : ConfigChange::KIND_CHANGED);
    change->set_path(path);
    change->set_from_value(std::move(from));
    change->set_to_value(std::move(to));
  }

  gofer::v1::ConfigDiff* out_;
};

}  // namespace

gofer::v1::ConfigDiff DiffConfigs(const gofer::v1::PipelineConfig& from,
                                  const gofer::v1::PipelineConfig& to) {
  gofer::v1::ConfigDiff diff;
  Differ(&diff).Messages(Canonicalize(from), Canonicalize(to), "");
  return diff;
}

}  // namespace gofer::pipeline
