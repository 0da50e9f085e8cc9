// How the local backend builds a sandbox: bubblewrap's arguments, the environment, cgroup v1
// directories with limits, and starting a detached process. Internal to the local backend.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "container_engine.h"
#include "local_engine.h"

namespace gofer::scheduler::local {

// The capabilities a sandboxed command keeps: docker's default set (bwrap keeps all of root's
// otherwise).
const std::vector<std::string>& DefaultCapabilities();

// bwrap's arguments (program first) for `spec` in container directory `dir`: /usr read-only
// (with the /bin, /sbin, /lib, /lib64 links of a merged-/usr system), /proc, a minimal /dev, a
// private /tmp, DIR/workspace at /workspace, new IPC/PID/UTS/cgroup namespaces and a network
// namespace with only loopback when the spec asks for no network (host and bridge share the
// host's: the local backend has no bridge),
// the command as PID 1 (so SIGTERM reaches it only when it handles it, as in docker), and
// bwrap's status on fd 3.
std::vector<std::string> BwrapArgs(const std::string& bwrap, const ContainerSpec& spec,
                                   const std::string& dir, const std::string& hostname);

// The command's environment: the spec's, plus PATH, HOME and HOSTNAME when it sets none.
std::vector<std::string> SandboxEnvironment(const ContainerSpec& spec, const std::string& hostname);

// Creates the container's cgroups under options.cgroup_root/{memory,pids,cpu}/<parent>/<id> —
// each only where the hierarchy is writable — and writes the limits `resources` asks for.
// Returns the directories created and, in `skipped`, the limits that could not be applied.
std::vector<std::string> CreateCgroups(const LocalOptions& options, const std::string& id,
                                       const Resources& resources,
                                       std::vector<std::string>* skipped);

// Removes cgroup directories (after their processes are gone); best effort.
void RemoveCgroups(const std::vector<std::string>& cgroups);

// Starts argv[0] with exactly `env` in a new session, re-parented away from this process (a
// double fork, so the scheduler neither waits for it nor takes it down), with stdin from
// /dev/null and stdout/stderr appended to `log`. FAILED_PRECONDITION when it cannot be executed.
absl::Status SpawnDetached(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, const std::string& log);

}  // namespace gofer::scheduler::local
