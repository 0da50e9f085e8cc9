#include "ready_queue.h"

#include "absl/strings/str_cat.h"

namespace gofer::run_queue {
namespace {

// KEYS[1] the set. ARGV: now ms, ttl ms, limit, holder, lease prefix.
// Returns {acquired..., "|", nudged...}.
constexpr char kClaim[] = R"lua(
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local acquired, nudged = {}, {}
for _, run in ipairs(due) do
  local lease = ARGV[5] .. run
  if redis.call('SET', lease, ARGV[4], 'NX', 'PX', ttl) then
    table.insert(acquired, run)
    redis.call('ZADD', KEYS[1], now + ttl, run)
  else
    local left = redis.call('PTTL', lease)
    if redis.call('GET', lease) == ARGV[4] then
      table.insert(nudged, run)
    end
    if left < 0 then left = ttl end
    redis.call('ZADD', KEYS[1], now + left + 1, run)
  end
end
local out = acquired
table.insert(out, '|')
for _, run in ipairs(nudged) do table.insert(out, run) end
return out
)lua";

std::string Millis(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

}  // namespace

ReadyQueue::ReadyQueue(redis::Pool& pool, std::string prefix)
    : pool_(pool),
      prefix_(std::move(prefix)),
      set_(prefix_ + "ready"),
      marker_(prefix_ + "ready-marker"),
      claim_(kClaim) {}

absl::StatusOr<Claims> ReadyQueue::Claim(const std::string& holder, absl::Duration ttl,
                                         absl::Time now, int limit) {
  auto reply = claim_.Run(pool_, {set_},
                          {Millis(now), absl::StrCat(absl::ToInt64Milliseconds(ttl)),
                           absl::StrCat(limit), holder, lease_prefix()});
  if (!reply.ok()) {
    return reply.status();
  }
  Claims claims;
  bool nudges = false;
  for (const redis::Reply& e : reply->elements) {
    if (e.str == "|") {
      nudges = true;
    } else {
      (nudges ? claims.nudged : claims.acquired).push_back(e.str);
    }
  }
  return claims;
}

absl::Status ReadyQueue::Schedule(const std::string& run, absl::Time when) {
  return pool_.Command({"ZADD", set_, Millis(when), run}).status();
}

absl::Status ReadyQueue::ScheduleAllIfAbsent(
    const std::vector<std::pair<std::string, absl::Time>>& runs) {
  if (runs.empty()) {
    return absl::OkStatus();
  }
  std::vector<std::string> argv = {"ZADD", set_, "NX"};
  for (const auto& [run, when] : runs) {
    argv.push_back(Millis(when));
    argv.push_back(run);
  }
  return pool_.Command(argv).status();
}

absl::Status ReadyQueue::Remove(const std::string& run) {
  return pool_.Command({"ZREM", set_, run}).status();
}

absl::StatusOr<bool> ReadyQueue::IsBuilt() {
  auto reply = pool_.Command({"EXISTS", marker_});
  if (!reply.ok()) {
    return reply.status();
  }
  return reply->integer == 1;
}

absl::Status ReadyQueue::MarkBuilt() { return pool_.Command({"SET", marker_, "1"}).status(); }

}  // namespace gofer::run_queue
