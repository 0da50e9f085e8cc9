// Typed service configuration from a YAML file and GOFER_<SERVICE>_* environment variables.
//
// A service declares its keys once, binding each to a member of its config struct:
//
//   config::Schema schema("run-queue");
//   schema.String("listen_address", &c.listen_address, {.description = "...",
//                                                         .default_value = "127.0.0.1:7003"});
//   schema.Duration("lease.ttl", &c.lease_ttl, {.default_value = "10s"});
//   schema.String("postgres.dsn", &c.postgres_dsn, {.required = true, .secret = true});
//   absl::Status s = schema.Load({.file = "/etc/gofer/run-queue.yaml", .env = env});
//
// Precedence: default < file < environment. Key "lease.ttl" is `lease: {ttl: 10s}` in the file
// and GOFER_RUN_QUEUE_LEASE_TTL in the environment. A secret key may instead be read from a
// file named by "<key>_file" / GOFER_..._FILE (how Kubernetes mounts secrets). Unknown file
// keys and unknown GOFER_<SERVICE>_* variables are errors (they are almost always typos).
// Every problem is reported at once, as INVALID_ARGUMENT with one violation per key.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gofer::config {

// Options shared by every key.
struct FieldOptions {
  // One sentence for --help and docs/configuration.md.
  std::string description;
  // Textual default, parsed like any other value. Empty means "no default".
  std::string default_value;
  // Loading fails when a required key has no value from any source.
  bool required = false;
  // Secret values are never printed (Describe() shows "<redacted>").
  bool secret = false;
};

// Options for integer keys. (Each kind's options repeat the common fields rather than
// inheriting them, so designated initialisers can name every field.)
struct IntOptions {
  std::string description;
  std::string default_value;
  bool required = false;
  bool secret = false;
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
};

// Options for string keys.
struct StringOptions {
  std::string description;
  std::string default_value;
  bool required = false;
  bool secret = false;
  // When not empty, the value must be one of these.
  std::vector<std::string> one_of;
};

// Options for duration keys ("250ms", "10s", "1h30m").
struct DurationOptions {
  std::string description;
  std::string default_value;
  bool required = false;
  bool secret = false;
  absl::Duration min = absl::ZeroDuration();
  absl::Duration max = absl::InfiniteDuration();
};

// Where Load() reads values from.
struct Source {
  // Path of a YAML file; empty means "no file".
  std::string file;
  // The process environment (main passes it; libraries never read the environment).
  std::map<std::string, std::string> env;
};

// The declared keys of one service. Not thread-safe; build and load it in main.
class Schema {
 public:
  // `service` is the binary's service name ("run-queue"); it gives the env prefix
  // GOFER_RUN_QUEUE_.
  explicit Schema(std::string service);

  Schema& String(std::string key, std::string* out, StringOptions options = {});
  Schema& Int(std::string key, int64_t* out, IntOptions options = {});
  Schema& Bool(std::string key, bool* out, FieldOptions options = {});
  Schema& Duration(std::string key, absl::Duration* out, DurationOptions options = {});
  // A comma-separated list in the environment; a YAML sequence in the file.
  Schema& StringList(std::string key, std::vector<std::string>* out, FieldOptions options = {});

  // Reads every key from `source` into the bound members. Returns INVALID_ARGUMENT listing
  // every unknown key, unparsable or out-of-range value and missing required key; members
  // of keys that failed keep their previous values.
  absl::Status Load(const Source& source);

  // The environment variable of `key`, e.g. "GOFER_RUN_QUEUE_LEASE_TTL".
  std::string EnvName(std::string_view key) const;

  // One line "key=value key=value ..." of the loaded values for the start-up log, with
  // secret values shown as <redacted>.
  std::string Describe() const;

  // A plain-text table of every key (env name, default, required, description) for --help.
  std::string HelpText() const;

  // The same as a Markdown section for docs/configuration.md.
  std::string MarkdownReference() const;

  const std::string& service() const { return service_; }

 private:
  struct Field {
    std::string key;
    std::string kind;  // "string", "int", "bool", "duration", "list"
    FieldOptions options;
    std::function<absl::Status(const std::string&)> assign;
    std::function<std::string()> show;
  };

  Schema& Add(Field field);
  const Field* Find(std::string_view key) const;

  std::string service_;
  std::string env_prefix_;
  std::vector<Field> fields_;
};

// Flattens a YAML document into dotted keys ("lease.ttl" → "10s"; a sequence becomes its items
// joined by commas). Returns INVALID_ARGUMENT when the file cannot be read or parsed.
absl::StatusOr<std::map<std::string, std::string>> ReadYamlFile(const std::string& path);

// Reads the whole of `path` (for *_file secret values), trimming one trailing newline.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace gofer::config
