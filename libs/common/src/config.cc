#include "gofer/common/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gofer/common/errors.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer::config {
namespace {

std::string EnvPrefix(std::string_view service) {
  std::string prefix = "GOFER_";
  for (char c : service) {
    prefix.push_back(c == '-' ? '_' : static_cast<char>(absl::ascii_toupper(c)));
  }
  prefix.push_back('_');
  return prefix;
}

std::string Quote(std::string_view s) { return fmt::format("\"{}\"", s); }

}  // namespace

Schema::Schema(std::string service)
    : service_(std::move(service)), env_prefix_(EnvPrefix(service_)) {}

Schema& Schema::Add(Field field) {
  fields_.push_back(std::move(field));
  return *this;
}

const Schema::Field* Schema::Find(std::string_view key) const {
  for (const Field& f : fields_) {
    if (f.key == key) {
      return &f;
    }
  }
  return nullptr;
}

Schema& Schema::String(std::string key, std::string* out, StringOptions options) {
  auto one_of = options.one_of;
  std::string description = options.description;
  if (!one_of.empty()) {
    absl::StrAppend(&description, " One of: ", absl::StrJoin(one_of, ", "), ".");
  }
  FieldOptions base{description, options.default_value, options.required, options.secret};
  return Add({std::move(key), "string", std::move(base),
              [out, one_of](const std::string& raw) -> absl::Status {
                if (!one_of.empty() &&
                    std::find(one_of.begin(), one_of.end(), raw) == one_of.end()) {
                  return absl::InvalidArgumentError(absl::StrCat(
                      "must be one of ", absl::StrJoin(one_of, ", "), ", got ", Quote(raw)));
                }
                *out = raw;
                return absl::OkStatus();
              },
              [out] { return *out; }});
}

Schema& Schema::Int(std::string key, int64_t* out, IntOptions options) {
  const int64_t min = options.min;
  const int64_t max = options.max;
  FieldOptions base{options.description, options.default_value, options.required, options.secret};
  return Add({std::move(key), "int", std::move(base),
              [out, min, max](const std::string& raw) -> absl::Status {
                int64_t value = 0;
                if (!absl::SimpleAtoi(ToAbsl(raw), &value)) {
                  return absl::InvalidArgumentError(
                      absl::StrCat("expected an integer, got ", Quote(raw)));
                }
                if (value < min || value > max) {
                  return absl::InvalidArgumentError(
                      absl::StrCat("must be in [", min, ", ", max, "], got ", value));
                }
                *out = value;
                return absl::OkStatus();
              },
              [out] { return absl::StrCat(*out); }});
}

Schema& Schema::Bool(std::string key, bool* out, FieldOptions options) {
  return Add({std::move(key), "bool", options,
              [out](const std::string& raw) -> absl::Status {
                bool value = false;
                if (!absl::SimpleAtob(ToAbsl(raw), &value)) {
                  return absl::InvalidArgumentError(
                      absl::StrCat("expected true or false, got ", Quote(raw)));
                }
                *out = value;
                return absl::OkStatus();
              },
              [out] { return *out ? std::string("true") : std::string("false"); }});
}

Schema& Schema::Duration(std::string key, absl::Duration* out, DurationOptions options) {
  const absl::Duration min = options.min;
  const absl::Duration max = options.max;
  FieldOptions base{options.description, options.default_value, options.required, options.secret};
  return Add({std::move(key), "duration", std::move(base),
              [out, min, max](const std::string& raw) -> absl::Status {
                absl::Duration value;
                if (!absl::ParseDuration(ToAbsl(raw), &value)) {
                  return absl::InvalidArgumentError(absl::StrCat(
                      "expected a duration such as 250ms, 10s or 1h30m, got ", Quote(raw)));
                }
                if (value < min || value > max) {
                  return absl::InvalidArgumentError(absl::StrCat(
                      "must be in [", absl::FormatDuration(min), ", ", absl::FormatDuration(max),
                      "], got ", absl::FormatDuration(value)));
                }
                *out = value;
                return absl::OkStatus();
              },
              [out] { return absl::FormatDuration(*out); }});
}

Schema& Schema::StringList(std::string key, std::vector<std::string>* out, FieldOptions options) {
  return Add({std::move(key), "list", options,
              [out](const std::string& raw) -> absl::Status {
                out->clear();
                for (absl::string_view item :
                     absl::StrSplit(ToAbsl(raw), ',', absl::SkipWhitespace())) {
                  out->emplace_back(absl::StripAsciiWhitespace(item));
                }
                return absl::OkStatus();
              },
              [out] { return absl::StrJoin(*out, ","); }});
}

std::string Schema::EnvName(std::string_view key) const {
  std::string name = env_prefix_;
  for (char c : key) {
    name.push_back(c == '.' || c == '-' ? '_' : static_cast<char>(absl::ascii_toupper(c)));
  }
  return name;
}

absl::Status Schema::Load(const Source& source) {
  std::vector<FieldViolation> violations;
  std::map<std::string, std::string> file_values;
  if (!source.file.empty()) {
    auto read = ReadYamlFile(source.file);
    if (!read.ok()) {
      return InvalidArgumentError({{"config_file", std::string(read.status().message())}});
    }
    file_values = *std::move(read);
  }
  // Unknown keys, in the file and in our own environment prefix.
  for (const auto& [key, value] : file_values) {
    absl::string_view base = key;
    const bool is_file_ref = absl::ConsumeSuffix(&base, "_file");
    const Field* f = Find(key);
    if (f == nullptr &&
        !(is_file_ref && Find(ToStd(base)) != nullptr && Find(ToStd(base))->options.secret)) {
      violations.push_back({key, absl::StrCat("unknown key in ", source.file)});
    }
  }
  for (const auto& [name, value] : source.env) {
    if (name.rfind(env_prefix_, 0) != 0) {
      continue;
    }
    bool known = false;
    for (const Field& f : fields_) {
      const std::string env = EnvName(f.key);
      known = known || name == env || (f.options.secret && name == env + "_FILE");
    }
    if (!known) {
      violations.push_back({name, "unknown environment variable (see --help for the keys)"});
    }
  }
  for (const Field& f : fields_) {
    std::optional<std::string> raw;
    std::string origin = "default";
    if (!f.options.default_value.empty()) {
      raw = f.options.default_value;
    }
    bool file_error = false;
    auto take_file = [&](const std::string& path, const std::string& from) {
      auto value = ReadSecretFile(path);
      if (!value.ok()) {
        file_error = true;
        violations.push_back({f.key, absl::StrCat(from, ": ", value.status().message())});
        return;
      }
      raw = *std::move(value);
      origin = from;
    };
    if (auto it = file_values.find(f.key); it != file_values.end()) {
      raw = it->second;
      origin = source.file;
    }
    if (auto it = file_values.find(f.key + "_file"); f.options.secret && it != file_values.end()) {
      take_file(it->second, absl::StrCat(source.file, " (", f.key, "_file)"));
    }
    const std::string env = EnvName(f.key);
    if (auto it = source.env.find(env); it != source.env.end()) {
      raw = it->second;
      origin = env;
    }
    if (auto it = source.env.find(env + "_FILE"); f.options.secret && it != source.env.end()) {
      take_file(it->second, env + "_FILE");
    }
    if (file_error) {
      continue;  // Already reported; "is required" on top would be noise.
    }
    if (!raw.has_value() || (raw->empty() && f.options.required)) {
      if (f.options.required) {
        violations.push_back(
            {f.key, absl::StrCat("is required (set it in the config file or ", env, ")")});
      }
      continue;
    }
    if (absl::Status s = f.assign(*raw); !s.ok()) {
      // Never echo a secret's value back, even when it does not parse.
      std::string why = f.options.secret ? std::string("invalid value") : std::string(s.message());
      violations.push_back({f.key, absl::StrCat(why, " (from ", origin, ")")});
    }
  }
  if (violations.empty()) {
    return absl::OkStatus();
  }
  return InvalidArgumentError(std::move(violations));
}

std::string Schema::Describe() const {
  std::vector<std::string> parts;
  parts.reserve(fields_.size());
  for (const Field& f : fields_) {
    parts.push_back(absl::StrCat(f.key, "=", f.options.secret ? "<redacted>" : f.show()));
  }
  return absl::StrJoin(parts, " ");
}

std::string Schema::HelpText() const {
  std::string out = absl::StrCat("Configuration keys (file key / environment variable):\n");
  for (const Field& f : fields_) {
    absl::StrAppend(&out, "  ", f.key, " / ", EnvName(f.key), "  [", f.kind);
    if (f.options.required) {
      absl::StrAppend(&out, ", required");
    }
    if (!f.options.default_value.empty()) {
      absl::StrAppend(&out, ", default ", f.options.default_value);
    }
    if (f.options.secret) {
      absl::StrAppend(&out, ", secret; or ", EnvName(f.key), "_FILE");
    }
    absl::StrAppend(&out, "]\n      ", f.options.description, "\n");
  }
  return out;
}

std::string Schema::MarkdownReference() const {
  std::string out =
      absl::StrCat("## ", service_, "\n\n",
                   "| key | environment variable | type | default | required | description |\n",
                   "|---|---|---|---|---|---|\n");
  for (const Field& f : fields_) {
    std::string description = f.options.description;
    if (f.options.secret) {
      absl::StrAppend(&description, " Secret: never logged; may be read from the file named by `",
                      EnvName(f.key), "_FILE` or `", f.key, "_file`.");
    }
    absl::StrAppend(
        &out, "| `", f.key, "` | `", EnvName(f.key), "` | ", f.kind, " | ",
        f.options.default_value.empty() ? "" : absl::StrCat("`", f.options.default_value, "`"),
        " | ", f.options.required ? "yes" : "no", " | ", description, " |\n");
  }
  return out;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string value = buffer.str();
  if (!value.empty() && value.back() == '\n') {
    value.pop_back();
  }
  return value;
}

}  // namespace gofer::config
