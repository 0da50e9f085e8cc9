// The service skeleton's pieces that need no servers: StartupRetry's retry policy, the common
// configuration keys and Init's handling of the command line and configuration.
#include "gofer/app/app.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gofer/common/errors.h"
#include "gofer/testing/status.h"

namespace gofer::app {
namespace {

const Info kInfo{.name = "app-test", .summary = "A service that exists only in tests."};
constexpr char kCredentialEnv[] = "GOFER_APP_TEST_INTERNAL_CREDENTIAL";

// Captures what `stream` receives while alive.
class Capture {
 public:
  explicit Capture(std::ostream& stream) : stream_(stream), old_(stream.rdbuf(buffer_.rdbuf())) {}
  ~Capture() { stream_.rdbuf(old_); }
  std::string text() const { return buffer_.str(); }

 private:
  std::ostream& stream_;
  std::ostringstream buffer_;
  std::streambuf* old_;
};

// Runs Init on `args` (program name first) with a fresh schema holding the common keys, and
// an environment without Gofer variables of this service.
struct InitRun {
  std::optional<int> exit;
  CommonConfig common;
  std::string out;
  std::string err;
};

InitRun RunInit(std::vector<std::string> args) {
  unsetenv("GOFER_CONFIG_FILE");
  InitRun run;
  config::Schema schema(kInfo.name);
  AddCommonKeys(schema, &run.common, "127.0.0.1:7100");
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  Capture out(std::cout);
  Capture err(std::cerr);
  run.exit = Init(static_cast<int>(args.size()), argv.data(), kInfo, schema, run.common);
  run.out = out.text();
  run.err = err.text();
  return run;
}

// Sets an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("StartupRetry returns OK after one attempt when it succeeds at once") {
  int attempts = 0;
  GOFER_REQUIRE_OK(StartupRetry("thing", absl::Seconds(5), [&] {
    ++attempts;
    return absl::OkStatus();
  }));
  CHECK(attempts == 1);
}

TEST_CASE("StartupRetry retries UNAVAILABLE until the attempt succeeds") {
  int attempts = 0;
  GOFER_REQUIRE_OK(StartupRetry("postgres", absl::Seconds(5), [&] {
    return ++attempts < 3 ? absl::UnavailableError("connection refused") : absl::OkStatus();
  }));
  CHECK(attempts == 3);
}

TEST_CASE("StartupRetry retries DEADLINE_EXCEEDED too") {
  int attempts = 0;
  GOFER_REQUIRE_OK(StartupRetry("redis", absl::Seconds(5), [&] {
    return ++attempts < 2 ? absl::DeadlineExceededError("slow") : absl::OkStatus();
  }));
  CHECK(attempts == 2);
}

TEST_CASE("StartupRetry returns a non-retryable error after one attempt") {
  int attempts = 0;
  const absl::Status status = StartupRetry("postgres", absl::Seconds(5), [&] {
    ++attempts;
    return absl::InvalidArgumentError("bad dsn");
  });
  CHECK(status == absl::InvalidArgumentError("bad dsn"));
  CHECK(attempts == 1);
}

TEST_CASE("StartupRetry gives up with UNAVAILABLE naming what it waited for") {
  int attempts = 0;
  const absl::Status status = StartupRetry("postgres", absl::Milliseconds(300), [&] {
    ++attempts;
    return absl::UnavailableError("connection refused");
  });
  INFO(status);
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(status.message(), "postgres"));
  CHECK(absl::StrContains(status.message(), "connection refused"));
  CHECK(attempts >= 2);
}

TEST_CASE("AddCommonKeys makes the internal credential required") {
  CommonConfig common;
  config::Schema schema(kInfo.name);
  AddCommonKeys(schema, &common, "127.0.0.1:7100");
  const absl::Status status = schema.Load({});
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  const std::vector<FieldViolation> violations = GetFieldViolations(status);
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].field == "internal_credential");
}

TEST_CASE("AddCommonKeys defaults the listen address and redacts the credential") {
  CommonConfig common;
  config::Schema schema(kInfo.name);
  AddCommonKeys(schema, &common, "127.0.0.1:7100");
  GOFER_REQUIRE_OK(schema.Load({.env = {{kCredentialEnv, "s3cret-value"}}}));
  CHECK(common.internal_credential == "s3cret-value");
  CHECK(common.listen_address == "127.0.0.1:7100");
  CHECK(common.executor_threads == 8);
  CHECK(common.executor_queue == 256);
  CHECK(common.drain_timeout == absl::Seconds(20));
  const std::string described = schema.Describe();
  CHECK_FALSE(absl::StrContains(described, "s3cret-value"));
  CHECK(absl::StrContains(described, "internal_credential=<redacted>"));
  CHECK(absl::StrContains(described, "listen_address=127.0.0.1:7100"));
}

TEST_CASE("RuntimeOptionsFrom copies the executor sizes and the credential") {
  const CommonConfig common{
      .internal_credential = "s3cret", .executor_threads = 3, .executor_queue = 17};
  const rpc::RuntimeOptions options = RuntimeOptionsFrom(common);
  CHECK(options.executor_threads == 3);
  CHECK(options.executor_queue == 17);
  CHECK(options.internal_credential == "s3cret");
}

TEST_CASE("Init with --help prints the usage and the keys and exits 0") {
  const InitRun run = RunInit({"gofer-app-test", "--help"});
  CHECK(run.exit == std::optional<int>(0));
  CHECK(absl::StrContains(run.out, "Usage: gofer-app-test"));
  CHECK(absl::StrContains(run.out, kCredentialEnv));
}

TEST_CASE("Init with --version prints the version and exits 0") {
  const InitRun run = RunInit({"gofer-app-test", "--version"});
  CHECK(run.exit == std::optional<int>(0));
  CHECK(absl::StrContains(run.out, "gofer-app-test "));
}

TEST_CASE("Init with an unknown argument exits 2 naming it") {
  ScopedEnv credential(kCredentialEnv, "s3cret");
  const InitRun run = RunInit({"gofer-app-test", "--frobnicate"});
  CHECK(run.exit == std::optional<int>(2));
  CHECK(absl::StrContains(run.err, "--frobnicate"));
}

TEST_CASE("Init with a missing required key exits 2 naming the key") {
  unsetenv(kCredentialEnv);
  const InitRun run = RunInit({"gofer-app-test"});
  CHECK(run.exit == std::optional<int>(2));
  CHECK(absl::StrContains(run.err, "internal_credential"));
}

TEST_CASE("Init with an unknown variable of the service's prefix exits 2") {
  ScopedEnv credential(kCredentialEnv, "s3cret");
  ScopedEnv typo("GOFER_APP_TEST_LISTEN_ADRESS", "127.0.0.1:1");
  const InitRun run = RunInit({"gofer-app-test"});
  CHECK(run.exit == std::optional<int>(2));
  CHECK(absl::StrContains(run.err, "GOFER_APP_TEST_LISTEN_ADRESS"));
}

TEST_CASE("Init loads the environment, assigns a replica id and lets the service go on") {
  ScopedEnv credential(kCredentialEnv, "s3cret");
  ScopedEnv threads("GOFER_APP_TEST_EXECUTOR_THREADS", "3");
  const InitRun run = RunInit({"gofer-app-test"});
  CHECK_FALSE(run.exit.has_value());
  CHECK(run.common.internal_credential == "s3cret");
  CHECK(run.common.executor_threads == 3);
  CHECK(run.common.listen_address == "127.0.0.1:7100");
  CHECK_FALSE(run.common.replica_id.empty());
}

TEST_CASE("Init reads the file given with --config, and the environment wins over it") {
  const std::string path = absl::StrCat("/tmp/gofer_app_test_", getpid(), ".yaml");
  {
    std::ofstream file(path);
    file << "listen_address: 127.0.0.1:9999\ninternal_credential: from-file\n"
         << "executor:\n  queue: 5\n";
  }
  ScopedEnv credential(kCredentialEnv, "from-env");
  const InitRun run = RunInit({"gofer-app-test", "--config", path});
  unlink(path.c_str());
  INFO(run.err);
  CHECK_FALSE(run.exit.has_value());
  CHECK(run.common.listen_address == "127.0.0.1:9999");
  CHECK(run.common.executor_queue == 5);
  CHECK(run.common.internal_credential == "from-env");
}

}  // namespace gofer::app
