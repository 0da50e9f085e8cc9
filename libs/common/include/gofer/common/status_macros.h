// Status propagation macros. Debian 12's Abseil (20220623) predates ABSL_RETURN_IF_ERROR and
// ABSL_ASSIGN_OR_RETURN, so Gofer defines them once here under names that read the same.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GOFER_CONCAT_INNER_(a, b) a##b
#define GOFER_CONCAT_(a, b) GOFER_CONCAT_INNER_(a, b)

// Returns the status of `expr` (an absl::Status) from the enclosing function if it is not OK.
#define GOFER_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    if (::absl::Status gofer_status_ = (expr); !gofer_status_.ok()) { \
      return gofer_status_;                                           \
    }                                                                 \
  } while (false)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status from the enclosing function if it
// is not OK, otherwise moves the value into `lhs`, which may be a declaration:
//   GOFER_ASSIGN_OR_RETURN(Run run, store.Get(id));
#define GOFER_ASSIGN_OR_RETURN(lhs, expr) \
  GOFER_ASSIGN_OR_RETURN_IMPL_(GOFER_CONCAT_(gofer_statusor_, __LINE__), lhs, expr)

#define GOFER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) {                                   \
    return std::move(tmp).status();                  \
  }                                                  \
  lhs = *std::move(tmp)
