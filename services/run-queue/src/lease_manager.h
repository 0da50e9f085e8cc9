// Run leases in Redis, and the thread that keeps them alive.
//
// A replica may work on a run only while it holds the run's lease: a Redis key with a TTL
// naming the holder. Leases give mutual exclusion in time; they do not fence. Fencing comes from
// the run's epoch in Postgres, bumped by whoever acquires the lease, with every state write
// conditional on it (see docs/run-queue.md, "Leases and fencing"): a replica that lost its lease
// (a pause, a partition, Redis flushed) cannot write even if it still believes it holds one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gofer/redis/client.h"
#include "gofer/redis/script.h"

namespace gofer::run_queue {

// Acquires, renews and releases leases. Thread-safe; stateless apart from the pool.
class LeaseManager {
 public:
  // `prefix` namespaces the keys ("gofer:lease:"); `pool` must outlive the manager.
  LeaseManager(redis::Pool& pool, std::string prefix = "gofer:lease:");

  // Takes the lease of `key` for `holder` for `ttl` if nobody holds it. True when taken (or
  // already held by `holder`, which then renews it); false when another holder has it.
  absl::StatusOr<bool> Acquire(const std::string& key, const std::string& holder,
                               absl::Duration ttl);

  // Extends `holder`'s lease of `key` to `ttl` from now. False when `holder` no longer holds it
  // (it expired, another replica took it, or Redis lost it).
  absl::StatusOr<bool> Renew(const std::string& key, const std::string& holder, absl::Duration ttl);

  // Gives up `holder`'s lease of `key`; does nothing when someone else holds it.
  absl::Status Release(const std::string& key, const std::string& holder);

  // The current holder of `key`, or empty.
  absl::StatusOr<std::string> Holder(const std::string& key);

 private:
  redis::Pool& pool_;
  const std::string prefix_;
  const redis::Script renew_;
  const redis::Script release_;
};

// Renews every lease this replica holds from its own thread (never from request or
// orchestration threads, so a busy replica does not lose its leases), every ttl/3. When a
// renewal says the lease is gone, the lease is dropped and `on_lost(key)` is called (from the
// keeper's thread); transient Redis errors are retried at the next tick, and a lease whose
// renewals have failed for a whole TTL is reported lost too. Thread-safe.
class LeaseKeeper {
 public:
  LeaseKeeper(LeaseManager& leases, std::string holder, absl::Duration ttl,
              std::function<void(const std::string& key)> on_lost);
  ~LeaseKeeper();

  // Starts keeping `key` (already acquired by this holder).
  void Keep(const std::string& key);
  // Stops keeping `key` and releases it.
  absl::Status Drop(const std::string& key);
  // Stops keeping `key` without releasing it (it was lost, or taken over).
  void Forget(const std::string& key);
  // Keys kept now.
  int size() const;

 private:
  void Loop();

  LeaseManager& leases_;
  const std::string holder_;
  const absl::Duration ttl_;
  const std::function<void(const std::string&)> on_lost_;
  mutable absl::Mutex mu_;
  // key → time of the last successful renewal
  std::map<std::string, absl::Time> kept_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gofer::run_queue
