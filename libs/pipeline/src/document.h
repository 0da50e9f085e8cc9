// A config document on its way from text to gofer.v1.PipelineConfig: read from YAML or JSON
// into a JSON tree (yaml_to_json.cc, config_parser.cc), then checked and normalised against the
// proto schema (json_schema.cc) before protobuf's JSON parser turns it into the message.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gofer/common/validation.h"
#include "google/protobuf/descriptor.h"

namespace gofer::pipeline::internal {

// Keeps members in document order, so problems are reported in the order they were written.
using Json = nlohmann::ordered_json;

// Values in one document, counting expanded YAML aliases; past it the document is refused
// (an alias bomb must not exhaust memory). A 1 MiB config has far fewer.
inline constexpr size_t kMaxValues = 500'000;
// Nesting of mappings and lists. A config nests five deep; past it the document is refused.
inline constexpr int kMaxDepth = 32;

// The identity of a value in the tree, independent of how it is displayed: members joined by
// \x1f, list elements by \x1e and their index.
inline std::string MemberKey(const std::string& parent, std::string_view key) {
  return parent + '\x1f' + std::string(key);
}
inline std::string ElementKey(const std::string& parent, size_t index) {
  return parent + '\x1e' + std::to_string(index);
}

// A document read into a tree.
struct Document {
  Json root;
  // " (line L, column C)" of each value by its key (YAML only: JSON has no positions).
  std::map<std::string, std::string> positions;
  // Keys of members written more than once in their mapping.
  std::set<std::string> duplicates;
};

// Reads YAML. Problems with the text itself are added to `v` with field "content": a syntax
// error, several documents, too many values or too deep nesting (nullopt for these), a key that
// is not text or a merge of something other than a mapping (the rest is still read).
std::optional<Document> ReadYaml(std::string_view content, Violations& v);

// Checks `doc.root` against `message` and rewrites it into what protobuf's JSON parser accepts
// (short enum names, durations with units, YAML text for booleans and integers, null members
// removed). Adds every problem to `v` with its path in the document.
void NormalizeForProto(Document& doc, const google::protobuf::Descriptor* message, Violations& v);

}  // namespace gofer::pipeline::internal
