// The ready queue in Redis: a sorted set of run keys ("<namespace>/<pipeline>/<run>") scored by
// when each run is due (Unix milliseconds). It holds no state of its own: it can be flushed at
// any time and is rebuilt from Postgres (Rebuild), which is the source of truth.
//
// Claim() hands due runs to a replica together with their leases, in one Lua script, so a run is
// never handed to two replicas at once: for each due run it takes the lease (SET NX PX) and
// pushes the run's score to the lease's expiry, so that if the replica dies the run becomes due
// again exactly when its lease lapses. A due run whose lease another replica holds is pushed to
// that lease's expiry; one this replica already holds comes back as a nudge (something asked
// for the run to be looked at, such as a cancellation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/redis/client.h"
#include "gofer/redis/script.h"

namespace gofer::run_queue {

// What one Claim returned.
struct Claims {
  // Runs whose lease this replica just took.
  std::vector<std::string> acquired;
  // Due runs this replica already held.
  std::vector<std::string> nudged;
};

class ReadyQueue {
 public:
  // `prefix` namespaces the keys ("gofer:"): the set is <prefix>ready, leases are
  // <prefix>lease:<run key> (LeaseManager with prefix <prefix>lease:), the marker is
  // <prefix>ready-marker. `pool` must outlive the queue.
  explicit ReadyQueue(redis::Pool& pool, std::string prefix = "gofer:");

  // The lease key prefix to give LeaseManager.
  std::string lease_prefix() const { return prefix_ + "lease:"; }

  // Claims up to `limit` runs due at `now` for `holder` with leases of `ttl`.
  absl::StatusOr<Claims> Claim(const std::string& holder, absl::Duration ttl, absl::Time now,
                               int limit);

  // Makes `run` due at `when` (replacing its score).
  absl::Status Schedule(const std::string& run, absl::Time when);
  // Adds many at once, each only if absent.
  absl::Status ScheduleAllIfAbsent(const std::vector<std::pair<std::string, absl::Time>>& runs);
  // Removes a finished run.
  absl::Status Remove(const std::string& run);

  // False when the queue was never built or Redis lost it (flushed, restarted empty): the caller
  // rebuilds it from Postgres and then calls MarkBuilt.
  absl::StatusOr<bool> IsBuilt();
  absl::Status MarkBuilt();

 private:
  redis::Pool& pool_;
  const std::string prefix_;
  const std::string set_;
  const std::string marker_;
  const redis::Script claim_;
};

}  // namespace gofer::run_queue
