#include "gofer/pg/errors.h"

#include <pqxx/except>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gofer/common/errors.h"

namespace gofer::pg {
namespace {

// The server's message without the lines after it: DETAIL can quote other rows' values
// ("Key (hash)=(...) already exists"), and LINE/CONTEXT/HINT quote the statement. Those stay in
// the server's log; what travels in a status is the first line.
std::string Trimmed(const char* what) {
  std::string text(absl::StripTrailingAsciiWhitespace(what));
  for (const char* marker : {"\nDETAIL:", "\nHINT:", "\nCONTEXT:", "\nLINE ", "\nQUERY:"}) {
    if (const size_t at = text.find(marker); at != std::string::npos) {
      text.resize(at);
    }
  }
  return std::string(absl::StripTrailingAsciiWhitespace(text));
}

}  // namespace

absl::Status StatusFromException(const std::exception& e) {
  const std::string what = Trimmed(e.what());
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    return WithErrorInfo(absl::AlreadyExistsError(what), ErrorReason::kResourceExists);
  }
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&e) != nullptr ||
      dynamic_cast<const pqxx::restrict_violation*>(&e) != nullptr) {
    return WithErrorInfo(absl::FailedPreconditionError(what), ErrorReason::kFailedPrecondition);
  }
  if (dynamic_cast<const pqxx::check_violation*>(&e) != nullptr ||
      dynamic_cast<const pqxx::not_null_violation*>(&e) != nullptr ||
      dynamic_cast<const pqxx::data_exception*>(&e) != nullptr ||
      dynamic_cast<const pqxx::conversion_error*>(&e) != nullptr) {
    return WithErrorInfo(absl::InvalidArgumentError(what), ErrorReason::kInvalidField);
  }
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr) {
    return WithErrorInfo(absl::AbortedError(what), ErrorReason::kConflict);
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr ||
      dynamic_cast<const pqxx::statement_completion_unknown*>(&e) != nullptr) {
    return WithErrorInfo(absl::UnavailableError(absl::StrCat("outcome unknown: ", what)),
                         ErrorReason::kDependencyUnavailable);
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return WithErrorInfo(absl::UnavailableError(absl::StrCat("postgres: ", what)),
                         ErrorReason::kDependencyUnavailable);
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    const std::string& state = sql->sqlstate();
    if (state == "57014") {
      return absl::DeadlineExceededError(absl::StrCat("postgres statement timed out: ", what));
    }
    if (state.rfind("08", 0) == 0 || state.rfind("57P0", 0) == 0 || state == "53300") {
      return WithErrorInfo(absl::UnavailableError(absl::StrCat("postgres: ", what)),
                           ErrorReason::kDependencyUnavailable);
    }
    if (state == "40001" || state == "40P01") {
      return WithErrorInfo(absl::AbortedError(what), ErrorReason::kConflict);
    }
    if (state == "23505") {
      return WithErrorInfo(absl::AlreadyExistsError(what), ErrorReason::kResourceExists);
    }
  }
  return absl::InternalError(absl::StrCat("postgres: ", what));
}

absl::Status StatusFromCurrentException() {
  try {
    throw;
  } catch (const std::exception& e) {
    return StatusFromException(e);
  } catch (...) {
    return absl::InternalError("postgres: unknown exception");
  }
}

}  // namespace gofer::pg
