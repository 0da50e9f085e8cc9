// StatusFromException: the one mapping from libpqxx exceptions to statuses. The exceptions are
// constructed here exactly as libpqxx throws them (message, query, SQLSTATE).
#include "gofer/pg/errors.h"

#include <catch2/catch.hpp>
#include <pqxx/except>

#include <stdexcept>
#include <string>

#include "gofer/common/errors.h"
#include "gofer/testing/status.h"

namespace gofer::pg {
namespace {

std::string ReasonOf(const absl::Status& status) { return GetErrorDetails(status).reason; }

std::string Name(ErrorReason reason) { return std::string(ErrorReasonName(reason)); }

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

}  // namespace

TEST_CASE("A unique violation maps to ALREADY_EXISTS with reason RESOURCE_EXISTS") {
  const absl::Status s = StatusFromException(pqxx::unique_violation(
      "ERROR:  duplicate key value violates unique constraint \"runs_pkey\"\n", "INSERT ...",
      "23505"));
  GOFER_REQUIRE_CODE(s, absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(s) == Name(ErrorReason::kResourceExists));
}

TEST_CASE("Foreign key and restrict violations map to FAILED_PRECONDITION") {
  const absl::Status fk = StatusFromException(
      pqxx::foreign_key_violation("ERROR:  insert violates foreign key", "INSERT ...", "23503"));
  GOFER_REQUIRE_CODE(fk, absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(fk) == Name(ErrorReason::kFailedPrecondition));

  const absl::Status restrict =
      StatusFromException(pqxx::restrict_violation("ERROR:  restrict", "DELETE ...", "23001"));
  GOFER_REQUIRE_CODE(restrict, absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Check and not-null violations and bad data map to INVALID_ARGUMENT") {
  const absl::Status check =
      StatusFromException(pqxx::check_violation("ERROR:  violates check", "INSERT ...", "23514"));
  GOFER_REQUIRE_CODE(check, absl::StatusCode::kInvalidArgument);
  CHECK(ReasonOf(check) == Name(ErrorReason::kInvalidField));

  const absl::Status not_null = StatusFromException(
      pqxx::not_null_violation("ERROR:  null value in column", "INSERT ...", "23502"));
  GOFER_REQUIRE_CODE(not_null, absl::StatusCode::kInvalidArgument);
  CHECK(ReasonOf(not_null) == Name(ErrorReason::kInvalidField));

  GOFER_REQUIRE_CODE(StatusFromException(pqxx::data_exception("ERROR:  bad", "SELECT", "22P02")),
                     absl::StatusCode::kInvalidArgument);
  GOFER_REQUIRE_CODE(StatusFromException(pqxx::conversion_error("cannot convert")),
                     absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Serialization failures and deadlocks map to ABORTED with reason CONFLICT") {
  const absl::Status serialization = StatusFromException(
      pqxx::serialization_failure("ERROR:  could not serialize access due to read/write "
                                  "dependencies among transactions"));
  GOFER_REQUIRE_CODE(serialization, absl::StatusCode::kAborted);
  CHECK(ReasonOf(serialization) == Name(ErrorReason::kConflict));

  const absl::Status deadlock =
      StatusFromException(pqxx::deadlock_detected("ERROR:  deadlock detected"));
  GOFER_REQUIRE_CODE(deadlock, absl::StatusCode::kAborted);
  CHECK(ReasonOf(deadlock) == Name(ErrorReason::kConflict));
}

TEST_CASE("A broken connection maps to UNAVAILABLE with reason DEPENDENCY_UNAVAILABLE") {
  const absl::Status s =
      StatusFromException(pqxx::broken_connection("server closed the connection unexpectedly"));
  GOFER_REQUIRE_CODE(s, absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(s) == Name(ErrorReason::kDependencyUnavailable));
  CHECK(MessageOf(s).find("server closed the connection unexpectedly") != std::string::npos);

  GOFER_REQUIRE_CODE(StatusFromException(pqxx::too_many_connections("FATAL:  too many clients")),
                     absl::StatusCode::kUnavailable);
}

TEST_CASE("An in-doubt commit or statement maps to UNAVAILABLE saying the outcome is unknown") {
  const absl::Status s =
      StatusFromException(pqxx::in_doubt_error("connection lost while committing"));
  GOFER_REQUIRE_CODE(s, absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(s) == Name(ErrorReason::kDependencyUnavailable));
  CHECK(MessageOf(s).find("outcome unknown") != std::string::npos);

  const absl::Status statement =
      StatusFromException(pqxx::statement_completion_unknown("ERROR:  completion unknown"));
  GOFER_REQUIRE_CODE(statement, absl::StatusCode::kUnavailable);
  CHECK(MessageOf(statement).find("outcome unknown") != std::string::npos);
}

TEST_CASE("A statement cancelled by statement_timeout maps to DEADLINE_EXCEEDED") {
  const absl::Status s = StatusFromException(pqxx::sql_error(
      "ERROR:  canceling statement due to statement timeout", "SELECT pg_sleep(10)", "57014"));
  GOFER_REQUIRE_CODE(s, absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("Server shutdown and connection-class sqlstates map to UNAVAILABLE") {
  const absl::Status shutdown = StatusFromException(pqxx::sql_error(
      "FATAL:  terminating connection due to administrator command", "SELECT 1", "57P01"));
  GOFER_REQUIRE_CODE(shutdown, absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(shutdown) == Name(ErrorReason::kDependencyUnavailable));

  GOFER_REQUIRE_CODE(
      StatusFromException(pqxx::sql_error("FATAL:  connection failure", "SELECT 1", "08006")),
      absl::StatusCode::kUnavailable);
  GOFER_REQUIRE_CODE(StatusFromException(pqxx::sql_error("FATAL:  too many clients", "", "53300")),
                     absl::StatusCode::kUnavailable);
}

TEST_CASE("Untyped SQL errors with a conflict or duplicate sqlstate map like the typed ones") {
  GOFER_REQUIRE_CODE(StatusFromException(pqxx::sql_error("ERROR:  serialize", "COMMIT", "40001")),
                     absl::StatusCode::kAborted);
  GOFER_REQUIRE_CODE(StatusFromException(pqxx::sql_error("ERROR:  deadlock", "UPDATE", "40P01")),
                     absl::StatusCode::kAborted);
  GOFER_REQUIRE_CODE(StatusFromException(pqxx::sql_error("ERROR:  duplicate", "INSERT", "23505")),
                     absl::StatusCode::kAlreadyExists);
}

TEST_CASE("Other SQL errors and non-pqxx exceptions map to INTERNAL") {
  const absl::Status syntax = StatusFromException(
      pqxx::syntax_error("ERROR:  syntax error at or near \"SELEC\"", "SELEC 1", "42601"));
  GOFER_REQUIRE_CODE(syntax, absl::StatusCode::kInternal);

  const absl::Status plain = StatusFromException(std::runtime_error("something odd"));
  GOFER_REQUIRE_CODE(plain, absl::StatusCode::kInternal);
  CHECK(MessageOf(plain).find("something odd") != std::string::npos);
}

TEST_CASE("The mapped message keeps the server text without its trailing newline") {
  const absl::Status s = StatusFromException(
      pqxx::unique_violation("ERROR:  duplicate key value\n", "INSERT ...", "23505"));
  CHECK(MessageOf(s) == "ERROR:  duplicate key value");
}

TEST_CASE("StatusFromCurrentException maps the exception being handled, even a non-std one") {
  absl::Status typed;
  try {
    throw pqxx::deadlock_detected("ERROR:  deadlock detected");
  } catch (...) {
    typed = StatusFromCurrentException();
  }
  GOFER_REQUIRE_CODE(typed, absl::StatusCode::kAborted);

  absl::Status unknown;
  try {
    throw 42;
  } catch (...) {
    unknown = StatusFromCurrentException();
  }
  GOFER_REQUIRE_CODE(unknown, absl::StatusCode::kInternal);
}

TEST_CASE("The status keeps the server's first line but never its DETAIL or LINE lines") {
  const absl::Status s = StatusFromException(pqxx::unique_violation(
      "ERROR:  duplicate key value violates unique constraint \"tokens_hash_key\"\n"
      "DETAIL:  Key (hash)=(deadbeef) already exists.\n",
      "INSERT ...", "23505"));
  CHECK(MessageOf(s).find("tokens_hash_key") != std::string::npos);
  CHECK(MessageOf(s).find("deadbeef") == std::string::npos);
  const absl::Status syntax = StatusFromException(pqxx::syntax_error(
      "ERROR:  syntax error at or near \"FROMM\"\nLINE 1: SELECT secret FROMM t\n", "", "42601"));
  CHECK(MessageOf(syntax).find("SELECT secret") == std::string::npos);
}

}  // namespace gofer::pg
