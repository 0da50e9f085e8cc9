// DirectoryWatcher: inotify on the container directories someone waits on, one thread.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "local_internal.h"

namespace gofer::scheduler::local {

class DirectoryWatcher::Sub final : public Subscription {
 public:
  Sub(DirectoryWatcher* watcher, uint64_t token) : watcher_(watcher), token_(token) {}
  ~Sub() override {
    if (watcher_ != nullptr) {
      watcher_->Remove(token_);
    }
  }

 private:
  DirectoryWatcher* const watcher_;  // null: nothing registered
  const uint64_t token_;
};

absl::StatusOr<std::unique_ptr<DirectoryWatcher>> DirectoryWatcher::Create() {
  const int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  const int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd < 0 || stop_fd < 0) {
    return absl::InternalError(fmt::format("inotify: {}", std::strerror(errno)));
  }
  return std::unique_ptr<DirectoryWatcher>(new DirectoryWatcher(inotify_fd, stop_fd));
}

DirectoryWatcher::DirectoryWatcher(int inotify_fd, int stop_fd)
    : inotify_fd_(inotify_fd), stop_fd_(stop_fd), thread_([this] { Run(); }) {}

DirectoryWatcher::~DirectoryWatcher() {
  const uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
  thread_.join();
  close(inotify_fd_);
  close(stop_fd_);
}

std::unique_ptr<Subscription> DirectoryWatcher::Watch(const std::string& dir,
                                                      std::function<void()> on_change) {
  if (dir.empty()) {
    return std::make_unique<Sub>(nullptr, 0);
  }
  absl::MutexLock lock(&mu_);
  const int wd = inotify_add_watch(inotify_fd_, dir.c_str(),
                                   IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR);
  if (wd < 0) {
    return std::make_unique<Sub>(nullptr, 0);
  }
  const uint64_t token = next_token_++;
  callbacks_[wd][token] = std::move(on_change);
  token_wd_[token] = wd;
  return std::make_unique<Sub>(this, token);
}

void DirectoryWatcher::Remove(uint64_t token) {
  absl::MutexLock lock(&mu_);  // callbacks run under mu_: none runs once this returns
  auto it = token_wd_.find(token);
  if (it == token_wd_.end()) {
    return;
  }
  const int wd = it->second;
  token_wd_.erase(it);
  auto& callbacks = callbacks_[wd];
  callbacks.erase(token);
  if (callbacks.empty()) {
    callbacks_.erase(wd);
    inotify_rm_watch(inotify_fd_, wd);
  }
}

void DirectoryWatcher::Run() {
  alignas(inotify_event) char buffer[16384];
  while (true) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) {
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    const ssize_t n = read(inotify_fd_, buffer, sizeof buffer);
    for (ssize_t at = 0; n > 0 && at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & IN_IGNORED) != 0) {
        continue;
      }
      absl::MutexLock lock(&mu_);
      auto it = callbacks_.find(event->wd);
      if (it != callbacks_.end()) {
        for (auto& [token, callback] : it->second) {
          callback();
        }
      }
    }
  }
}

}  // namespace gofer::scheduler::local
