#include "gofer/redis/reply.h"

#include <string>

#include "gofer/common/errors.h"

namespace gofer::redis {

absl::Status StatusFromErrorReply(std::string_view text) {
  const std::string message = "redis: " + std::string(text);
  const std::string_view word = text.substr(0, text.find(' '));
  if (word == "NOSCRIPT") {
    return absl::NotFoundError(message);
  }
  if (word == "WRONGTYPE") {
    return absl::FailedPreconditionError(message);
  }
  if (word == "OOM") {
    return WithErrorInfo(absl::ResourceExhaustedError(message), ErrorReason::kOverloaded);
  }
  if (word == "LOADING" || word == "BUSY" || word == "MASTERDOWN" || word == "READONLY" ||
      word == "TRYAGAIN" || word == "CLUSTERDOWN" || word == "NOAUTH" || word == "WRONGPASS") {
    return WithErrorInfo(absl::UnavailableError(message), ErrorReason::kDependencyUnavailable);
  }
  return absl::InternalError(message);
}

}  // namespace gofer::redis
