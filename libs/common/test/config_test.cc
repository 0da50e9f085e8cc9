#include "gofer/common/config.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gofer/common/errors.h"

namespace {

namespace config = gofer::config;
using Env = std::map<std::string, std::string>;

constexpr char kDsn[] = "postgres://gofer:hunter2@db/gofer";

// A directory under /tmp that is removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/gofer-config-test-XXXXXX";
    REQUIRE(mkdtemp(templ) != nullptr);
    path_ = templ;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }

  // Writes `content` to `name` in the directory and returns the file's path.
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  std::string path_;
};

struct Config {
  std::string listen_address;
  int64_t max_runs = -1;
  bool debug = true;
  absl::Duration lease_ttl = absl::Seconds(-1);
  std::string postgres_dsn;
  std::vector<std::string> tags;
  std::string mode;
};

template <typename Options = config::FieldOptions>
Options Opts(std::string default_value, std::string description = "") {
  Options o;
  o.default_value = std::move(default_value);
  o.description = std::move(description);
  return o;
}

config::Schema MakeSchema(Config& c) {
  config::Schema schema("run-queue");
  auto max_runs = Opts<config::IntOptions>("10", "Runs in flight at once.");
  max_runs.min = 1;
  max_runs.max = 1000;
  auto ttl = Opts<config::DurationOptions>("10s", "How long a lease lasts.");
  ttl.min = absl::Seconds(1);
  ttl.max = absl::Hours(1);
  auto dsn = Opts<config::StringOptions>("", "Postgres connection string.");
  dsn.required = true;
  dsn.secret = true;
  auto mode = Opts<config::StringOptions>("safe", "Scheduling mode.");
  mode.one_of = {"fast", "safe"};
  schema.String("listen_address", &c.listen_address, Opts<config::StringOptions>("127.0.0.1:7003"))
      .Int("max_runs", &c.max_runs, max_runs)
      .Bool("debug", &c.debug, Opts("false"))
      .Duration("lease.ttl", &c.lease_ttl, ttl)
      .String("postgres.dsn", &c.postgres_dsn, dsn)
      .StringList("tags", &c.tags)
      .String("mode", &c.mode, mode);
  return schema;
}

// `extra` plus the one required key, so that only what a test is about can fail.
Env WithDsn(Env extra = {}) {
  extra.emplace("GOFER_RUN_QUEUE_POSTGRES_DSN", kDsn);
  return extra;
}

// A run-queue schema bound to `c`, and a directory for config and secret files.
struct ConfigTest {
  absl::Status Load(const Env& env, const std::string& file = "") {
    return schema.Load({.file = file, .env = env});
  }

  TempDir dir;
  Config c;
  config::Schema schema = MakeSchema(c);
};

// field → description of the violations in `status` (joined by " | " when a field has several).
std::map<std::string, std::string> Violations(const absl::Status& status) {
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  std::map<std::string, std::string> out;
  for (const gofer::FieldViolation& v : gofer::GetFieldViolations(status)) {
    std::string& description = out[v.field];
    description += (description.empty() ? "" : " | ") + v.description;
  }
  return out;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE_METHOD(ConfigTest, "Config defaults apply when neither file nor environment sets a key") {
  REQUIRE(Load(WithDsn()).ok());
  CHECK(c.listen_address == "127.0.0.1:7003");
  CHECK(c.max_runs == 10);
  CHECK(c.debug == false);
  CHECK(c.lease_ttl == absl::Seconds(10));
  CHECK(c.mode == "safe");
  CHECK(c.tags.empty());
}

TEST_CASE_METHOD(ConfigTest, "Config file values override defaults, including nested keys") {
  const std::string file = dir.Write("c.yaml",
                                     "max_runs: 42\n"
                                     "debug: true\n"
                                     "lease: {ttl: 90s}\n"
                                     "postgres:\n  dsn: postgres://from-file\n");
  REQUIRE(Load({}, file).ok());
  CHECK(c.max_runs == 42);
  CHECK(c.debug == true);
  CHECK(c.lease_ttl == absl::Seconds(90));
  CHECK(c.postgres_dsn == "postgres://from-file");
  CHECK(c.listen_address == "127.0.0.1:7003");
}

TEST_CASE_METHOD(ConfigTest, "Config environment variables override the file") {
  const std::string file =
      dir.Write("c.yaml", "max_runs: 42\nlease: {ttl: 90s}\npostgres: {dsn: from-file}\n");
  Env env = {{"GOFER_RUN_QUEUE_MAX_RUNS", "7"},
             {"GOFER_RUN_QUEUE_LEASE_TTL", "1m"},
             {"GOFER_RUN_QUEUE_POSTGRES_DSN", "from-env"}};
  REQUIRE(Load(env, file).ok());
  CHECK(c.max_runs == 7);
  CHECK(c.lease_ttl == absl::Minutes(1));
  CHECK(c.postgres_dsn == "from-env");
}

TEST_CASE_METHOD(ConfigTest, "Config EnvName is GOFER_<SERVICE>_<KEY> with . and - as _") {
  CHECK(schema.service() == "run-queue");
  CHECK(schema.EnvName("lease.ttl") == "GOFER_RUN_QUEUE_LEASE_TTL");
  CHECK(schema.EnvName("postgres.dsn") == "GOFER_RUN_QUEUE_POSTGRES_DSN");
  CHECK(schema.EnvName("max-runs") == "GOFER_RUN_QUEUE_MAX_RUNS");
  CHECK(config::Schema("scheduler").EnvName("x") == "GOFER_SCHEDULER_X");
}

TEST_CASE_METHOD(ConfigTest, "Config rejects out-of-range numbers and keeps the previous values") {
  const auto v = Violations(Load(
      WithDsn({{"GOFER_RUN_QUEUE_MAX_RUNS", "1001"}, {"GOFER_RUN_QUEUE_LEASE_TTL", "500ms"}})));
  CHECK(v.size() == 2);
  CHECK(Contains(v.at("max_runs"), "must be in [1, 1000], got 1001"));
  CHECK(Contains(v.at("max_runs"), "GOFER_RUN_QUEUE_MAX_RUNS"));
  CHECK(Contains(v.at("lease.ttl"), "must be in [1s, 1h], got 500ms"));
  CHECK(c.max_runs == -1);
  CHECK(c.lease_ttl == absl::Seconds(-1));
}

TEST_CASE_METHOD(ConfigTest, "Config rejects unparsable values and values outside one_of") {
  const Env env = WithDsn({{"GOFER_RUN_QUEUE_MAX_RUNS", "ten"},
                           {"GOFER_RUN_QUEUE_DEBUG", "maybe"},
                           {"GOFER_RUN_QUEUE_LEASE_TTL", "10 seconds"},
                           {"GOFER_RUN_QUEUE_MODE", "reckless"}});
  const auto v = Violations(Load(env));
  CHECK(v.size() == 4);
  CHECK(Contains(v.at("max_runs"), "expected an integer, got \"ten\""));
  CHECK(Contains(v.at("debug"), "expected true or false, got \"maybe\""));
  CHECK(Contains(v.at("lease.ttl"), "expected a duration"));
  CHECK(Contains(v.at("mode"), "must be one of fast, safe, got \"reckless\""));
}

TEST_CASE_METHOD(ConfigTest, "Config reports a missing or empty required key with its env name") {
  auto v = Violations(Load({}));
  REQUIRE(v.size() == 1);
  CHECK(Contains(v.at("postgres.dsn"), "is required"));
  CHECK(Contains(v.at("postgres.dsn"), "GOFER_RUN_QUEUE_POSTGRES_DSN"));
  v = Violations(Load({{"GOFER_RUN_QUEUE_POSTGRES_DSN", ""}}));
  CHECK(Contains(v.at("postgres.dsn"), "is required"));
}

TEST_CASE_METHOD(ConfigTest, "Config rejects unknown keys but ignores other env prefixes") {
  const std::string file = dir.Write("c.yaml", "max_runz: 3\nlease: {tll: 5s}\n");
  const Env env = WithDsn({{"GOFER_RUN_QUEUE_LISTEN_ADRESS", "x"},
                           {"GOFER_SCHEDULER_X", "ignored"},
                           {"GOFER_RUN_QUEUEX", "ignored"},
                           {"PATH", "/usr/bin"}});
  const auto v = Violations(Load(env, file));
  CHECK(v.size() == 3);
  CHECK(Contains(v.at("max_runz"), "unknown key in " + file));
  CHECK(v.count("lease.tll") == 1);
  CHECK(Contains(v.at("GOFER_RUN_QUEUE_LISTEN_ADRESS"), "unknown environment variable"));
}

TEST_CASE_METHOD(ConfigTest, "Config reports every problem at once in one INVALID_ARGUMENT") {
  const std::string file = dir.Write("c.yaml", "bogus: 1\ndebug: perhaps\n");
  const absl::Status s = Load({{"GOFER_RUN_QUEUE_MAX_RUNS", "0"}}, file);
  const auto v = Violations(s);
  CHECK(v.size() == 4);
  for (const char* key : {"bogus", "debug", "max_runs", "postgres.dsn"}) {
    INFO(key);
    CHECK(v.count(key) == 1);
    CHECK(Contains(std::string(s.message()), key));
  }
}

TEST_CASE_METHOD(ConfigTest, "Config reports an unreadable or malformed file as config_file") {
  auto v = Violations(Load(WithDsn(), "/nonexistent/gofer.yaml"));
  CHECK(Contains(v.at("config_file"), "cannot be read"));
  v = Violations(Load(WithDsn(), dir.Write("list.yaml", "- a\n- b\n")));
  CHECK(Contains(v.at("config_file"), "must be a mapping"));
}

TEST_CASE_METHOD(ConfigTest, "Config Describe shows values but redacts secrets") {
  REQUIRE(Load(WithDsn()).ok());
  const std::string line = schema.Describe();
  CHECK(Contains(line, "listen_address=127.0.0.1:7003"));
  CHECK(Contains(line, "max_runs=10"));
  CHECK(Contains(line, "lease.ttl=10s"));
  CHECK(Contains(line, "postgres.dsn=<redacted>"));
  CHECK_FALSE(Contains(line, "hunter2"));
}

TEST_CASE_METHOD(ConfigTest, "Config never echoes an invalid secret value in its error") {
  int64_t pin = 0;
  auto pin_options = Opts<config::IntOptions>("");
  pin_options.secret = true;
  schema.Int("pin", &pin, pin_options);
  const absl::Status s = Load(WithDsn({{"GOFER_RUN_QUEUE_PIN", "hunter2-not-a-number"}}));
  const auto v = Violations(s);
  REQUIRE(v.count("pin") == 1);
  CHECK(Contains(v.at("pin"), "invalid value"));
  CHECK_FALSE(Contains(v.at("pin"), "hunter2"));
  CHECK_FALSE(Contains(std::string(s.message()), "hunter2"));
}

TEST_CASE_METHOD(ConfigTest, "Config reads a secret from the file named by <key>_file in YAML") {
  const std::string secret = dir.Write("dsn", "postgres://from-secret-file\n");
  const std::string file = dir.Write("c.yaml", "postgres:\n  dsn_file: " + secret + "\n");
  REQUIRE(Load({}, file).ok());
  CHECK(c.postgres_dsn == "postgres://from-secret-file");
}

TEST_CASE_METHOD(ConfigTest, "Config reads a secret from the file named by <ENV>_FILE") {
  const std::string secret = dir.Write("dsn", "postgres://mounted\n");
  REQUIRE(Load({{"GOFER_RUN_QUEUE_POSTGRES_DSN_FILE", secret}}).ok());
  CHECK(c.postgres_dsn == "postgres://mounted");
  const auto v = Violations(Load({{"GOFER_RUN_QUEUE_POSTGRES_DSN_FILE", secret + ".missing"}}));
  CHECK(Contains(v.at("postgres.dsn"), "cannot read"));
}

TEST_CASE_METHOD(ConfigTest, "Config accepts *_file only for secret keys") {
  const std::string file = dir.Write("c.yaml", "listen_address_file: /etc/x\n");
  const auto v = Violations(Load(WithDsn({{"GOFER_RUN_QUEUE_MODE_FILE", "/etc/y"}}), file));
  CHECK(v.count("listen_address_file") == 1);
  CHECK(v.count("GOFER_RUN_QUEUE_MODE_FILE") == 1);
}

TEST_CASE_METHOD(ConfigTest, "Config reads a string list from a comma-separated variable") {
  REQUIRE(Load(WithDsn({{"GOFER_RUN_QUEUE_TAGS", "a, b,c"}})).ok());
  CHECK(c.tags == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE_METHOD(ConfigTest, "Config reads a string list from a YAML sequence") {
  const std::string file = dir.Write("c.yaml", "tags:\n  - linux\n  - arm64\n");
  REQUIRE(Load(WithDsn(), file).ok());
  CHECK(c.tags == std::vector<std::string>{"linux", "arm64"});
  CHECK(Contains(schema.Describe(), "tags=linux,arm64"));
}

TEST_CASE_METHOD(ConfigTest,
                 "Config HelpText lists every key, env name, default and requiredness") {
  const std::string help = schema.HelpText();
  CHECK(Contains(help,
                 "listen_address / GOFER_RUN_QUEUE_LISTEN_ADDRESS  [string, default "
                 "127.0.0.1:7003]"));
  CHECK(Contains(help, "max_runs / GOFER_RUN_QUEUE_MAX_RUNS  [int, default 10]"));
  CHECK(Contains(help, "debug / GOFER_RUN_QUEUE_DEBUG  [bool, default false]"));
  CHECK(Contains(help, "lease.ttl / GOFER_RUN_QUEUE_LEASE_TTL  [duration, default 10s]"));
  CHECK(Contains(help,
                 "postgres.dsn / GOFER_RUN_QUEUE_POSTGRES_DSN  [string, required, secret; "
                 "or GOFER_RUN_QUEUE_POSTGRES_DSN_FILE]"));
  CHECK(Contains(help, "tags / GOFER_RUN_QUEUE_TAGS  [list]"));
  CHECK(Contains(help, "Scheduling mode. One of: fast, safe."));
}

TEST_CASE_METHOD(ConfigTest,
                 "Config MarkdownReference has a row per key with env name and default") {
  const std::string md = schema.MarkdownReference();
  CHECK(md.rfind("## run-queue\n", 0) == 0);
  CHECK(Contains(md,
                 "| `listen_address` | `GOFER_RUN_QUEUE_LISTEN_ADDRESS` | string | "
                 "`127.0.0.1:7003` | no |"));
  CHECK(Contains(md, "| `max_runs` | `GOFER_RUN_QUEUE_MAX_RUNS` | int | `10` | no |"));
  CHECK(Contains(md, "| `debug` | `GOFER_RUN_QUEUE_DEBUG` | bool | `false` | no |"));
  CHECK(Contains(md, "| `lease.ttl` | `GOFER_RUN_QUEUE_LEASE_TTL` | duration | `10s` | no |"));
  CHECK(Contains(md, "| `postgres.dsn` | `GOFER_RUN_QUEUE_POSTGRES_DSN` | string |  | yes |"));
  CHECK(Contains(md, "`GOFER_RUN_QUEUE_POSTGRES_DSN_FILE`"));
  CHECK(Contains(md, "| `tags` | `GOFER_RUN_QUEUE_TAGS` | list |  | no |"));
  CHECK(Contains(md, "| `mode` | `GOFER_RUN_QUEUE_MODE` | string | `safe` | no |"));
}
