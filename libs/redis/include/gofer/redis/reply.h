// An owned Redis reply, so no hiredis type leaves libs/redis.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace gofer::redis {

// A decoded RESP2 reply. Error replies at the top level become an absl::Status instead (see
// StatusFromErrorReply); inside arrays (MULTI/EXEC results) they stay as kError elements.
struct Reply {
  enum class Type { kNil, kStatus, kInteger, kString, kArray, kError };

  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;              // kStatus, kString, kError
  std::vector<Reply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  // "OK" status reply.
  bool is_ok() const { return type == Type::kStatus && str == "OK"; }

  static Reply Nil() { return {}; }
  static Reply Status(std::string s) { return {Type::kStatus, 0, std::move(s), {}}; }
  static Reply Integer(int64_t i) { return {Type::kInteger, i, {}, {}}; }
  static Reply String(std::string s) { return {Type::kString, 0, std::move(s), {}}; }
  static Reply Error(std::string s) { return {Type::kError, 0, std::move(s), {}}; }
  static Reply Array(std::vector<Reply> e) { return {Type::kArray, 0, {}, std::move(e)}; }
};

// The status for an error reply's text ("WRONGTYPE ...", "NOSCRIPT ...", "ERR ..."):
//   NOSCRIPT → NOT_FOUND; WRONGTYPE → FAILED_PRECONDITION; OOM → RESOURCE_EXHAUSTED;
//   LOADING, BUSY, MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN, NOAUTH, WRONGPASS → UNAVAILABLE;
//   anything else (including script errors) → INTERNAL. The message is "redis: <text>".
absl::Status StatusFromErrorReply(std::string_view text);

}  // namespace gofer::redis
