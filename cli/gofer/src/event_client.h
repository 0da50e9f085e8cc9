// Reading the event log, for `gofer event list` and `gofer run dump`.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "context.h"
#include "gofer/v1/events.pb.h"

namespace gofer::cli {

// Every stored event matching `filter`, oldest first (at most `limit`; 0: all), in one response
// without a page token. Fails with the first failed call's status.
absl::StatusOr<gofer::v1::ListEventsResponse> CollectEvents(Context& ctx,
                                                            const gofer::v1::EventFilter& filter,
                                                            int64_t limit);

}  // namespace gofer::cli
