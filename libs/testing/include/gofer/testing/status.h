// Catch2 support for absl::Status: readable failures and short assertions.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace Catch {

template <>
struct StringMaker<absl::Status> {
  static std::string convert(const absl::Status& s) { return s.ToString(); }
};

template <typename T>
struct StringMaker<absl::StatusOr<T>> {
  static std::string convert(const absl::StatusOr<T>& s) {
    return s.ok() ? std::string("OK (with value)") : s.status().ToString();
  }
};

}  // namespace Catch

namespace gofer::testing {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace gofer::testing

// REQUIRE that a Status or StatusOr is OK, printing the status when it is not.
#define GOFER_REQUIRE_OK(expr)                                  \
  do {                                                          \
    const auto& gofer_req_ok_ = (expr);                         \
    INFO(::gofer::testing::StatusOf(gofer_req_ok_).ToString()); \
    REQUIRE(::gofer::testing::StatusOf(gofer_req_ok_).ok());    \
  } while (false)

// REQUIRE that a Status or StatusOr failed with `expected_code` (an absl::StatusCode).
#define GOFER_REQUIRE_CODE(expr, expected_code)                                     \
  do {                                                                              \
    const auto& gofer_req_code_ = (expr);                                           \
    INFO(::gofer::testing::StatusOf(gofer_req_code_).ToString());                   \
    REQUIRE(::gofer::testing::StatusOf(gofer_req_code_).code() == (expected_code)); \
  } while (false)
