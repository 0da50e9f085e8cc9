// `gofer task attach` (F-DBG-1) as a process against a real stack: an api-gateway process
// forwarding to a run-queue replica and relaying attach sessions to the scheduler (local
// backend: the task is a real process, the shell runs in its namespaces), over the test
// Postgres and Redis. The interactive case runs the CLI on a pseudo-terminal the test holds,
// playing the user at the keyboard.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_gateway.h"
#include "gofer/testing/eventually.h"
#include "stack.h"

extern char** environ;

namespace gofer {
namespace {

using e2e::CliResult;
using e2e::Gateway;
using e2e::ParseJson;
using run_queue::testing::Stack;

// One task that runs for five minutes unless cancelled.
constexpr char kSleeper[] = R"(id: sleeper
tasks:
  - id: wait
    image: busybox
    script: sleep 300
)";

// One task that ends at once.
constexpr char kQuick[] = R"(id: quick
tasks:
  - id: once
    image: busybox
    script: echo done
)";

// A process on a pseudo-terminal of its own (forkpty, 24x80): the test is the user at the
// terminal. Not thread-safe.
class TerminalProcess {
 public:
  // Starts `argv` with this process's environment plus `env` (which wins).
  TerminalProcess(const std::vector<std::string>& argv, std::map<std::string, std::string> env) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      env.emplace(entry.substr(0, entry.find('=')), entry.substr(entry.find('=') + 1));
    }
    // Everything the child needs is built before fork: after it, only exec.
    std::vector<std::string> env_strings;
    for (const auto& [key, value] : env) {
      env_strings.push_back(key + "=" + value);
    }
    std::vector<char*> argv_c, env_c;
    for (const std::string& a : argv) {
      argv_c.push_back(const_cast<char*>(a.c_str()));
    }
    for (const std::string& e : env_strings) {
      env_c.push_back(const_cast<char*>(e.c_str()));
    }
    argv_c.push_back(nullptr);
    env_c.push_back(nullptr);
    winsize size{24, 80, 0, 0};
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      execve(argv_c[0], argv_c.data(), env_c.data());
      _exit(127);
    }
    REQUIRE(pid_ > 0);
    fcntl(master_, F_SETFL, O_NONBLOCK);
  }

  ~TerminalProcess() {
    if (!exit_code_.has_value()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(master_);
  }

  // Writes `text` as typed keys.
  void Type(const std::string& text) {
    REQUIRE(write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

  // Reads output until `text` appeared (true) or `timeout` passed (false).
  bool WaitForOutput(const std::string& text, absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (output_.find(text) == std::string::npos) {
      if (absl::Now() >= deadline || !ReadSome(deadline)) {
        return false;
      }
    }
    return true;
  }

  // Polls the terminal's modes until `predicate` holds for them (true) or `timeout` passes.
  bool WaitForModes(bool (*predicate)(const termios&), absl::Duration timeout = absl::Seconds(30)) {
    return testing::Eventually([&] { return predicate(Modes()); }, timeout, absl::Milliseconds(10));
  }

  // The terminal's modes now (the master shares them with the process's side).
  termios Modes() const {
    termios modes{};
    tcgetattr(master_, &modes);
    return modes;
  }

  void Signal(int signal_number) { kill(pid_, signal_number); }

  // Changes the terminal's size (the process gets SIGWINCH).
  void Resize(unsigned short rows, unsigned short columns) {
    const winsize size{rows, columns, 0, 0};
    REQUIRE(ioctl(master_, TIOCSWINSZ, &size) == 0);
  }

  // Reads the rest of the output until the process closed the terminal, then reaps it; its
  // exit code (128 + signal when killed), or nullopt when it did not end within `timeout`.
  std::optional<int> Wait(absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (ReadSome(deadline)) {
    }
    while (absl::Now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  const std::string& output() const { return output_; }

 private:
  // Reads what is available, waiting until `deadline`; false at the end of the output (every
  // holder of the terminal's other side closed it) or at the deadline.
  bool ReadSome(absl::Time deadline) {
    pollfd p{master_, POLLIN, 0};
    const int64_t wait_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (poll(&p, 1, static_cast<int>(wait_ms)) <= 0) {
      return false;
    }
    char buffer[4096];
    const ssize_t n = read(master_, buffer, sizeof buffer);
    if (n > 0) {
      output_.append(buffer, static_cast<size_t>(n));
      return true;
    }
    return n < 0 && (errno == EAGAIN || errno == EINTR);  // EIO: the other side is closed
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
  std::optional<int> exit_code_;
};

bool Raw(const termios& t) { return (t.c_lflag & (ECHO | ICANON)) == 0; }
bool Cooked(const termios& t) { return (t.c_lflag & ECHO) != 0 && (t.c_lflag & ICANON) != 0; }

size_t Occurrences(const std::string& haystack, const std::string& needle) {
  size_t count = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// A run-queue stack and a gateway process in front of it (relaying attach sessions to the
// stack's scheduler), with an admin token saved.
struct AttachOverStack {
  Stack stack;
  Gateway gateway{{.run_queue_address = stack.replica_address(),
                   .internal_credential = run_queue::testing::kCredential,
                   .events_schema = stack.events_schema().name(),
                   .scheduler_address = stack.scheduler_address()}};

  AttachOverStack() { gateway.Bootstrap(); }

  // Registers and deploys pipeline `yaml`, starts run 1 and waits until its only task is in
  // `state`; returns the task as JSON.
  nlohmann::json StartRun(const std::string& id, const std::string& yaml,
                          const std::string& state) {
    gateway.MustRun({"pipeline", "register", gateway.WriteFile(id + ".yaml", yaml)});
    gateway.MustRun({"deploy", id, "1"});
    gateway.MustRun({"run", "start", id});
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    nlohmann::json task;
    do {
      task =
          ParseJson(gateway.MustRun({"-o", "json", "task", "list", id, "1"}))["task_executions"][0];
    } while (task["state"] != state && absl::Now() < deadline);
    INFO(task.dump(2));
    REQUIRE(task["state"] == state);
    return task;
  }

  // `gofer task attach PIPELINE 1 TASK` on a pseudo-terminal.
  std::unique_ptr<TerminalProcess> AttachOnTerminal(const std::string& pipeline,
                                                    const std::string& task) {
    std::map<std::string, std::string> env = gateway.CliEnvironment();
    env["TERM"] = "dumb";
    return std::make_unique<TerminalProcess>(
        std::vector<std::string>{Gateway::GoferBinary(), "task", "attach", pipeline, "1", task},
        env);
  }

  // The attach events (task.attached, task.detached) of `pipeline`, oldest first.
  std::vector<nlohmann::json> AttachEvents(const std::string& pipeline) {
    const nlohmann::json listed =
        ParseJson(gateway.MustRun({"-o", "json", "event", "list", "-n", "default", "--pipeline",
                                   pipeline, "--kind", "task."}));
    std::vector<nlohmann::json> out;
    for (const nlohmann::json& e : listed["events"]) {
      if (e["kind"] == "task.attached" || e["kind"] == "task.detached") {
        out.push_back(e);
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("task attach on a terminal runs a shell that echoes input once and passes on its exit") {
  AttachOverStack s;
  const nlohmann::json task = s.StartRun("sleeper", kSleeper, "TASK_EXECUTION_STATE_RUNNING");
  CHECK_FALSE(task["container"].get<std::string>().empty());

  auto cli = s.AttachOnTerminal("sleeper", "wait");
  // Raw mode before anything is typed: from then on, only the remote terminal echoes.
  REQUIRE(cli->WaitForModes(Raw));
  cli->Type("echo hello-$((40+2))\r");
  const bool answered = cli->WaitForOutput("hello-42");
  INFO(cli->output());
  REQUIRE(answered);
  CHECK(Occurrences(cli->output(), "echo hello-$((40+2))") == 1);
  // The remote terminal has the local one's size, and follows it when it changes.
  cli->Type("stty size\r");
  CHECK(cli->WaitForOutput("24 80"));
  cli->Resize(30, 100);
  bool resized = false;  // SIGWINCH may reach the CLI just after the next keys: ask again
  for (int i = 0; i < 50 && !resized; ++i) {
    cli->Type("stty size\r");
    resized = cli->WaitForOutput("30 100", absl::Milliseconds(200));
  }
  CHECK(resized);
  cli->Type("exit 7\r");
  const std::optional<int> exit_code = cli->Wait();
  INFO(cli->output());
  CHECK(exit_code == std::optional<int>(7));
  CHECK(cli->WaitForModes(Cooked));  // the terminal is given back as it was

  // A signal from outside ends the CLI with the terminal restored too.
  auto killed = s.AttachOnTerminal("sleeper", "wait");
  REQUIRE(killed->WaitForModes(Raw));
  killed->Type("echo up-$((1+1))\r");
  REQUIRE(killed->WaitForOutput("up-2"));  // the session is established
  killed->Signal(SIGTERM);
  CHECK(killed->Wait() == 128 + SIGTERM);
  CHECK(Cooked(killed->Modes()));

  std::vector<nlohmann::json> events;
  REQUIRE(testing::Eventually([&] {
    events = s.AttachEvents("sleeper");
    return events.size() >= 4;  // the killed session is recorded once the gateway notices
  }));
  INFO(nlohmann::json(events).dump(2));
  CHECK(events[0]["kind"] == "task.attached");
  CHECK(events[0]["task_id"] == "wait");
  CHECK(events[0]["actor"] == "token:bootstrap");
  const nlohmann::json attached = ParseJson(events[0]["details"].get<std::string>());
  CHECK(attached["command"] == nlohmann::json::array({"/bin/sh"}));
  CHECK(attached["tty"] == true);
  CHECK(events[1]["kind"] == "task.detached");
  CHECK(ParseJson(events[1]["details"].get<std::string>())["exit_code"] == 7);
  CHECK(events[3]["kind"] == "task.detached");  // the killed CLI's session, cut off
  CHECK(ParseJson(events[3]["details"].get<std::string>())["status"] == "CANCELLED");

  s.gateway.MustRun({"run", "cancel", "sleeper", "1", "--grace", "1s"});
}

TEST_CASE("task attach with piped stdin runs the piped commands without a terminal") {
  AttachOverStack s;
  s.StartRun("sleeper", kSleeper, "TASK_EXECUTION_STATE_RUNNING");
  const CliResult piped =
      s.gateway.RunShell("echo 'echo piped' | \"$GOFER\" task attach sleeper 1 wait");
  INFO(piped.output);
  CHECK(piped.exit_code == 0);
  CHECK(piped.output == "piped");
  // stdout and stderr stay apart, and the command's exit code is the CLI's.
  const CliResult failing = s.gateway.RunShell(
      "echo 'echo out; echo err >&2; exit 3' | \"$GOFER\" task attach sleeper 1 wait "
      "2>/dev/null");
  INFO(failing.output);
  CHECK(failing.exit_code == 3);
  CHECK(failing.output == "out");
  const CliResult command = s.gateway.RunShell(
      "\"$GOFER\" task attach sleeper 1 wait --command echo from-command </dev/null");
  CHECK(command.output == "from-command");
  s.gateway.MustRun({"run", "cancel", "sleeper", "1", "--grace", "1s"});
}

TEST_CASE("task attach to a finished task fails, naming the task's state") {
  AttachOverStack s;
  s.StartRun("quick", kQuick, "TASK_EXECUTION_STATE_COMPLETE");
  const CliResult result =
      s.gateway.RunShell("echo 'echo hi' | \"$GOFER\" task attach quick 1 once");
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output ==
        "gofer: task 'once' of run 1 is complete; only a running task can be attached to");
}

TEST_CASE("task attach fails when the operator turned attach off") {
  Gateway gateway({.settings = {{"ATTACH_ENABLED", "false"}}});
  gateway.Bootstrap();
  const CliResult result = gateway.RunShell("\"$GOFER\" task attach any 1 task </dev/null");
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("attach is disabled by the operator") != std::string::npos);
}

}  // namespace gofer
