#include "gofer/redis/script.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gofer::redis {

Script::Script(std::string source) : source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  sha1_ = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<Reply> Script::Run(Pool& pool, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"EVALSHA", sha1_, absl::StrCat(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<Reply> reply = pool.Command(argv);
  // Only the server's "script not cached" answer sends the source; a script that itself
  // failed with a NOSCRIPT-looking error already ran and must not run twice.
  constexpr absl::string_view kNotCached = "redis: NOSCRIPT No matching script";
  if (!absl::IsNotFound(reply.status()) ||
      !absl::StartsWith(reply.status().message(), kNotCached)) {
    return reply;
  }
  argv[0] = "EVAL";
  argv[1] = source_;
  return pool.Command(argv);
}

}  // namespace gofer::redis
