#include "lease_manager.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "gofer/common/fmt_absl.h"
#include "spdlog/spdlog.h"

namespace gofer::run_queue {
namespace {

// KEYS[1] lease key; ARGV[1] holder; ARGV[2] ttl ms. 1 when renewed, 0 when not the holder.
constexpr char kRenew[] = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua";

// KEYS[1] lease key; ARGV[1] holder.
constexpr char kRelease[] = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua";

std::string Millis(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); }

}  // namespace

LeaseManager::LeaseManager(redis::Pool& pool, std::string prefix)
    : pool_(pool), prefix_(std::move(prefix)), renew_(kRenew), release_(kRelease) {}

absl::StatusOr<bool> LeaseManager::Acquire(const std::string& key, const std::string& holder,
                                           absl::Duration ttl) {
  auto set = pool_.Command({"SET", prefix_ + key, holder, "NX", "PX", Millis(ttl)});
  if (!set.ok()) {
    return set.status();
  }
  if (set->is_ok()) {
    return true;
  }
  return Renew(key, holder, ttl);  // ours already: renew; someone else's: false
}

absl::StatusOr<bool> LeaseManager::Renew(const std::string& key, const std::string& holder,
                                         absl::Duration ttl) {
  auto reply = renew_.Run(pool_, {prefix_ + key}, {holder, Millis(ttl)});
  if (!reply.ok()) {
    return reply.status();
  }
  return reply->integer == 1;
}

absl::Status LeaseManager::Release(const std::string& key, const std::string& holder) {
  return release_.Run(pool_, {prefix_ + key}, {holder}).status();
}

absl::StatusOr<std::string> LeaseManager::Holder(const std::string& key) {
  auto reply = pool_.Command({"GET", prefix_ + key});
  if (!reply.ok()) {
    return reply.status();
  }
  return reply->is_nil() ? std::string() : reply->str;
}

LeaseKeeper::LeaseKeeper(LeaseManager& leases, std::string holder, absl::Duration ttl,
                         std::function<void(const std::string&)> on_lost)
    : leases_(leases), holder_(std::move(holder)), ttl_(ttl), on_lost_(std::move(on_lost)) {
  thread_ = std::thread([this] { Loop(); });
}

LeaseKeeper::~LeaseKeeper() {
  stop_.Notify();
  thread_.join();
}

void LeaseKeeper::Keep(const std::string& key) {
  absl::MutexLock lock(&mu_);
  kept_[key] = absl::Now();
}

absl::Status LeaseKeeper::Drop(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    kept_.erase(key);
  }
  return leases_.Release(key, holder_);
}

void LeaseKeeper::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  kept_.erase(key);
}

int LeaseKeeper::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(kept_.size());
}

void LeaseKeeper::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(ttl_ / 3)) {
    std::vector<std::pair<std::string, absl::Time>> keys;
    {
      absl::MutexLock lock(&mu_);
      keys.assign(kept_.begin(), kept_.end());
    }
    for (const auto& [key, last_renewed] : keys) {
      auto renewed = leases_.Renew(key, holder_, ttl_);
      const absl::Time now = absl::Now();
      bool lost = renewed.ok() && !*renewed;
      if (!renewed.ok()) {
        // Redis unreachable: the lease may still be ours; it is lost once a TTL has passed.
        lost = now - last_renewed >= ttl_;
        spdlog::warn("lease {}: renewal failed: {}", key, renewed.status());
      }
      absl::MutexLock lock(&mu_);
      auto it = kept_.find(key);
      if (it == kept_.end()) {
        continue;  // dropped meanwhile
      }
      if (!lost) {
        if (renewed.ok()) {
          it->second = now;
        }
        continue;
      }
      kept_.erase(it);
      mu_.Unlock();
      on_lost_(key);
      mu_.Lock();
    }
  }
}

}  // namespace gofer::run_queue
