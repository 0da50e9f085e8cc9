#include "gofer/rpc/executor.h"

#include <algorithm>

namespace gofer::rpc {

BoundedExecutor::BoundedExecutor(int threads, int queue_limit)
    : threads_(std::max(1, threads)), queue_limit_(std::max(0, queue_limit)) {
  workers_.reserve(threads_);
  for (int i = 0; i < threads_; ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

BoundedExecutor::~BoundedExecutor() { Shutdown(); }

bool BoundedExecutor::TrySubmit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return false;
  }
  // Every worker not running a task (idle, between tasks, or not started yet) will take one;
  // beyond those, tasks must fit in the queue.
  const int free_workers = threads_ - running_;
  if (static_cast<int>(queue_.size()) - free_workers >= queue_limit_) {
    return false;
  }
  queue_.push_back(std::move(task));
  return true;
}

bool BoundedExecutor::Submit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return false;
  }
  queue_.push_back(std::move(task));
  return true;
}

void BoundedExecutor::Work() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](BoundedExecutor* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) {
        return;  // stopping, and nothing left to run
      }
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task();
    absl::MutexLock lock(&mu_);
    --running_;
  }
}

void BoundedExecutor::Shutdown() {
  absl::MutexLock shutdown_lock(&shutdown_mu_);  // concurrent callers wait for the first
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) {
      t.join();
    }
  }
  workers_.clear();
}

int BoundedExecutor::queued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int BoundedExecutor::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

}  // namespace gofer::rpc
