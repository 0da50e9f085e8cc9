#include "gofer/app/app.h"

#include <signal.h>
#include <string.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gofer/app/version.h"
#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/id_generator.h"
#include "gofer/common/logging.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/migrations.h"
#include "gofer/rpc/server.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace gofer::app {
namespace {

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  return env;
}

std::string Usage(const Info& info) {
  return absl::StrCat(
      "Usage: gofer-", info.name, " [--config FILE] [--help] [--version] [--config-reference]\n\n",
      info.summary, "\n\n",
      "Configuration comes from defaults, then the YAML file given with --config (or\n",
      "GOFER_CONFIG_FILE), then GOFER_* environment variables.\n\n");
}

}  // namespace

void AddCommonKeys(config::Schema& schema, CommonConfig* c, const std::string& default_listen) {
  schema
      .String("listen_address", &c->listen_address,
              {.description = "host:port the gRPC server listens on (port 0 picks a free port).",
               .default_value = default_listen})
      .String("log.level", &c->log_level,
              {.description = "Log level.",
               .default_value = "info",
               .one_of = {"trace", "debug", "info", "warn", "error", "critical", "off"}})
      .String(
          "log.format", &c->log_format,
          {.description =
               "json for one JSON object a line, text for people, auto picks text on a terminal.",
           .default_value = "auto",
           .one_of = {"auto", "json", "text"}})
      .String(
          "internal_credential", &c->internal_credential,
          {.description = "Shared credential every internal call must carry "
                          "(authorization: Bearer ...). Generate one with `openssl rand -hex 32`.",
           .required = true,
           .secret = true})
      .Int("executor.threads", &c->executor_threads,
           {.description = "Worker threads for blocking request work (database, engine calls).",
            .default_value = "8",
            .min = 1,
            .max = 1024})
      .Int("executor.queue", &c->executor_queue,
           {.description =
                "Requests that may wait for a worker before new ones get RESOURCE_EXHAUSTED.",
            .default_value = "256",
            .min = 0,
            .max = 1000000})
      .Int("max_receive_message_bytes", &c->max_receive_message_bytes,
           {.description =
                "Largest request message accepted; bulk data is streamed in smaller messages.",
            .default_value = "4194304",
            .min = 1024,
            .max = 64 * 1024 * 1024})
      .Duration("drain_timeout", &c->drain_timeout,
                {.description =
                     "On SIGTERM, how long in-flight calls may finish before they are cancelled.",
                 .default_value = "20s",
                 .max = absl::Hours(1)})
      .Duration(
          "startup_timeout", &c->startup_timeout,
          {.description = "How long to wait at start for dependencies (Postgres, Redis) to answer.",
           .default_value = "60s",
           .min = absl::Seconds(1),
           .max = absl::Hours(1)})
      .String("replica_id", &c->replica_id,
              {.description =
                   "Name of this replica in logs and events; defaults to a new id at each start."});
}

void AddPostgresKeys(config::Schema& schema, PostgresConfig* pg,
                     const std::string& default_schema) {
  schema
      .String("postgres.dsn", &pg->dsn,
              {.description = "libpq connection string or URI of the Gofer database.",
               .required = true,
               .secret = true})
      .String("postgres.schema", &pg->schema,
              {.description = "Schema this service owns; created and migrated at start.",
               .default_value = default_schema})
      .String("postgres.events_schema", &pg->events_schema,
              {.description = "Schema of the shared events outbox.", .default_value = "events"})
      .Int("postgres.pool_size", &pg->pool_size,
           {.description = "Most Postgres connections this replica opens.",
            .default_value = "8",
            .min = 1,
            .max = 256})
      .Duration("postgres.statement_timeout", &pg->statement_timeout,
                {.description = "Server-side timeout of each statement.",
                 .default_value = "30s",
                 .max = absl::Hours(1)});
}

void AddRedisKeys(config::Schema& schema, RedisConfig* redis) {
  schema
      .String("redis.address", &redis->address,
              {.description = "host:port or unix:/path of Redis.", .required = true})
      .String("redis.password", &redis->password,
              {.description = "Redis AUTH password, if Redis requires one.", .secret = true})
      .Int("redis.db", &redis->db,
           {.description = "Redis logical database.", .default_value = "0", .min = 0, .max = 65535})
      .Int("redis.pool_size", &redis->pool_size,
           {.description = "Most Redis connections this replica opens.",
            .default_value = "8",
            .min = 1,
            .max = 256});
}

std::optional<int> Init(int argc, char** argv, const Info& info, config::Schema& schema,
                        CommonConfig& common) {
  std::map<std::string, std::string> env = ProcessEnvironment();
  std::string config_file;
  if (auto it = env.find("GOFER_CONFIG_FILE"); it != env.end()) {
    config_file = it->second;
    env.erase(it);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << Usage(info) << schema.HelpText();
      return 0;
    }
    if (arg == "--version") {
      std::cout << "gofer-" << info.name << " " << Version() << " (" << Commit() << ")\n";
      return 0;
    }
    if (arg == "--config-reference") {
      std::cout << schema.MarkdownReference();
      return 0;
    }
    if (arg == "--config" && i + 1 < argc) {
      config_file = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_file = arg.substr(9);
    } else {
      std::cerr << "gofer-" << info.name << ": unknown argument '" << arg << "'\n\n" << Usage(info);
      return 2;
    }
  }
  if (absl::Status s = schema.Load({.file = config_file, .env = env}); !s.ok()) {
    std::cerr << "gofer-" << info.name << ": bad configuration:\n";
    for (const FieldViolation& v : GetFieldViolations(s)) {
      std::cerr << "  " << v.field << ": " << v.description << "\n";
    }
    std::cerr << "(gofer-" << info.name << " --help lists every key)\n";
    return 2;
  }
  if (absl::Status s = SetupLogging(
          {.service = info.name, .level = common.log_level, .format = common.log_format});
      !s.ok()) {
    std::cerr << "gofer-" << info.name << ": " << s.message() << "\n";
    return 2;
  }
  if (common.replica_id.empty()) {
    common.replica_id = UuidV7Generator().NewId();
  }
  spdlog::info("gofer-{} {} ({}) starting; config: {}", info.name, Version(), Commit(),
               schema.Describe());
  return std::nullopt;
}

absl::Status StartupRetry(const std::string& what, absl::Duration timeout,
                          const std::function<absl::Status()>& attempt) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(100);
  bool logged = false;
  while (true) {
    absl::Status s = attempt();
    if (s.ok() || !(absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s))) {
      if (s.ok() && logged) {
        spdlog::info("{}: connected", what);
      }
      return s;
    }
    if (absl::Now() + backoff > deadline) {
      return absl::UnavailableError(
          absl::StrCat(what, ": gave up after ", absl::FormatDuration(timeout), ": ", s.message()));
    }
    if (!logged) {
      spdlog::warn("{}: {}; retrying for up to {}", what, s.message(),
                   absl::FormatDuration(timeout));
      logged = true;
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

absl::StatusOr<std::unique_ptr<pg::Pool>> ConnectPostgres(const Info& info,
                                                          const PostgresConfig& pg,
                                                          const pg::MigrationSet& migrations,
                                                          absl::Duration startup_timeout) {
  auto pool = pg::Pool::Create({.dsn = pg.dsn,
                                .size = static_cast<int>(pg.pool_size),
                                .search_path = pg.schema,
                                .statement_timeout = pg.statement_timeout,
                                .application_name = absl::StrCat("gofer-", info.name)});
  if (!pool.ok()) {
    return pool.status();
  }
  for (const auto& [set, schema] :
       {std::pair{&EventsMigrations(), pg.events_schema}, std::pair{&migrations, pg.schema}}) {
    absl::StatusOr<pg::MigrationResult> result;
    absl::Status s = StartupRetry("postgres", startup_timeout, [&] {
      result = pg::ApplyMigrations(**pool, *set, schema);
      return result.status();
    });
    if (!s.ok()) {
      return s;
    }
    spdlog::info("schema {} at version {} ({} migrations applied now)", schema,
                 result->current_version, result->applied.size());
  }
  return pool;
}

absl::StatusOr<std::unique_ptr<redis::Pool>> ConnectRedis(const RedisConfig& config,
                                                          absl::Duration startup_timeout) {
  redis::Options options;
  if (absl::Status s = redis::ParseAddress(config.address, &options); !s.ok()) {
    return s;
  }
  options.password = config.password;
  options.db = static_cast<int>(config.db);
  options.pool_size = static_cast<int>(config.pool_size);
  auto pool = redis::Pool::Create(options);
  if (!pool.ok()) {
    return pool.status();
  }
  absl::Status s =
      StartupRetry("redis", startup_timeout, [&] { return (*pool)->Command({"PING"}).status(); });
  if (!s.ok()) {
    return s;
  }
  return pool;
}

rpc::RuntimeOptions RuntimeOptionsFrom(const CommonConfig& common) {
  return {.executor_threads = static_cast<int>(common.executor_threads),
          .executor_queue = static_cast<int>(common.executor_queue),
          .internal_credential = common.internal_credential};
}

int Serve(const Info& info, const CommonConfig& common, rpc::Runtime& runtime,
          const std::vector<grpc::Service*>& services,
          const std::vector<std::string>& health_services,
          const std::function<void()>& on_shutdown_signal) {
  auto server = rpc::Server::Start(
      {.service_name = info.name,
       .listen_address = common.listen_address,
       .max_receive_message_bytes = static_cast<int>(common.max_receive_message_bytes),
       .drain_timeout = common.drain_timeout,
       .health_services = health_services},
      services);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().message());
    return 1;
  }
  spdlog::info("serving on {} (replica {})", (*server)->address(), common.replica_id);
  const int signal_number = WaitForShutdownSignal();
  const absl::Time start = absl::Now();
  spdlog::info("received {}; draining for up to {}", strsignal(signal_number),
               absl::FormatDuration(common.drain_timeout));
  if (on_shutdown_signal) {
    on_shutdown_signal();  // e.g. hand work over before waiting for calls to drain
  }
  (*server)->Shutdown();
  runtime.Shutdown();
  spdlog::info("stopped after {}", absl::FormatDuration(absl::Now() - start));
  return 0;
}

}  // namespace gofer::app
