// The conformance suite of ContainerEngine: every backend passes it where it applies. A test
// file instantiates it with GOFER_ENGINE_CONFORMANCE("Name", Fixture) (or only the groups of
// cases that apply to its backend, see the end of this file), where Fixture is
// default-constructible (one per test case; it removes what the case started) and offers
//   ContainerEngine& engine();                   the engine under test
//   ContainerEngine& Restart();                  destroys the engine and makes a new instance
//                                                on the same backend state, as a scheduler
//                                                restart does; engine() is then the new one
//                                                (needed by the restart group only)
//   ContainerSpec Spec(std::vector<std::string> command);
//                                                a spec running `command` (argv) in the test
//                                                image, with a unique name and the case's labels
// Commands use only what both busybox (the docker test image) and the host (the local
// backend) provide: sh, echo, cat, sleep, tty, seq. Waits poll with a deadline; nothing
// asserts on timing.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "container_engine.h"
#include "engine_conformance_support.h"
#include "gofer/common/errors.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler::conformance {

template <typename Fixture>
void ReportsTheExitCode() {
  Fixture f;
  auto started = f.engine().Start(f.Spec({"sh", "-c", "exit 3"}));
  GOFER_REQUIRE_OK(started);
  CHECK_FALSE(started->id.empty());
  CHECK_FALSE(started->node.empty());
  const ContainerStatus status = WaitExited(f.engine(), started->id);
  CHECK(status.state == ContainerState::kExited);
  CHECK(status.exit_code == 3);
  CHECK_FALSE(status.oom_killed);
  // Both times are set; their order is not checked (dockerd may record a very short
  // container's start after its exit).
  CHECK(status.started.has_value());
  CHECK(status.finished.has_value());
  CHECK(status.labels.at(kManagedLabel) == kManagedValue);
}

template <typename Fixture>
void PassesTheEnvironment() {
  Fixture f;
  ContainerSpec spec = f.Spec({"sh", "-c", "echo \"$GREETING, $NAME\""});
  spec.env = {{"GREETING", "hello"}, {"NAME", "a b=c"}};
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  CHECK(WaitExited(f.engine(), started->id).exit_code == 0);
  CHECK(Text(ReadLogs(f.engine(), started->id), OutputStream::kStdout) == "hello, a b=c\n");
}

template <typename Fixture>
void RunsTheEntrypointWithTheCommandAsArguments() {
  Fixture f;
  ContainerSpec spec = f.Spec({"first", "second"});
  spec.entrypoint = {"echo", "entry"};
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  CHECK(WaitExited(f.engine(), started->id).exit_code == 0);
  CHECK(Text(ReadLogs(f.engine(), started->id), OutputStream::kStdout) == "entry first second\n");
}

template <typename Fixture>
void KeepsStdoutAndStderrApart() {
  Fixture f;
  auto started =
      f.engine().Start(f.Spec({"sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2"}));
  GOFER_REQUIRE_OK(started);
  WaitExited(f.engine(), started->id);
  const std::vector<LogChunk> chunks = ReadLogs(f.engine(), started->id);
  CHECK(Text(chunks, OutputStream::kStdout) == "out1\nout2\n");
  CHECK(Text(chunks, OutputStream::kStderr) == "err1\nerr2\n");
  int64_t position = 0;
  for (const LogChunk& chunk : chunks) {  // offsets count both streams, in order
    CHECK(chunk.offset == position);
    position += static_cast<int64_t>(chunk.data.size());
  }
  CHECK(position == 20);
}

template <typename Fixture>
void FollowsTheLogFromAnOffsetUntilExit() {
  Fixture f;
  auto started = f.engine().Start(
      f.Spec({"sh", "-c", "echo one; sleep 0.5; echo two >&2; sleep 0.5; echo three"}));
  GOFER_REQUIRE_OK(started);
  // Following starts while the container runs and ends when it exits.
  const std::vector<LogChunk> chunks =
      ReadLogs(f.engine(), started->id, {.offset = 2, .follow = true});
  CHECK(IsTerminal(f.engine().Inspect(started->id)->state));
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].data == "e\n");
  CHECK(chunks[0].offset == 2);
  CHECK(chunks[1].data == "two\n");
  CHECK(chunks[1].stream == OutputStream::kStderr);
  CHECK(chunks[1].offset == 4);
  CHECK(chunks[2].data == "three\n");
  CHECK(chunks[2].offset == 8);
}

template <typename Fixture>
void ReportsAnOomKillUnderAMemoryLimit() {
  Fixture f;
  // The shell doubles a string until the kernel kills it.
  ContainerSpec spec = f.Spec({"sh", "-c", "x=a; while true; do x=\"$x$x\"; done"});
  spec.resources.memory_bytes = 32 << 20;
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  const ContainerStatus status = WaitExited(f.engine(), started->id);
  CHECK(status.oom_killed);
  CHECK(status.exit_code == 137);
}

template <typename Fixture>
void StopsWithinTheGracePeriodWhenSigtermIsHandled() {
  Fixture f;
  const std::string id = StartAndAwait(f,
                                       f.Spec({"sh", "-c",
                                               "trap 'echo terminated; exit 7' TERM; echo ready; "
                                               "while true; do sleep 0.1; done"}),
                                       "ready");
  GOFER_REQUIRE_OK(f.engine().Stop(id, absl::Seconds(30)));
  const ContainerStatus status = f.engine().Inspect(id).value();
  CHECK(status.state == ContainerState::kExited);
  CHECK(status.exit_code == 7);
  CHECK(Text(ReadLogs(f.engine(), id), OutputStream::kStdout) == "ready\nterminated\n");
}

template <typename Fixture>
void KillsAfterTheGracePeriodWhenSigtermIsIgnored() {
  Fixture f;
  // As PID 1 without a handler, the shell never sees SIGTERM; only SIGKILL ends it.
  const std::string id = StartAndAwait(f, f.Spec({"sh", "-c", "echo ready; sleep 1000"}), "ready");
  GOFER_REQUIRE_OK(f.engine().Stop(id, absl::Seconds(1)));
  const ContainerStatus status = f.engine().Inspect(id).value();
  CHECK(status.state == ContainerState::kExited);
  CHECK(status.exit_code == 137);
  GOFER_REQUIRE_OK(f.engine().Stop(id, absl::Seconds(1)));  // stopping again is fine
}

template <typename Fixture>
void ExecsWithATerminal() {
  Fixture f;
  const std::string id = StartAndAwait(f, f.Spec({"sh", "-c", "echo ready; sleep 1000"}), "ready");
  const ExecResult result =
      RunExec(f.engine(),
              {.container = id,
               .command = {"sh", "-c", "tty; read x; echo \"got $x\"; exit 4"},
               .tty = true,
               .env = {{"X", "1"}},
               .size = {24, 80}},
              "hello\n", false);
  INFO(result.out);
  CHECK(result.out.find("/dev/pts/") != std::string::npos);
  CHECK(result.out.find("got hello") != std::string::npos);
  CHECK(result.err.empty());
  CHECK(result.exit_code == 4);
}

// A job-control shell (interactive on a terminal) restores the terminal's foreground process
// group when it exits, which fails unless its session is visible inside the container.
template <typename Fixture>
void ExecsAnInteractiveShellThatExitsWithItsCode() {
  Fixture f;
  const std::string id = StartAndAwait(f, f.Spec({"sh", "-c", "echo ready; sleep 1000"}), "ready");
  const ExecResult result =
      RunExec(f.engine(), {.container = id, .command = {"sh"}, .tty = true, .size = {24, 80}},
              "echo hello-$((40+2))\nexit 7\n", false);
  INFO(result.out);
  CHECK(result.out.find("hello-42") != std::string::npos);
  CHECK(result.out.find("Cannot set tty process group") == std::string::npos);
  CHECK(result.exit_code == 7);
}

template <typename Fixture>
void ExecsWithoutATerminalKeepingStreamsApart() {
  Fixture f;
  ContainerSpec spec = f.Spec({"sh", "-c", "echo ready; sleep 1000"});
  spec.env = {{"FROM_CONTAINER", "c"}};
  const std::string id = StartAndAwait(f, spec, "ready");
  const ExecResult result =
      RunExec(f.engine(),
              {.container = id,
               .command = {"sh", "-c", "cat; echo \"$FROM_CONTAINER$FROM_EXEC\" >&2; exit 5"},
               .env = {{"FROM_EXEC", "e"}}},
              "abc\n", true);
  CHECK(result.out == "abc\n");
  CHECK(result.err == "ce\n");
  CHECK(result.exit_code == 5);
}

template <typename Fixture>
void RefusesExecIntoAStoppedContainer() {
  Fixture f;
  auto started = f.engine().Start(f.Spec({"sh", "-c", "exit 0"}));
  GOFER_REQUIRE_OK(started);
  WaitExited(f.engine(), started->id);
  GOFER_REQUIRE_CODE(f.engine().Exec({.container = started->id, .command = {"true"}}),
                     absl::StatusCode::kFailedPrecondition);
}

template <typename Fixture>
void AdoptsARunningContainerAfterARestart() {
  Fixture f;
  ContainerSpec spec = f.Spec({"sh", "-c", "echo ready; sleep 1000"});
  spec.labels["gofer.attempt"] = "adopt-me";
  const std::string id = StartAndAwait(f, spec, "ready");
  ContainerEngine& restarted = f.Restart();
  auto found = restarted.List({{"gofer.attempt", "adopt-me"}});
  GOFER_REQUIRE_OK(found);
  REQUIRE(found->size() == 1);
  CHECK(found->front().id == id);
  CHECK(found->front().name == spec.name);
  CHECK(found->front().state == ContainerState::kRunning);
  CHECK(Text(ReadLogs(restarted, id), OutputStream::kStdout) == "ready\n");
  GOFER_REQUIRE_OK(restarted.Stop(id, absl::ZeroDuration()));
  CHECK(restarted.Inspect(id)->state == ContainerState::kExited);
  CHECK(restarted.List({{"gofer.attempt", "no-such-attempt"}})->empty());
}

template <typename Fixture>
void WakesAWatcherWhenTheContainerExits() {
  Fixture f;
  const std::string id = StartAndAwait(f, f.Spec({"sh", "-c", "echo ready; sleep 1000"}), "ready");
  std::atomic<int> calls{0};
  std::unique_ptr<Subscription> subscription = f.engine().Watch(id, [&] { ++calls; });
  const int before = calls.load();
  GOFER_REQUIRE_OK(f.engine().Stop(id, absl::ZeroDuration()));
  CHECK(gofer::testing::Eventually([&] { return calls.load() > before; }));
  subscription.reset();  // no call after this returns
  const int after = calls.load();
  GOFER_REQUIRE_OK(f.engine().Remove(id, false));
  CHECK(calls.load() == after);
}

template <typename Fixture>
void AnswersNotFoundForAnUnknownContainer() {
  Fixture f;
  const std::string missing = "gofer-no-such-container";
  GOFER_REQUIRE_CODE(f.engine().Inspect(missing), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().Stop(missing, absl::ZeroDuration()), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().Remove(missing, true), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().OpenLogs(missing, {}), absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(f.engine().Exec({.container = missing, .command = {"true"}}),
                     absl::StatusCode::kNotFound);
}

template <typename Fixture>
void RefusesASecondContainerWithTheSameName() {
  Fixture f;
  const ContainerSpec spec = f.Spec({"sh", "-c", "exit 0"});
  auto first = f.engine().Start(spec);
  GOFER_REQUIRE_OK(first);
  auto second = f.engine().Start(spec);
  GOFER_REQUIRE_CODE(second, absl::StatusCode::kAlreadyExists);
  CHECK(GetErrorDetails(second.status()).metadata["scheduler_id"] == first->id);
  CHECK(f.engine().Inspect(spec.name)->id == first->id);  // names work wherever ids do
}

template <typename Fixture>
void RemovesARunningContainerOnlyWithForce() {
  Fixture f;
  const std::string id = StartAndAwait(f, f.Spec({"sh", "-c", "echo ready; sleep 1000"}), "ready");
  GOFER_REQUIRE_CODE(f.engine().Remove(id, false), absl::StatusCode::kFailedPrecondition);
  GOFER_REQUIRE_OK(f.engine().Remove(id, true));
  GOFER_REQUIRE_CODE(f.engine().Inspect(id), absl::StatusCode::kNotFound);
}

template <typename Fixture>
void LimitsTheNumberOfProcesses() {
  Fixture f;
  ContainerSpec spec = f.Spec({"sh", "-c", "for i in $(seq 1 40); do sleep 1 & done; wait"});
  spec.resources.pids = 10;
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  WaitExited(f.engine(), started->id);
  const std::string err = Text(ReadLogs(f.engine(), started->id), OutputStream::kStderr);
  INFO(err);
  CHECK(err.find("fork") != std::string::npos);
}

}  // namespace gofer::scheduler::conformance

// Instantiates one conformance case for `Fixture`, named "NAME <sentence>".
#define GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, Behaviour, sentence) \
  TEST_CASE(NAME " " sentence) { ::gofer::scheduler::conformance::Behaviour<Fixture>(); }

// The cases are grouped by what a backend must do to pass them. A backend that cannot do what
// a group needs (the noop backend runs no process and keeps no state across a restart)
// instantiates only the groups that apply, and says why it skips the others.
#define GOFER_ENGINE_CONFORMANCE(NAME, Fixture)     \
  GOFER_ENGINE_CONFORMANCE_PROCESSES(NAME, Fixture) \
  GOFER_ENGINE_CONFORMANCE_RESTART(NAME, Fixture)   \
  GOFER_ENGINE_CONFORMANCE_BOOKKEEPING(NAME, Fixture)

// Cases that need the command really run: its exit code, environment, arguments, output
// streams and timing, signal handling, exec sessions and resource limits.
#define GOFER_ENGINE_CONFORMANCE_PROCESSES(NAME, Fixture)                                         \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, ReportsTheExitCode,                                \
                                "reports the exit code and times of a finished container")        \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, PassesTheEnvironment,                              \
                                "passes the environment to the command")                          \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, RunsTheEntrypointWithTheCommandAsArguments,        \
                                "runs the entrypoint with the command as its arguments")          \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, KeepsStdoutAndStderrApart,                         \
                                "keeps stdout and stderr apart in the log, offsets in order")     \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, FollowsTheLogFromAnOffsetUntilExit,                \
                                "follows the log from an offset until the container exits")       \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, ReportsAnOomKillUnderAMemoryLimit,                 \
                                "reports an OOM kill under a memory limit")                       \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, StopsWithinTheGracePeriodWhenSigtermIsHandled,     \
                                "stops a container that handles SIGTERM within the grace period") \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, KillsAfterTheGracePeriodWhenSigtermIsIgnored,      \
                                "kills a container that ignores SIGTERM after the grace period")  \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, ExecsWithATerminal,                                \
                                "runs an exec session on a terminal with stdin")                  \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, ExecsAnInteractiveShellThatExitsWithItsCode,       \
                                "runs an interactive shell on a terminal until its exit code")    \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, ExecsWithoutATerminalKeepingStreamsApart,          \
                                "runs an exec session without a terminal, streams apart")         \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, RefusesExecIntoAStoppedContainer,                  \
                                "refuses exec into a container that is not running")              \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, LimitsTheNumberOfProcesses,                        \
                                "limits the number of processes")

// Cases that need the backend's state to outlive an engine instance (Fixture::Restart).
#define GOFER_ENGINE_CONFORMANCE_RESTART(NAME, Fixture)                              \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, AdoptsARunningContainerAfterARestart, \
                                "lets a restarted engine find a running container by its labels")

// Cases of names, states and notifications that every backend passes, whatever it runs. They
// need only that a container keeps running until it is stopped and that its stdout shows the
// line StartAndAwait waits for.
#define GOFER_ENGINE_CONFORMANCE_BOOKKEEPING(NAME, Fixture)                              \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, WakesAWatcherWhenTheContainerExits,       \
                                "notifies a watcher when the container stops")           \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, AnswersNotFoundForAnUnknownContainer,     \
                                "answers NOT_FOUND for a container that does not exist") \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, RefusesASecondContainerWithTheSameName,   \
                                "refuses a second container with the same name")         \
  GOFER_ENGINE_CONFORMANCE_CASE(NAME, Fixture, RemovesARunningContainerOnlyWithForce,    \
                                "removes a running container only with force")
