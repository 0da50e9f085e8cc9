// YAML → JSON tree. yaml-cpp's headers are costly, so only this file includes them.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <vector>

#include "document.h"

namespace gofer::pipeline::internal {
namespace {

constexpr std::string_view kMergeKey = "<<";

std::string Position(const YAML::Mark& mark) {
  if (mark.line < 0) {
    return "";
  }
  return fmt::format(" (line {}, column {})", mark.line + 1, mark.column + 1);
}

// Converts one YAML node. Every plain scalar becomes a JSON string: NormalizeForProto gives it
// the type its field needs, so "0123" stays text in a string field.
class Converter {
 public:
  Converter(Document& doc, Violations& v) : doc_(doc), v_(v) {}

  // False after recording why the document is refused (too many values or too deep).
  bool Convert(const YAML::Node& node, const std::string& key, int depth, Json& out) {
    if (++values_ > kMaxValues || depth > kMaxDepth) {
      error_ =
          values_ > kMaxValues
              ? fmt::format("has more than {} values (counting expanded aliases)", kMaxValues)
              : fmt::format("nests more than {} levels deep{}", kMaxDepth, Position(node.Mark()));
      return false;
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        out = node.Scalar();
        return true;
      case YAML::NodeType::Sequence: {
        out = Json::array();
        for (size_t i = 0; i < node.size(); ++i) {
          const std::string element = ElementKey(key, i);
          doc_.positions.emplace(element, Position(node[i].Mark()));
          if (!Convert(node[i], element, depth + 1, out.emplace_back())) {
            return false;
          }
        }
        return true;
      }
      case YAML::NodeType::Map:
        out = Json::object();
        return Mapping(node, key, depth, out);
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out = nullptr;
        return true;
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  // A mapping's own members first, then those of its merge keys (`<<: *base` or a list of
  // them), which never replace a member already present.
  bool Mapping(const YAML::Node& node, const std::string& key, int depth, Json& out) {
    std::vector<YAML::Node> merges;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        v_.Add("content",
               fmt::format("a mapping key must be text{}", Position(entry.first.Mark())));
        continue;
      }
      const std::string& name = entry.first.Scalar();
      if (name == kMergeKey && entry.first.Tag() != "!") {
        merges.push_back(entry.second);
        continue;
      }
      const std::string member = MemberKey(key, name);
      if (out.contains(name)) {
        doc_.duplicates.insert(member);
        continue;
      }
      doc_.positions.emplace(member, Position(entry.first.Mark()));
      if (!Convert(entry.second, member, depth + 1, out[name])) {
        return false;
      }
    }
    for (const YAML::Node& merge : merges) {
      if (!Merge(merge, key, depth, out)) {
        return false;
      }
    }
    return true;
  }

  bool Merge(const YAML::Node& merge, const std::string& key, int depth, Json& out) {
    if (merge.IsSequence()) {
      for (const YAML::Node& item : merge) {
        if (!Merge(item, key, depth, out)) {
          return false;
        }
      }
      return true;
    }
    Json merged;
    if (!Convert(merge, key, depth, merged)) {
      return false;
    }
    if (!merged.is_object()) {
      v_.Add("content",
             fmt::format("a merge key (<<) must refer to a mapping{}", Position(merge.Mark())));
      return true;
    }
    for (auto& [name, value] : merged.items()) {
      if (!out.contains(name)) {
        out[name] = std::move(value);
      }
    }
    return true;
  }

  Document& doc_;
  Violations& v_;
  size_t values_ = 0;
  std::string error_;
};

// Counts the documents of a stream without building them, and notices when yaml-cpp 0.7 stops
// making progress: on some invalid input (a document starting with ',') its LoadAll emits empty
// documents forever (jbeder/yaml-cpp#1040, fixed upstream after 0.8 by #1319).
class DocumentCounter : public YAML::EventHandler {
 public:
  // The number of documents, at most 3, or the position where parsing got stuck. Three, not
  // two: a stuck parser may first emit one document that consumed a token (an anchor).
  struct Result {
    int documents = 0;
    std::optional<YAML::Mark> stuck;
  };

  static Result Count(const std::string& content) {
    std::stringstream input(content);
    YAML::Parser parser(input);
    DocumentCounter counter;
    Result result;
    while (result.documents < 3 && parser.HandleNextDocument(counter)) {
      if (counter.stuck_) {
        result.stuck = counter.start_;
        return result;
      }
      ++result.documents;
    }
    return result;
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // A document that starts where the previous one started or ended in an empty value has
    // consumed nothing: the parser is looping on a token it cannot handle.
    stuck_ = seen_ && (mark.pos == start_.pos || mark.pos == last_null_.pos);
    seen_ = true;
    start_ = mark;
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { last_null_ = mark; }
  void OnDocumentEnd() override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  bool seen_ = false;
  bool stuck_ = false;
  YAML::Mark start_ = YAML::Mark::null_mark();
  YAML::Mark last_null_ = YAML::Mark::null_mark();
};

}  // namespace

std::optional<Document> ReadYaml(std::string_view content, Violations& v) {
  const std::string text(content);
  YAML::Node root;
  try {
    const DocumentCounter::Result count = DocumentCounter::Count(text);
    if (count.stuck.has_value()) {
      v.Add("content",
            fmt::format("YAML syntax error{}: unexpected character", Position(*count.stuck)));
      return std::nullopt;
    }
    if (count.documents > 1) {
      v.Add("content", "holds more than one YAML document; a config is one document");
      return std::nullopt;
    }
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    v.Add("content", fmt::format("YAML syntax error{}: {}", Position(e.mark), e.msg));
    return std::nullopt;
  }
  Document doc;
  Converter converter(doc, v);
  if (!converter.Convert(root, "", 0, doc.root)) {
    v.Add("content", converter.error());
    return std::nullopt;
  }
  return doc;
}

}  // namespace gofer::pipeline::internal
