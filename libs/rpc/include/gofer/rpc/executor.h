// A bounded thread pool for blocking work (libpqxx, hiredis, libcurl), which must never run on
// gRPC's own callback threads (gRFC L67).
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace gofer::rpc {

// Runs submitted tasks on `threads` worker threads with at most `queue_limit` tasks waiting.
// Thread-safe.
class BoundedExecutor {
 public:
  BoundedExecutor(int threads, int queue_limit);
  // Shuts down (see Shutdown).
  ~BoundedExecutor();
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Queues `task`. Returns false, without queueing, when every worker is running a task and
  // `queue_limit` tasks already wait, or after Shutdown; the caller then answers
  // RESOURCE_EXHAUSTED.
  [[nodiscard]] bool TrySubmit(std::function<void()> task);

  // Queues `task` whatever the queue's length: for the next step of work already admitted
  // with TrySubmit (the next chunk of a stream), which must not be dropped half-way. Returns
  // false only after Shutdown.
  [[nodiscard]] bool Submit(std::function<void()> task);

  // Stops accepting tasks, runs every task already queued, and joins the workers. Idempotent.
  void Shutdown();

  // Tasks queued but not started.
  int queued() const;
  // Tasks running now.
  int running() const;

 private:
  void Work();

  const int threads_;
  const int queue_limit_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex shutdown_mu_;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(shutdown_mu_);
};

}  // namespace gofer::rpc
