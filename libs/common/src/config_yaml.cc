// YAML reading lives in its own translation unit so only it pays for yaml-cpp's headers.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gofer/common/config.h"

namespace gofer::config {
namespace {

absl::Status Flatten(const YAML::Node& node, const std::string& prefix,
                     std::map<std::string, std::string>* out) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      for (const auto& entry : node) {
        const std::string key = entry.first.as<std::string>();
        absl::Status s =
            Flatten(entry.second, prefix.empty() ? key : absl::StrCat(prefix, ".", key), out);
        if (!s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    case YAML::NodeType::Sequence: {
      std::vector<std::string> items;
      for (const auto& item : node) {
        if (!item.IsScalar()) {
          return absl::InvalidArgumentError(absl::StrCat(prefix, ": list items must be scalars"));
        }
        items.push_back(item.as<std::string>());
      }
      (*out)[prefix] = absl::StrJoin(items, ",");
      return absl::OkStatus();
    }
    case YAML::NodeType::Scalar:
      (*out)[prefix] = node.as<std::string>();
      return absl::OkStatus();
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      (*out)[prefix] = "";
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ReadYamlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, ": cannot be read"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::map<std::string, std::string> out;
  try {
    const YAML::Node root = YAML::Load(buffer.str());
    if (root.IsNull()) {
      return out;
    }
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat("config file ", path, ": must be a mapping"));
    }
    absl::Status s = Flatten(root, "", &out);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config file ", path, ": ", s.message()));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, ": ", e.what()));
  }
  return out;
}

}  // namespace gofer::config
