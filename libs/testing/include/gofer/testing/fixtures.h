// Real-server fixtures. scripts/test starts Postgres and Redis on loopback and exports
//   GOFER_TEST_PG_DSN     e.g. postgresql://postgres@127.0.0.1:55432/postgres
//   GOFER_TEST_REDIS_ADDR e.g. 127.0.0.1:56379
// A test that needs one and runs without it fails with a message saying how to run it.
#pragma once

#include <memory>
#include <string>

#include "gofer/pg/pool.h"
#include "gofer/redis/client.h"

namespace gofer::testing {

// The DSN of the test Postgres server (fails the test when GOFER_TEST_PG_DSN is unset).
std::string PgDsn();

// A fresh, uniquely named schema for one test case, dropped (CASCADE) when destroyed unless
// GOFER_TEST_KEEP=1. Names look like "t_<pid>_<n>_<suffix>".
class PgTestSchema {
 public:
  explicit PgTestSchema(const std::string& suffix = "s");
  ~PgTestSchema();
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  const std::string& name() const { return name_; }
  const std::string& dsn() const { return dsn_; }

  // A pool whose search_path is this schema.
  std::unique_ptr<pg::Pool> MakePool(int size = 4) const;

 private:
  std::string dsn_;
  std::string name_;
};

// A Redis logical database of its own, flushed when taken and when released. Databases are
// handed out round-robin (scripts/test starts Redis with 1024 of them), so parallel test
// processes do not share one.
class RedisTestDb {
 public:
  RedisTestDb();
  ~RedisTestDb();
  RedisTestDb(const RedisTestDb&) = delete;
  RedisTestDb& operator=(const RedisTestDb&) = delete;

  // Options pointing at the test server and this database.
  const redis::Options& options() const { return options_; }
  int db() const { return options_.db; }

  std::unique_ptr<redis::Pool> MakePool(int size = 4) const;

 private:
  redis::Options options_;
};

}  // namespace gofer::testing
