// Tokens and roles in Postgres: authentication by token secret, role management, and the
// one-time bootstrap. Secrets are never stored: only their SHA-256. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gofer/common/clock.h"
#include "gofer/common/id_generator.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"
#include "rbac.h"

namespace gofer::api_gateway {

struct TokenRecord {
  std::string id;
  std::string user;
  std::vector<std::string> roles;
  std::map<std::string, std::string> metadata;
  absl::Time created;
  std::optional<absl::Time> expires;
  bool disabled = false;
};

struct RoleRecord {
  std::string id;
  std::string description;
  std::vector<Permission> permissions;
  bool system_role = false;
  absl::Time created;
  absl::Time modified;
};

// An authenticated caller: its token and the combined permissions of its roles.
struct Principal {
  TokenRecord token;
  std::vector<Permission> permissions;
};

struct NewToken {
  TokenRecord token;
  std::string secret;  // shown once; never stored
};

// The SHA-256 (lowercase hex) under which a token secret is stored and looked up.
std::string TokenHash(std::string_view secret);

class AccessStore {
 public:
  // References must outlive the store; `pool`'s search_path is the gateway schema.
  AccessStore(pg::Pool& pool, const events::Outbox& outbox, Clock& clock, IdGenerator& ids)
      : pool_(pool), outbox_(outbox), clock_(clock), ids_(ids) {}

  // The caller holding `secret`. UNAUTHENTICATED (reason UNAUTHENTICATED) when the secret is
  // unknown, the token expired or is disabled — with a message saying which. Successful
  // lookups are cached for `cache_ttl` (see SetCacheTtl): a change to a token or role made on
  // this replica clears the cache at once; one made on another replica takes effect here within
  // the TTL. Expiry is re-checked on every call.
  absl::StatusOr<Principal> Authenticate(std::string_view secret);

  // How long a successful authentication is reused (zero disables the cache). Default 2 s.
  void SetCacheTtl(absl::Duration ttl) { cache_ttl_ = ttl; }

  // Creates the first admin token, once per installation (FAILED_PRECONDITION afterwards).
  absl::StatusOr<NewToken> Bootstrap();

  // Creates a token. NOT_FOUND names unknown roles.
  absl::StatusOr<NewToken> CreateToken(const std::string& user,
                                       const std::vector<std::string>& roles,
                                       const std::map<std::string, std::string>& metadata,
                                       absl::Duration expires_in, const std::string& actor);
  absl::StatusOr<TokenRecord> GetToken(const std::string& id);
  // Newest first, after token id `after` (empty: from the newest).
  absl::StatusOr<std::vector<TokenRecord>> ListTokens(const std::string& after, int limit);
  // Sets the disabled flag; the bool is false when it already had that value.
  absl::StatusOr<std::pair<TokenRecord, bool>> SetTokenDisabled(const std::string& id,
                                                                bool disabled,
                                                                const std::string& actor);
  absl::Status DeleteToken(const std::string& id, const std::string& actor);
  // Deletes tokens that expired more than `grace` ago; returns how many.
  absl::StatusOr<int64_t> PruneExpiredTokens(absl::Duration grace);

  absl::StatusOr<RoleRecord> CreateRole(const RoleRecord& role, const std::string& actor);
  absl::StatusOr<RoleRecord> GetRole(const std::string& id);
  // In id order, after `after`.
  absl::StatusOr<std::vector<RoleRecord>> ListRoles(const std::string& after, int limit);
  // Updates description and/or permissions (FAILED_PRECONDITION for system roles); the bool
  // is false when nothing changed.
  absl::StatusOr<std::pair<RoleRecord, bool>> UpdateRole(
      const std::string& id, const std::optional<std::string>& description,
      const std::optional<std::vector<Permission>>& permissions, const std::string& actor);
  // FAILED_PRECONDITION for system roles and roles a token still uses.
  absl::Status DeleteRole(const std::string& id, const std::string& actor);

  // Run tokens (F-RUN-9). Mints the token of one task attempt of a run: user
  // "run:<namespace>/<pipeline>/<run>", read and write on the objects and runs of that pipeline
  // only, expiring after `ttl`. A token minted earlier for the same attempt is replaced (a new
  // lease holder starting the attempt again).
  absl::StatusOr<NewToken> CreateRunToken(const std::string& namespace_id,
                                          const std::string& pipeline_id, int64_t run_id,
                                          const std::string& task_id, int attempt,
                                          absl::Duration ttl, const std::string& actor);
  // Deletes every token minted for the run; returns how many.
  absl::StatusOr<int64_t> RevokeRunTokens(const std::string& namespace_id,
                                          const std::string& pipeline_id, int64_t run_id,
                                          const std::string& actor);

 private:
  absl::StatusOr<NewToken> InsertToken(const std::string& user,
                                       const std::vector<std::string>& roles,
                                       const std::map<std::string, std::string>& metadata,
                                       absl::Duration expires_in, const std::string& actor,
                                       bool bootstrap);

  // Forgets every cached authentication (after a token or role change).
  void InvalidateCache();

  pg::Pool& pool_;
  const events::Outbox& outbox_;
  Clock& clock_;
  IdGenerator& ids_;
  absl::Duration cache_ttl_ = absl::Seconds(2);
  struct CachedPrincipal {
    Principal principal;
    absl::Time fetched;
  };
  absl::Mutex cache_mu_;
  absl::flat_hash_map<std::string, CachedPrincipal> cache_ ABSL_GUARDED_BY(cache_mu_);
  // Bumped by every invalidation: a lookup that raced a change does not cache its result.
  uint64_t cache_generation_ ABSL_GUARDED_BY(cache_mu_) = 0;
};

}  // namespace gofer::api_gateway
