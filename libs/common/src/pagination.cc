#include "gofer/common/pagination.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gofer/common/errors.h"
#include "gofer/common/string_view_bridge.h"

namespace gofer {
namespace {

constexpr char kVersion = '1';
constexpr size_t kTagSize = 8;

// The first bytes of SHA-256(fingerprint): binds a token to its request's filters.
std::string Tag(std::string_view fingerprint) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(fingerprint.data()), fingerprint.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), kTagSize);
}

}  // namespace

absl::StatusOr<PageRequest> ParsePageRequest(int32_t page_size, std::string_view page_token,
                                             std::string_view fingerprint, PageLimits limits) {
  if (page_size < 0) {
    return InvalidArgumentError({{"page_size", "must not be negative"}});
  }
  PageRequest request;
  request.limit = page_size == 0 ? limits.default_size : std::min<int>(page_size, limits.max_size);
  if (page_token.empty()) {
    return request;
  }
  std::string raw;
  if (!absl::WebSafeBase64Unescape(ToAbsl(page_token), &raw) || raw.size() < 1 + kTagSize ||
      raw[0] != kVersion) {
    return InvalidArgumentError({{"page_token", "is not a token this server issued"}});
  }
  if (raw.compare(1, kTagSize, Tag(fingerprint)) != 0) {
    return InvalidArgumentError(
        {{"page_token", "belongs to a list request with other filters; start again without it"}});
  }
  request.after = raw.substr(1 + kTagSize);
  return request;
}

std::string MakePageToken(std::string_view position, std::string_view fingerprint) {
  std::string raw(1, kVersion);
  absl::StrAppend(&raw, Tag(fingerprint), ToAbsl(position));
  std::string token;
  absl::WebSafeBase64Escape(raw, &token);
  return token;
}

}  // namespace gofer
