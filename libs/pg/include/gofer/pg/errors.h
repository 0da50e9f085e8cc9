// The one place libpqxx exceptions become absl::Status values. Only libs/pg catches pqxx
// exceptions; everything above it sees statuses.
#pragma once

#include <exception>

#include "absl/status/status.h"

namespace gofer::pg {

// Maps a libpqxx (or standard) exception to a status:
//   unique_violation                         → ALREADY_EXISTS (reason RESOURCE_EXISTS)
//   foreign_key_violation, restrict_violation → FAILED_PRECONDITION
//   check_violation, not_null_violation, data_exception, conversion_error → INVALID_ARGUMENT
//   serialization_failure, deadlock_detected → ABORTED (reason CONFLICT; Transact retries these)
//   broken_connection, too_many_connections, SQLSTATE class 08 and 57P0x (server shutting
//     down), statement_completion_unknown, in_doubt_error → UNAVAILABLE
//   query_canceled (57014, statement_timeout) → DEADLINE_EXCEEDED
//   anything else                            → INTERNAL
// The message keeps the first line of the server's text; DETAIL, HINT, CONTEXT and LINE
// lines (which can quote other rows' values or the statement) are dropped.
absl::Status StatusFromException(const std::exception& e);

// The same for the exception being handled; call only inside a catch block.
absl::Status StatusFromCurrentException();

}  // namespace gofer::pg
