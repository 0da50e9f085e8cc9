// Namespaces and the system flags in Postgres. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"

namespace gofer::api_gateway {

struct NamespaceRecord {
  std::string id;
  std::string name;
  std::string description;
  absl::Time created;
  absl::Time modified;
};

struct SystemCounts {
  int64_t namespaces = 0;
  int64_t pipelines = 0;
  int64_t tokens = 0;
  int64_t events = 0;
};

class NamespaceStore {
 public:
  NamespaceStore(pg::Pool& pool, const events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  // ALREADY_EXISTS when the id is taken.
  absl::StatusOr<NamespaceRecord> Create(const NamespaceRecord& ns, const std::string& actor);
  // NOT_FOUND naming it.
  absl::StatusOr<NamespaceRecord> Get(const std::string& id);
  // In id order after `after`.
  absl::StatusOr<std::vector<NamespaceRecord>> List(const std::string& after, int limit);
  // Changes the given fields; the bool is false when nothing changed.
  absl::StatusOr<std::pair<NamespaceRecord, bool>> Update(
      const std::string& id, const std::optional<std::string>& name,
      const std::optional<std::string>& description, const std::string& actor);
  // Deletes it with everything below it (pipelines, configs, deployments).
  absl::Status Delete(const std::string& id, const std::string& actor);

  // The runs_paused flag.
  absl::StatusOr<bool> RunsPaused();
  // Sets it; false when it already had that value.
  absl::StatusOr<bool> SetRunsPaused(bool paused, const std::string& actor);
  // Counts for the system summary.
  absl::StatusOr<SystemCounts> Counts();

 private:
  pg::Pool& pool_;
  const events::Outbox& outbox_;
};

}  // namespace gofer::api_gateway
