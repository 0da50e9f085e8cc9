// Each service binary, run as a process: starts against real Postgres/Redis, reports SERVING
// on its health service, answers --help, refuses bad configuration, and stops cleanly on SIGTERM.
#include <signal.h>
#include <catch2/catch.hpp>

#include <pqxx/nontransaction>
#include <pqxx/result>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gofer/rpc/channel.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/process.h"
#include "gofer/testing/status.h"

namespace gofer {
namespace {

using testing::ChildProcess;

struct ServiceUnderTest {
  std::string name;        // "run-queue"
  std::string env_prefix;  // "GOFER_RUN_QUEUE_"
  std::string health;      // "gofer.runqueue.v1.RunQueue"
  bool postgres;
  bool redis;
};

const std::vector<ServiceUnderTest>& Services() {
  static const auto* const kServices = new std::vector<ServiceUnderTest>{
      {"api-gateway", "GOFER_API_GATEWAY_", "gofer.gateway.v1.Gateway", true, false},
      {"scheduler", "GOFER_SCHEDULER_", "gofer.scheduler.v1.Scheduler", false, false},
      {"run-queue", "GOFER_RUN_QUEUE_", "gofer.runqueue.v1.RunQueue", true, true},
      {"extension-manager", "GOFER_EXTENSION_MANAGER_", "gofer.extensions.v1.ExtensionManager",
       true, false},
      {"object-store", "GOFER_OBJECT_STORE_", "gofer.objects.v1.ObjectStore", true, false},
      {"secret-store", "GOFER_SECRET_STORE_", "gofer.secrets.v1.SecretStore", true, false},
  };
  return *kServices;
}

std::string Binary(const ServiceUnderTest& s) {
  return absl::StrCat(GOFER_BINARY_DIR, "/services/", s.name, "/gofer-", s.name);
}

// The environment that makes `s` start on a free port with its own schemas.
std::map<std::string, std::string> Environment(const ServiceUnderTest& s,
                                               const testing::PgTestSchema& schema,
                                               const testing::PgTestSchema& events) {
  std::map<std::string, std::string> env = {
      {s.env_prefix + "LISTEN_ADDRESS", "127.0.0.1:0"},
      {s.env_prefix + "INTERNAL_CREDENTIAL", "e2e-credential"},
      {s.env_prefix + "LOG_FORMAT", "text"},
      {s.env_prefix + "DRAIN_TIMEOUT", "10s"},
      {s.env_prefix + "STARTUP_TIMEOUT", "20s"},
  };
  if (s.postgres) {
    env[s.env_prefix + "POSTGRES_DSN"] = schema.dsn();
    env[s.env_prefix + "POSTGRES_SCHEMA"] = schema.name();
    env[s.env_prefix + "POSTGRES_EVENTS_SCHEMA"] = events.name();
  }
  if (s.name == "object-store") {
    std::string dir = "/tmp/gofer-e2e-objects.XXXXXX";
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    env[s.env_prefix + "STORAGE_ROOT"] = dir;
  }
  if (s.name == "secret-store") {
    std::string dir = "/tmp/gofer-e2e-secrets.XXXXXX";
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    const std::string key_file = dir + "/master-key";
    std::ofstream(key_file) << std::string(64, 'a') << "\n";  // a valid key: 64 hex characters
    env[s.env_prefix + "ENCRYPTION_MASTER_KEY_FILE"] = key_file;
  }
  if (s.redis) {
    const char* redis = std::getenv("GOFER_TEST_REDIS_ADDR");
    if (redis == nullptr) {
      FAIL("GOFER_TEST_REDIS_ADDR is not set: run the e2e tests through scripts/test");
    }
    env[s.env_prefix + "REDIS_ADDRESS"] = redis;
  }
  return env;
}

// "... serving on 127.0.0.1:PORT (replica ...)" → "127.0.0.1:PORT".
std::string ServingAddress(const std::string& line) {
  const std::string marker = "serving on ";
  const size_t at = line.find(marker);
  REQUIRE(at != std::string::npos);
  const size_t start = at + marker.size();
  return line.substr(start, line.find(' ', start) - start);
}

TEST_CASE("Every service starts, reports SERVING, and stops cleanly on SIGTERM") {
  for (const ServiceUnderTest& s : Services()) {
    DYNAMIC_SECTION(s.name) {
      testing::PgTestSchema schema("svc");
      testing::PgTestSchema events("ev");
      auto process = ChildProcess::Start({Binary(s)}, Environment(s, schema, events));
      GOFER_REQUIRE_OK(process);
      auto line = (*process)->WaitForLine(
          [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
          absl::Seconds(60));
      INFO((*process)->output());
      GOFER_REQUIRE_OK(line);
      const std::string address = ServingAddress(*line);

      auto overall = rpc::CheckHealth(address, "", absl::Seconds(5));
      GOFER_REQUIRE_OK(overall);
      CHECK(*overall == "SERVING");
      auto named = rpc::CheckHealth(address, s.health, absl::Seconds(5));
      GOFER_REQUIRE_OK(named);
      CHECK(*named == "SERVING");

      (*process)->Signal(SIGTERM);
      auto exit_code = (*process)->Wait(absl::Seconds(30));
      GOFER_REQUIRE_OK(exit_code);
      CHECK(*exit_code == 0);
      CHECK((*process)->output().find("stopped after") != std::string::npos);
      CHECK_FALSE(rpc::CheckHealth(address, "", absl::Seconds(2)).ok());
    }
  }
}

TEST_CASE("Services that own a schema apply its migrations and the events outbox at start") {
  const ServiceUnderTest& s = Services()[0];  // api-gateway
  testing::PgTestSchema schema("svc");
  testing::PgTestSchema events("ev");
  auto process = ChildProcess::Start({Binary(s)}, Environment(s, schema, events));
  GOFER_REQUIRE_OK(process);
  auto line = (*process)->WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(60));
  INFO((*process)->output());
  GOFER_REQUIRE_OK(line);
  auto pool = events.MakePool(1);
  auto conn = pool->Acquire();
  GOFER_REQUIRE_OK(conn);
  pqxx::nontransaction tx(conn->get());
  CHECK(tx.exec("SELECT count(*) FROM events").at(0).at(0).as<int>() == 0);
  CHECK(tx.exec("SELECT max(version) FROM schema_migrations").at(0).at(0).as<int>() >= 1);
  CHECK(tx.exec_params("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 "
                       "AND table_name = 'schema_migrations'",
                       schema.name())
            .at(0)
            .at(0)
            .as<int>() == 1);
}

TEST_CASE("Every service explains itself with --help and lists its keys") {
  for (const ServiceUnderTest& s : Services()) {
    DYNAMIC_SECTION(s.name) {
      auto process = ChildProcess::Start({Binary(s), "--help"});
      GOFER_REQUIRE_OK(process);
      auto exit_code = (*process)->Wait(absl::Seconds(30));
      GOFER_REQUIRE_OK(exit_code);
      CHECK(*exit_code == 0);
      const std::string out = (*process)->output();
      CHECK(out.find("Usage: gofer-" + s.name) != std::string::npos);
      CHECK(out.find(s.env_prefix + "INTERNAL_CREDENTIAL") != std::string::npos);
      CHECK((out.find(s.env_prefix + "POSTGRES_DSN") != std::string::npos) == s.postgres);
    }
  }
}

TEST_CASE("A service with missing configuration exits 2 and names every missing key") {
  const ServiceUnderTest& s = Services()[2];  // run-queue: postgres and redis
  auto process = ChildProcess::Start({Binary(s)}, {{"GOFER_RUN_QUEUE_LOG_FORMAT", "text"}});
  GOFER_REQUIRE_OK(process);
  auto exit_code = (*process)->Wait(absl::Seconds(30));
  GOFER_REQUIRE_OK(exit_code);
  CHECK(*exit_code == 2);
  const std::string out = (*process)->output();
  CHECK(out.find("internal_credential: is required") != std::string::npos);
  CHECK(out.find("postgres.dsn: is required") != std::string::npos);
  CHECK(out.find("redis.address: is required") != std::string::npos);
}

TEST_CASE("A service never prints its secrets, even in its start-up configuration line") {
  const ServiceUnderTest& s = Services()[5];  // secret-store
  testing::PgTestSchema schema("svc");
  testing::PgTestSchema events("ev");
  auto env = Environment(s, schema, events);
  env[s.env_prefix + "INTERNAL_CREDENTIAL"] = "do-not-print-this-credential";
  auto process = ChildProcess::Start({Binary(s)}, env);
  GOFER_REQUIRE_OK(process);
  GOFER_REQUIRE_OK((*process)->WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(60)));
  (*process)->Signal(SIGTERM);
  GOFER_REQUIRE_OK((*process)->Wait(absl::Seconds(30)));
  const std::string out = (*process)->output();
  CHECK(out.find("internal_credential=<redacted>") != std::string::npos);
  CHECK(out.find("do-not-print-this-credential") == std::string::npos);
  CHECK(out.find(schema.dsn()) == std::string::npos);
}

TEST_CASE("A service waits for Postgres at start and gives up cleanly when it never comes") {
  const ServiceUnderTest& s = Services()[4];  // object-store
  testing::PgTestSchema schema("svc");
  testing::PgTestSchema events("ev");
  auto env = Environment(s, schema, events);
  env[s.env_prefix + "POSTGRES_DSN"] = "postgresql://postgres@127.0.0.1:1/postgres";
  env[s.env_prefix + "STARTUP_TIMEOUT"] = "1s";
  auto process = ChildProcess::Start({Binary(s)}, env);
  GOFER_REQUIRE_OK(process);
  auto exit_code = (*process)->Wait(absl::Seconds(30));
  GOFER_REQUIRE_OK(exit_code);
  CHECK(*exit_code == 1);
  const std::string out = (*process)->output();
  INFO(out);
  CHECK(out.find("retrying") != std::string::npos);
  CHECK(out.find("gave up") != std::string::npos);
}

}  // namespace
}  // namespace gofer
