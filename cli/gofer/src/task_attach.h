// `gofer task attach`: an interactive command (by default a shell) in a running task's
// container, through TaskService.AttachTask (F-DBG-1).
//
// When stdin is a terminal the session gets a remote pseudo-terminal: the local terminal is put
// in raw mode (the remote terminal echoes and interprets keys such as Ctrl-C and Ctrl-D, so
// nothing is echoed twice), its size is sent at the start and on every SIGWINCH, and it is
// restored on every way out (including SIGINT, SIGTERM, SIGHUP and SIGQUIT from outside).
// Otherwise stdin, stdout and stderr are plain pipes: stdin is copied until its end, which
// closes the command's stdin.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "context.h"
#include "run_client.h"

namespace gofer::cli {

// Runs `command` (empty: the server's default, /bin/sh) in task `ref.task`, copying stdin to it
// and its output to stdout and stderr until it exits. Returns its exit code, or the call's
// status (FAILED_PRECONDITION when the task is not running or attach is disabled).
absl::StatusOr<int> AttachToTask(Context& ctx, const RunRef& ref,
                                 const std::vector<std::string>& command);

}  // namespace gofer::cli
