// NoopEngine: the conformance cases that apply to a backend that runs nothing, and what only
// the noop backend promises — run_time and exit_code, the one log line, Stop as SIGTERM, the
// journal of started names, exec refused.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "engine_conformance.h"
#include "gofer/common/errors.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"
#include "noop_engine.h"

namespace gofer::scheduler {
namespace {

using conformance::ReadLogs;
using conformance::Text;

// A NoopEngine for one test case. By default its containers run until they are stopped (an
// hour), as the conformance cases need; their one log line is their command, so the line
// StartAndAwait waits for ("ready") is in it.
class NoopFixture {
 public:
  NoopFixture() : NoopFixture({.run_time = absl::Hours(1)}) {}
  explicit NoopFixture(const NoopOptions& options) {
    auto engine = NoopEngine::Create(options);
    GOFER_REQUIRE_OK(engine);
    engine_ = *std::move(engine);
  }

  NoopEngine& engine() { return *engine_; }
  ContainerSpec Spec(std::vector<std::string> command) {
    return ContainerSpec{.name = "noop-test-" + std::to_string(++names_),
                         .image = "recorded-not-used:1",
                         .command = std::move(command)};
  }

 private:
  std::unique_ptr<NoopEngine> engine_;
  int names_ = 0;
};

// A temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    path_ = "/tmp/gofer-test-noop.XXXXXX";
    REQUIRE(mkdtemp(path_.data()) != nullptr);
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

// Only the bookkeeping group applies. Skipped: the processes group, because the noop backend
// runs no command (no exit code, environment, arguments, stderr, timing, signal handling,
// exec, OOM kill or pids limit of its own: see the tests below for what it does instead);
// the restart group, because its containers live in memory and a new engine starts empty.
GOFER_ENGINE_CONFORMANCE_BOOKKEEPING("NoopEngine", NoopFixture)

TEST_CASE("NoopEngine exits a container with exit_code as it starts when run_time is zero") {
  NoopFixture f({.exit_code = 3});
  ContainerSpec spec = f.Spec({"make", "test"});
  spec.labels = {{"gofer.attempt", "a1"}};
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  CHECK(started->node == "noop");
  CHECK(started->image_digest.empty());
  auto status = f.engine().Inspect(started->id);
  GOFER_REQUIRE_OK(status);
  CHECK(status->state == ContainerState::kExited);
  CHECK(status->exit_code == 3);
  CHECK_FALSE(status->oom_killed);
  REQUIRE(status->started.has_value());
  REQUIRE(status->finished.has_value());
  CHECK(*status->finished >= *status->started);
  CHECK(status->name == spec.name);
  CHECK(status->image == "recorded-not-used:1");
  CHECK(status->node == "noop");
  CHECK(status->labels == Labels{{"gofer.attempt", "a1"}, {kManagedLabel, kManagedValue}});
}

TEST_CASE("NoopEngine runs a container for run_time, then exits it and wakes its watchers") {
  const absl::Duration run_time = absl::Milliseconds(50);
  NoopFixture f({.run_time = run_time});
  const ContainerSpec spec = f.Spec({"true"});
  std::atomic<int> calls{0};
  // Watched by name before it exists, as a WaitState on a name may be.
  std::unique_ptr<Subscription> subscription = f.engine().Watch(spec.name, [&] { ++calls; });
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  REQUIRE(gofer::testing::Eventually([&] { return calls.load() > 0; }));
  auto status = f.engine().Inspect(started->id);
  GOFER_REQUIRE_OK(status);
  CHECK(status->state == ContainerState::kExited);
  CHECK(status->exit_code == 0);
  // The timer fires at the deadline or later, never before: a property, not a timing.
  CHECK(*status->finished - *status->started >= run_time);
}

TEST_CASE("NoopEngine stops a running container with exit code 143, as SIGTERM would") {
  NoopFixture f;  // runs for an hour
  auto started = f.engine().Start(f.Spec({"sleep", "3600"}));
  GOFER_REQUIRE_OK(started);
  CHECK(f.engine().Inspect(started->id)->state == ContainerState::kRunning);
  GOFER_REQUIRE_OK(f.engine().Stop(started->id, absl::Seconds(30)));
  auto status = f.engine().Inspect(started->id);
  GOFER_REQUIRE_OK(status);
  CHECK(status->state == ContainerState::kExited);
  CHECK(status->exit_code == 143);
  GOFER_REQUIRE_OK(f.engine().Stop(started->id, absl::ZeroDuration()));  // again: no change
  CHECK(f.engine().Inspect(started->id)->exit_code == 143);
}

TEST_CASE("NoopEngine logs the entrypoint and command as one stdout line at the start") {
  NoopFixture f(NoopOptions{});
  ContainerSpec spec = f.Spec({"first", "second"});
  spec.entrypoint = {"echo", "entry"};
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  const absl::Time start_time = *f.engine().Inspect(started->id)->started;

  const std::vector<LogChunk> all = ReadLogs(f.engine(), started->id);
  REQUIRE(all.size() == 1);
  CHECK(all[0].stream == OutputStream::kStdout);
  CHECK(all[0].data == "echo entry first second\n");
  CHECK(all[0].offset == 0);
  CHECK(all[0].time == start_time);

  const std::vector<LogChunk> tail = ReadLogs(f.engine(), started->id, {.offset = 5});
  REQUIRE(tail.size() == 1);
  CHECK(tail[0].data == "entry first second\n");
  CHECK(tail[0].offset == 5);
  CHECK(ReadLogs(f.engine(), started->id, {.offset = 100}).empty());

  CHECK(Text(ReadLogs(f.engine(), started->id, {.since = start_time}), OutputStream::kStdout) ==
        "echo entry first second\n");
  CHECK(ReadLogs(f.engine(), started->id, {.since = start_time + absl::Nanoseconds(1)}).empty());
}

TEST_CASE("NoopEngine follows a running container's log until it is stopped") {
  NoopFixture f;
  auto started = f.engine().Start(f.Spec({"serve"}));
  GOFER_REQUIRE_OK(started);
  auto reader = f.engine().OpenLogs(started->id, {.follow = true});
  GOFER_REQUIRE_OK(reader);
  std::vector<LogChunk> chunks;
  auto more = (*reader)->Read(absl::ZeroDuration(), 1 << 20, &chunks);
  GOFER_REQUIRE_OK(more);
  CHECK(*more);
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].data == "serve\n");
  more = (*reader)->Read(absl::Milliseconds(1), 1 << 20, &chunks);  // running: more may follow
  GOFER_REQUIRE_OK(more);
  CHECK(*more);
  CHECK(chunks.size() == 1);
  GOFER_REQUIRE_OK(f.engine().Stop(started->id, absl::ZeroDuration()));
  more = (*reader)->Read(absl::Seconds(60), 1 << 20, &chunks);
  GOFER_REQUIRE_OK(more);
  CHECK_FALSE(*more);
  CHECK(chunks.size() == 1);
}

TEST_CASE("NoopEngine journals every successful start, across engine instances") {
  TempDir dir;
  const std::string journal = dir.File("journal");
  {
    NoopFixture f({.journal = journal});
    GOFER_REQUIRE_OK(f.engine().Start({.name = "a"}));
    GOFER_REQUIRE_OK(f.engine().Start({.name = "b"}));
    GOFER_REQUIRE_CODE(f.engine().Start({.name = "a"}), absl::StatusCode::kAlreadyExists);
    CHECK(ReadWhole(journal) == "a\nb\n");  // written before Start returned
  }
  // A restarted scheduler's engine is empty: only the journal shows that "a" started twice.
  NoopFixture restarted({.journal = journal});
  GOFER_REQUIRE_OK(restarted.engine().Start({.name = "c"}));
  GOFER_REQUIRE_OK(restarted.engine().Start({.name = "a"}));
  CHECK(ReadWhole(journal) == "a\nb\nc\na\n");
}

TEST_CASE("NoopEngine starts each name once when starts race") {
  TempDir dir;
  const std::string journal = dir.File("journal");
  NoopFixture f({.journal = journal});
  constexpr int kThreads = 4;
  constexpr int kNames = 200;
  std::atomic<int> successes{0};
  std::atomic<int> other_errors{0};  // Catch2 assertions are not thread-safe
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kNames; ++i) {
        auto started = f.engine().Start({.name = "task-" + std::to_string(i)});
        if (started.ok()) {
          ++successes;
        } else if (started.status().code() != absl::StatusCode::kAlreadyExists) {
          ++other_errors;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(successes.load() == kNames);
  CHECK(other_errors.load() == 0);
  std::istringstream lines(ReadWhole(journal));
  std::set<std::string> names;
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    names.insert(line);
  }
  CHECK(count == kNames);
  CHECK(names.size() == static_cast<size_t>(kNames));
  CHECK(f.engine().List({})->size() == static_cast<size_t>(kNames));
}

TEST_CASE("NoopEngine lists by label in id order and forgets a removed container") {
  NoopFixture f(NoopOptions{});
  std::vector<std::string> ids;
  for (const char* attempt : {"x", "y", "x"}) {
    ContainerSpec spec = f.Spec({"true"});
    spec.labels["gofer.attempt"] = attempt;
    auto started = f.engine().Start(spec);
    GOFER_REQUIRE_OK(started);
    ids.push_back(started->id);
  }
  auto listed = f.engine().List({{"gofer.attempt", "x"}});
  GOFER_REQUIRE_OK(listed);
  REQUIRE(listed->size() == 2);
  CHECK(listed->at(0).id < listed->at(1).id);
  CHECK(std::set<std::string>{listed->at(0).id, listed->at(1).id} ==
        std::set<std::string>{ids[0], ids[2]});

  const std::string name = f.engine().Inspect(ids[0])->name;
  GOFER_REQUIRE_OK(f.engine().Remove(ids[0], false));  // exited: no force needed
  GOFER_REQUIRE_CODE(f.engine().Inspect(ids[0]), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().Inspect(name), absl::StatusCode::kNotFound);
  CHECK(f.engine().List({{"gofer.attempt", "x"}})->size() == 1);
  GOFER_REQUIRE_OK(f.engine().Start({.name = name}));  // the name is free again
}

TEST_CASE("NoopEngine refuses exec into an existing container with FAILED_PRECONDITION") {
  NoopFixture f;
  auto started = f.engine().Start(f.Spec({"sleep", "3600"}));
  GOFER_REQUIRE_OK(started);
  auto exec = f.engine().Exec({.container = started->id, .command = {"sh"}});
  GOFER_REQUIRE_CODE(exec, absl::StatusCode::kFailedPrecondition);
  CHECK(exec.status().message() == "exec is not supported by the noop backend");
  CHECK(GetErrorDetails(exec.status()).reason == "FAILED_PRECONDITION");
}

TEST_CASE("NoopEngine refuses invalid options and a journal it cannot open") {
  GOFER_REQUIRE_CODE(NoopEngine::Create({.run_time = -absl::Seconds(1)}),
                     absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(NoopEngine::Create({.exit_code = 256}), absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(NoopEngine::Create({.journal = "/nonexistent-gofer-dir/journal"}),
                     absl::StatusCode::kFailedPrecondition);
}

}  // namespace gofer::scheduler
