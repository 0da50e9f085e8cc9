// The lease holder's writes inside one transaction fenced by the run's epoch (run_store.h,
// RunStore::Fenced). Internal to the run store.
#pragma once

#include <memory>
#include <string>

#include <pqxx/transaction>

#include "absl/status/status.h"
#include "gofer/events/outbox.h"
#include "run_store.h"

namespace gofer::run_queue {

class FencedWritesImpl;

// FencedWrites over `tx`, with the events of every write appended together by Flush().
class FencedTransaction {
 public:
  FencedTransaction(pqxx::work& tx, const events::Outbox& outbox, const RunKey& key, int64_t epoch,
                    std::string actor);
  ~FencedTransaction();

  FencedWrites& writes();
  // Appends the events of every write so far, in order, in one statement.
  void Flush();

 private:
  std::unique_ptr<FencedWritesImpl> impl_;
};

// Locks the run's row and checks its epoch: NOT_FOUND for a missing run, ABORTED (reason
// LEASE_LOST) when the epoch moved on.
absl::Status CheckEpoch(pqxx::work& tx, const RunKey& key, int64_t epoch);

}  // namespace gofer::run_queue
