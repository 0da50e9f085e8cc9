// What the ContainerEngine conformance suite and backend tests share: waiting for an exit,
// reading a whole log, running an exec session to its end. Waits poll with generous deadlines
// (safety nets, not timing assertions).
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "container_engine.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler::conformance {

// Polls until the container has exited (fails the test after a generous deadline).
inline ContainerStatus WaitExited(ContainerEngine& engine, const std::string& id) {
  ContainerStatus last;
  const bool exited = gofer::testing::Eventually(
      [&] {
        auto status = engine.Inspect(id);
        GOFER_REQUIRE_OK(status);
        last = *status;
        return IsTerminal(status->state);
      },
      absl::Seconds(60), absl::Milliseconds(10));
  INFO("state " << ContainerStateName(last.state));
  REQUIRE(exited);
  return last;
}

// Reads the whole log (following until the end when options.follow).
inline std::vector<LogChunk> ReadLogs(ContainerEngine& engine, const std::string& id,
                                      const LogOptions& options = {}) {
  auto reader = engine.OpenLogs(id, options);
  GOFER_REQUIRE_OK(reader);
  std::vector<LogChunk> chunks;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    auto more = (*reader)->Read(absl::Milliseconds(50), 1 << 20, &chunks);
    GOFER_REQUIRE_OK(more);
    if (!*more) {
      return chunks;
    }
    REQUIRE(absl::Now() < deadline);
  }
}

// The concatenated data of `chunks` written to `stream`.
inline std::string Text(const std::vector<LogChunk>& chunks, OutputStream stream) {
  std::string text;
  for (const LogChunk& chunk : chunks) {
    if (chunk.stream == stream) {
      text += chunk.data;
    }
  }
  return text;
}

// Starts `spec` and waits until its log shows `line`.
template <typename Fixture>
std::string StartAndAwait(Fixture& f, const ContainerSpec& spec, const std::string& line) {
  auto started = f.engine().Start(spec);
  GOFER_REQUIRE_OK(started);
  REQUIRE(gofer::testing::Eventually(
      [&] {
        return Text(ReadLogs(f.engine(), started->id), OutputStream::kStdout).find(line) !=
               std::string::npos;
      },
      absl::Seconds(60), absl::Milliseconds(20)));
  return started->id;
}

struct ExecResult {
  std::string out;
  std::string err;
  int exit_code = -1;
};

// Runs an exec session to its end, writing `input` first (then closing stdin with `close`).
inline ExecResult RunExec(ContainerEngine& engine, const ExecSpec& spec, const std::string& input,
                          bool close) {
  auto session = engine.Exec(spec);
  GOFER_REQUIRE_OK(session);
  if (!input.empty()) {
    GOFER_REQUIRE_OK((*session)->WriteStdin(input));
  }
  if (close) {
    GOFER_REQUIRE_OK((*session)->CloseStdin());
  }
  ExecResult result;
  std::vector<ExecOutput> output;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    auto more = (*session)->ReadOutput(absl::Milliseconds(50), &output);
    GOFER_REQUIRE_OK(more);
    if (!*more) {
      break;
    }
    REQUIRE(absl::Now() < deadline);
  }
  for (const ExecOutput& piece : output) {
    (piece.stream == OutputStream::kStderr ? result.err : result.out) += piece.data;
  }
  auto code = (*session)->ExitCode();
  GOFER_REQUIRE_OK(code);
  result.exit_code = *code;
  return result;
}

}  // namespace gofer::scheduler::conformance
