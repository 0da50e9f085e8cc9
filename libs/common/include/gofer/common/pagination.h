// Opaque page tokens for keyset pagination (AIP-158).
//
// A list request carries page_size and page_token; the server reads rows after the token's
// position in a fixed order (keyset, so concurrent inserts never repeat or skip an item) and
// returns the position of the last row as next_page_token. Tokens are bound to the request's
// filters: reusing one with different filters is INVALID_ARGUMENT.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gofer {

struct PageLimits {
  int default_size = 50;
  int max_size = 1000;
};

// A decoded page request.
struct PageRequest {
  // Rows to return (page_size, defaulted and capped). Query limit + 1 rows to know whether
  // another page follows.
  int limit = 0;
  // The keyset position to continue after; empty for the first page.
  std::string after;
};

// Decodes `page_size` and `page_token` of a request whose filters are summed up by
// `fingerprint` (for example "ns=prod/pipeline=build"). INVALID_ARGUMENT (field page_size or
// page_token) for a negative size, an undecodable token, or a token from other filters.
absl::StatusOr<PageRequest> ParsePageRequest(int32_t page_size, std::string_view page_token,
                                             std::string_view fingerprint, PageLimits limits = {});

// The token that continues after `position` (the last row's sort key, in any encoding the
// caller chooses) for requests with `fingerprint`.
std::string MakePageToken(std::string_view position, std::string_view fingerprint);

}  // namespace gofer
