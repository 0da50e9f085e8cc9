#include <catch2/catch.hpp>

#include "gofer/common/errors.h"
#include "gofer/common/pagination.h"

namespace gofer {
namespace {

TEST_CASE("A first page uses the default size, and page_size is capped at the maximum") {
  auto first = ParsePageRequest(0, "", "f", {.default_size = 20, .max_size = 100});
  REQUIRE(first.ok());
  CHECK(first->limit == 20);
  CHECK(first->after.empty());
  auto capped = ParsePageRequest(5000, "", "f", {.default_size = 20, .max_size = 100});
  REQUIRE(capped.ok());
  CHECK(capped->limit == 100);
}

TEST_CASE("A page token carries its position back, binary-safe") {
  const std::string position("key\0with/nul", 12);
  auto request = ParsePageRequest(10, MakePageToken(position, "ns=prod"), "ns=prod");
  REQUIRE(request.ok());
  CHECK(request->after == position);
  CHECK(request->limit == 10);
}

TEST_CASE("A page token from a request with other filters is refused, naming page_token") {
  auto request = ParsePageRequest(10, MakePageToken("k", "ns=prod"), "ns=dev");
  REQUIRE(request.status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(GetFieldViolations(request.status()).size() == 1);
  CHECK(GetFieldViolations(request.status())[0].field == "page_token");
}

TEST_CASE("A page token that was not issued by the server is refused") {
  for (const char* token : {"garbage!", "AAAA", "MQ"}) {
    auto request = ParsePageRequest(10, token, "f");
    CHECK(request.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("A negative page_size is refused, naming page_size") {
  auto request = ParsePageRequest(-1, "", "f");
  REQUIRE(request.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(GetFieldViolations(request.status())[0].field == "page_size");
}

}  // namespace
}  // namespace gofer
