// A Lua script run with EVALSHA, loaded on demand.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gofer/redis/client.h"

namespace gofer::redis {

// Scripts make multi-key updates atomic (leases, queues). Thread-safe; immutable.
class Script {
 public:
  explicit Script(std::string source);

  // EVALSHA with `keys` and `args`; when the server does not have the script (first use, or
  // after a restart or SCRIPT FLUSH) falls back to EVAL, which also caches it.
  absl::StatusOr<Reply> Run(Pool& pool, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args) const;

  // SHA-1 of the source in lowercase hex, as Redis names scripts.
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace gofer::redis
