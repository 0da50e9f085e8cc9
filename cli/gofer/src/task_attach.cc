#include "task_attach.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <thread>

#include "gofer/v1/runs.grpc.pb.h"

namespace gofer::cli {
namespace {

using Stream =
    grpc::ClientReaderWriter<gofer::v1::AttachTaskRequest, gofer::v1::AttachTaskResponse>;

// What the signal handlers reach: the terminal's settings before raw mode, whether they must
// be restored, and the write end of the pipe that wakes the input thread on SIGWINCH.
termios g_saved_terminal;
volatile sig_atomic_t g_terminal_raw = 0;
volatile sig_atomic_t g_winch_fd = -1;

constexpr int kFatalSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Async-signal-safe (tcsetattr is).
void RestoreTerminal() {
  if (g_terminal_raw != 0) {
    g_terminal_raw = 0;
    tcsetattr(STDIN_FILENO, TCSADRAIN, &g_saved_terminal);
  }
}

extern "C" void OnFatalSignal(int signal_number) {
  RestoreTerminal();
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

extern "C" void OnWindowChange(int) {
  const int saved_errno = errno;
  if (g_winch_fd >= 0) {
    (void)!write(g_winch_fd, "w", 1);
  }
  errno = saved_errno;
}

// The local terminal in raw mode while it lives, restored when it goes (and by a fatal signal);
// SIGWINCH wakes `winch_fd` meanwhile.
class RawTerminal {
 public:
  RawTerminal(int winch_fd) {
    g_winch_fd = winch_fd;
    struct sigaction action {};
    action.sa_handler = OnWindowChange;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGWINCH, &action, &old_winch_);
    if (tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) {
      return;
    }
    action.sa_handler = OnFatalSignal;
    for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
      sigaction(kFatalSignals[i], &action, &old_fatal_[i]);
    }
    termios raw = g_saved_terminal;
    cfmakeraw(&raw);
    g_terminal_raw = 1;
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0) {
      g_terminal_raw = 0;
    }
  }

  ~RawTerminal() {
    RestoreTerminal();
    for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
      sigaction(kFatalSignals[i], &old_fatal_[i], nullptr);
    }
    sigaction(SIGWINCH, &old_winch_, nullptr);
    g_winch_fd = -1;
  }

  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  struct sigaction old_winch_ {};
  struct sigaction old_fatal_[std::size(kFatalSignals)]{};
};

// A pipe with both ends non-blocking and closed on exec; closed with the object.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { (void)!pipe2(fds, O_CLOEXEC | O_NONBLOCK); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

// The terminal's size, when stdin is one.
std::optional<gofer::v1::TerminalSize> TerminalSizeOf(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) {
    return std::nullopt;
  }
  gofer::v1::TerminalSize size;
  size.set_rows(ws.ws_row);
  size.set_columns(ws.ws_col);
  return size;
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // the reader went away; the session goes on until the command exits
    }
    done += static_cast<size_t>(n);
  }
}

// The input side: copies stdin to the stream (its end half-closes the stream) and, with a tty,
// sends a resize on every SIGWINCH, until `stop_fd` becomes readable or the stream breaks.
void CopyInput(Stream& stream, bool tty, int stop_fd, int winch_fd) {
  pollfd fds[3] = {{STDIN_FILENO, POLLIN, 0}, {stop_fd, POLLIN, 0}, {winch_fd, POLLIN, 0}};
  char buffer[32 * 1024];
  gofer::v1::AttachTaskRequest request;
  while (true) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    if (fds[2].revents != 0) {
      while (read(winch_fd, buffer, sizeof buffer) > 0) {
      }
      if (auto size = TerminalSizeOf(STDIN_FILENO); tty && size) {
        *request.mutable_resize() = *size;
        if (!stream.Write(request)) {
          return;
        }
      }
    }
    if (fds[0].revents != 0) {
      const ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
      if (n > 0) {
        request.set_stdin(buffer, static_cast<size_t>(n));
        if (!stream.Write(request)) {
          return;
        }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stream.WritesDone();  // end of stdin: the command's stdin closes
        fds[0].fd = -1;       // poll ignores it from now on
      }
    }
  }
}

}  // namespace

absl::StatusOr<int> AttachToTask(Context& ctx, const RunRef& ref,
                                 const std::vector<std::string>& command) {
  const bool tty = isatty(STDIN_FILENO) != 0;
  gofer::v1::AttachTaskRequest start;
  gofer::v1::AttachTaskStart* s = start.mutable_start();
  s->set_namespace_id(ref.ns);
  s->set_pipeline_id(ref.pipeline);
  s->set_run_id(ref.run_id);
  s->set_task_id(ref.task);
  s->mutable_command()->Assign(command.begin(), command.end());
  s->set_tty(tty);
  if (tty) {
    if (auto size = TerminalSizeOf(STDIN_FILENO)) {
      *s->mutable_size() = *size;
    }
    if (const char* term = std::getenv("TERM"); term != nullptr) {
      s->set_term(term);
    }
  }

  Pipe stop, winch;
  // Raw from before the first byte is sent, so that nothing typed early is echoed locally.
  std::optional<RawTerminal> raw;
  if (tty) {
    raw.emplace(winch.fds[1]);
  }
  auto stub = gofer::v1::TaskService::NewStub(ctx.channel());
  auto call = ctx.NewCall(absl::InfiniteDuration());
  std::unique_ptr<Stream> stream = stub->AttachTask(call.get());
  std::thread input;
  if (stream->Write(start)) {
    input = std::thread(CopyInput, std::ref(*stream), tty, stop.fds[0], winch.fds[0]);
  }
  std::optional<int> exit_code;
  gofer::v1::AttachTaskResponse response;
  while (stream->Read(&response)) {
    if (response.has_stdout()) {
      WriteAll(STDOUT_FILENO, response.stdout());
    } else if (response.has_stderr()) {
      WriteAll(STDERR_FILENO, response.stderr());
    } else if (response.has_exit_code()) {
      exit_code = response.exit_code();
    }
  }
  (void)!write(stop.fds[1], "s", 1);
  if (input.joinable()) {
    input.join();
  }
  const grpc::Status status = stream->Finish();
  raw.reset();
  GOFER_RETURN_IF_ERROR(FromGrpc(status));
  if (!exit_code.has_value()) {
    return absl::InternalError("the session ended without the command's exit code");
  }
  return *exit_code;
}

}  // namespace gofer::cli
