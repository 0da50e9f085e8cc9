// The configuration contract every service binary shares: its required keys are named when
// missing, it listens on its own loopback port by default, it reads GOFER_<SERVICE>_* and it
// never shows a secret.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api-gateway/src/config.h"
#include "extension-manager/src/config.h"
#include "gofer/common/errors.h"
#include "object-store/src/config.h"
#include "run-queue/src/config.h"
#include "scheduler/src/config.h"
#include "secret-store/src/config.h"

namespace gofer {
namespace {

struct Case {
  std::string service;
  std::string env_prefix;
  std::string default_listen;
  std::set<std::string> required;
  // Loads the service's schema from `env` and returns the loaded listen address.
  std::function<absl::Status(const std::map<std::string, std::string>&, std::string*, std::string*)>
      load;
};

template <typename Config>
absl::Status Load(const std::map<std::string, std::string>& env, std::string* listen,
                  std::string* described) {
  Config config;
  config::Schema schema = config.MakeSchema();
  absl::Status s = schema.Load({.env = env});
  *listen = config.common.listen_address;
  *described = schema.Describe();
  return s;
}

const std::vector<Case>& Cases() {
  static const auto* const kCases = new std::vector<Case>{
      {"api-gateway",
       "GOFER_API_GATEWAY_",
       "127.0.0.1:8080",
       {"internal_credential", "postgres.dsn"},
       Load<api_gateway::Config>},
      {"scheduler",
       "GOFER_SCHEDULER_",
       "127.0.0.1:7001",
       {"internal_credential"},
       Load<scheduler::Config>},
      {"run-queue",
       "GOFER_RUN_QUEUE_",
       "127.0.0.1:7002",
       {"internal_credential", "postgres.dsn", "redis.address"},
       Load<run_queue::Config>},
      {"extension-manager",
       "GOFER_EXTENSION_MANAGER_",
       "127.0.0.1:7003",
       {"internal_credential", "postgres.dsn"},
       Load<extension_manager::Config>},
      {"object-store",
       "GOFER_OBJECT_STORE_",
       "127.0.0.1:7004",
       {"internal_credential", "postgres.dsn", "storage.root"},
       Load<object_store::Config>},
      {"secret-store",
       "GOFER_SECRET_STORE_",
       "127.0.0.1:7005",
       {"internal_credential", "postgres.dsn", "encryption.master_key_file"},
       Load<secret_store::Config>},
  };
  return *kCases;
}

// Values of required keys that are not secrets (and so are shown by Describe()).
std::optional<std::string> PlainValue(const std::string& key) {
  static const auto* const kPlain = new std::map<std::string, std::string>{
      {"redis.address", "127.0.0.1:6379"},
      {"encryption.master_key_file", "/run/secrets/gofer-master-key"},
      {"storage.root", "/var/lib/gofer/objects"},
  };
  auto it = kPlain->find(key);
  return it == kPlain->end() ? std::nullopt : std::make_optional(it->second);
}

std::string EnvName(const std::string& prefix, const std::string& key) {
  std::string name = prefix;
  for (char c : key) {
    name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

TEST_CASE("Each service refuses to start without its required keys, naming each") {
  for (const Case& c : Cases()) {
    DYNAMIC_SECTION(c.service) {
      std::string listen, described;
      const absl::Status status = c.load({}, &listen, &described);
      REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
      std::set<std::string> fields;
      for (const FieldViolation& v : GetFieldViolations(status)) {
        fields.insert(v.field);
      }
      CHECK(fields == c.required);
    }
  }
}

TEST_CASE("No two services share a default port") {
  std::set<std::string> ports;
  for (const Case& c : Cases()) {
    ports.insert(c.default_listen);
  }
  CHECK(ports.size() == Cases().size());
}

TEST_CASE("Each service defaults to its own loopback port and redacts its secrets") {
  for (const Case& c : Cases()) {
    DYNAMIC_SECTION(c.service) {
      std::map<std::string, std::string> env;
      for (const std::string& key : c.required) {
        env[EnvName(c.env_prefix, key)] = PlainValue(key).value_or("secret-value-" + key);
      }
      std::string listen, described;
      REQUIRE(c.load(env, &listen, &described).ok());
      CHECK(listen == c.default_listen);
      CHECK(described.find("internal_credential=<redacted>") != std::string::npos);
      CHECK(described.find("secret-value-") == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace gofer
