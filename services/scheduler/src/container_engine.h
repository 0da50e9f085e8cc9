// The seam between the scheduler and whatever runs containers: docker (the Engine API), local
// sandboxed processes, and later kubernetes (Pods). No proto types and no engine library types
// appear here; the gRPC adapter maps these to gofer.scheduler.v1 and back.
//
// Error policy of every implementation:
//   NOT_FOUND            the container does not exist, or is not one of the scheduler's (it
//                        lacks the label gofer.managed=true)
//   ALREADY_EXISTS       Start with a name that is taken (metadata `scheduler_id` names it)
//   FAILED_PRECONDITION  the image cannot be pulled (the engine's message), the container is
//                        not running (exec), removing a running container without force
//   INVALID_ARGUMENT     the spec is malformed for this engine
//   UNAVAILABLE          the engine could not be reached or answered "try again" (transient;
//                        RetryingEngine retries these with backoff)
//   INTERNAL             the engine answered something the scheduler does not understand
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gofer::scheduler {

// The label every container started by the scheduler carries; nothing without it is ever
// listed, stopped or removed.
inline constexpr char kManagedLabel[] = "gofer.managed";
inline constexpr char kManagedValue[] = "true";

using Labels = std::map<std::string, std::string>;

enum class NetworkMode { kNone, kBridge, kHost };

enum class ContainerState { kUnknown, kCreated, kRunning, kPaused, kRestarting, kExited, kDead };

enum class OutputStream { kStdout, kStderr };

// Credentials for a registry pull. The password is never logged, stored or put in an error.
struct RegistryAuth {
  std::string username;
  std::string password;
};

// Limits; zero means none.
struct Resources {
  int64_t cpu_millis = 0;    // 1000 = one core
  int64_t memory_bytes = 0;  // hard limit; exceeding it OOM-kills the container
  int64_t pids = 0;          // processes and threads at once
};

// What to run.
struct ContainerSpec {
  std::string name;
  std::string image;
  // Environment of the main process, in order. Values are never logged.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> entrypoint;  // empty: the image's
  std::vector<std::string> command;     // empty: the image's
  std::string working_dir;              // empty: the image's (or the backend's default)
  std::optional<RegistryAuth> registry_auth;
  bool always_pull = false;
  Resources resources;
  // The caller's labels; the engine adds gofer.managed=true.
  Labels labels;
  NetworkMode network = NetworkMode::kNone;
};

// Where a started container runs.
struct StartedContainer {
  std::string id;
  std::string node;
  // Registry digest ("repo@sha256:..."), else the engine's image id; empty when not applicable.
  std::string image_digest;
};

// A container's state as the engine reports it.
struct ContainerStatus {
  std::string id;
  std::string name;
  ContainerState state = ContainerState::kUnknown;
  int exit_code = 0;  // meaningful when exited; 128 + signal when killed by a signal
  bool oom_killed = false;
  std::optional<absl::Time> started;
  std::optional<absl::Time> finished;
  Labels labels;
  std::string image;
  std::string image_digest;
  std::string node;
  std::string error;  // the engine's message when running it failed
};

// Which output to read.
struct LogOptions {
  // Bytes of output (both streams, in order) to skip from the very beginning.
  int64_t offset = 0;
  // Only output written at or after this time (not combined with offset).
  absl::Time since = absl::InfinitePast();
  // Keep reading new output until the container exits.
  bool follow = false;
};

// A piece of output.
struct LogChunk {
  OutputStream stream = OutputStream::kStdout;
  absl::Time time;
  int64_t offset = 0;  // bytes of output before it
  std::string data;
};

// Reads one container's output in order. Used by one thread at a time.
class LogReader {
 public:
  virtual ~LogReader() = default;

  // Appends the chunks available now (about `max_bytes` at most) to `out`, waiting up to
  // `max_wait` for the first. Returns true while more may follow and false at the end: without
  // follow, once everything written so far was returned; with follow, once the container has
  // exited and everything was returned.
  virtual absl::StatusOr<bool> Read(absl::Duration max_wait, size_t max_bytes,
                                    std::vector<LogChunk>* out) = 0;
};

// The size of a terminal.
struct TerminalSize {
  uint32_t rows = 0;
  uint32_t columns = 0;
};

// A command to run inside a running container.
struct ExecSpec {
  std::string container;
  std::vector<std::string> command;
  bool tty = false;
  std::vector<std::pair<std::string, std::string>> env;  // values never logged
  std::string working_dir;
  TerminalSize size;
};

// Output of an exec session.
struct ExecOutput {
  OutputStream stream = OutputStream::kStdout;
  std::string data;
};

// An interactive command. One thread may read output while another writes input, resizes or
// closes stdin; otherwise calls are not concurrent. Destroying it detaches from the command.
class ExecSession {
 public:
  virtual ~ExecSession() = default;

  // Writes all of `data` to the command's standard input.
  virtual absl::Status WriteStdin(std::string_view data) = 0;
  // Closes the command's standard input (end of file).
  virtual absl::Status CloseStdin() = 0;
  // Resizes the command's terminal (tty sessions; a no-op otherwise).
  virtual absl::Status Resize(TerminalSize size) = 0;
  // Appends the output available now to `out`, waiting up to `max_wait` for some. Returns
  // false once the command has exited and all its output was returned.
  virtual absl::StatusOr<bool> ReadOutput(absl::Duration max_wait,
                                          std::vector<ExecOutput>* out) = 0;
  // The command's exit code; only after ReadOutput returned false.
  virtual absl::StatusOr<int> ExitCode() = 0;
};

// Keeps a Watch callback registered; destroying it unregisters the callback and returns only
// once no call of it is running.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

// Runs containers. Containers are named by their engine id or their name wherever an `id` is
// taken. Implementations are thread-safe.
class ContainerEngine {
 public:
  virtual ~ContainerEngine() = default;

  // "docker", "local", ...
  virtual std::string_view kind() const = 0;

  // OK when the engine answers.
  virtual absl::Status Ping() = 0;

  // Pulls the image when missing (or always with always_pull), creates and starts the
  // container. On failure after creating it, the container is left for Inspect to explain.
  virtual absl::StatusOr<StartedContainer> Start(const ContainerSpec& spec) = 0;

  // SIGTERM, up to `grace`, then SIGKILL; returns once the container is not running. Stopping
  // a container that is not running is OK.
  virtual absl::Status Stop(std::string_view id, absl::Duration grace) = 0;

  // The container's state.
  virtual absl::StatusOr<ContainerStatus> Inspect(std::string_view id) = 0;

  // Every container of the scheduler carrying all of `labels`, ordered by id.
  virtual absl::StatusOr<std::vector<ContainerStatus>> List(const Labels& labels) = 0;

  // Removes the container and its logs; a running one only with `force` (killed first).
  virtual absl::Status Remove(std::string_view id, bool force) = 0;

  // A reader of the container's output.
  virtual absl::StatusOr<std::unique_ptr<LogReader>> OpenLogs(std::string_view id,
                                                              const LogOptions& options) = 0;

  // Starts `spec.command` in the running container `spec.container`.
  virtual absl::StatusOr<std::unique_ptr<ExecSession>> Exec(const ExecSpec& spec) = 0;

  // Calls `on_change` (on an engine thread; it must return quickly) whenever container `id` may
  // have changed state, until the subscription is destroyed. Calls may be spurious (after a
  // reconnect, say), so the callee re-inspects.
  virtual std::unique_ptr<Subscription> Watch(std::string_view id,
                                              std::function<void()> on_change) = 0;
};

// "created", "running", ... for messages and logs.
std::string_view ContainerStateName(ContainerState state);

// True for states a container does not leave by itself (exited, dead).
bool IsTerminal(ContainerState state);

// True when `labels` contains every entry of `filter`.
bool MatchesLabels(const Labels& labels, const Labels& filter);

}  // namespace gofer::scheduler
