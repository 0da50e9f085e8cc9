#include "access_store.h"

#include <openssl/sha.h>

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "access_store_rows.h"
#include "gofer/common/errors.h"
#include "gofer/pg/transaction.h"

namespace gofer::api_gateway {
using access_rows::Event;
using access_rows::json;
using access_rows::kTokenColumns;
using access_rows::PermissionsFromJson;
using access_rows::Precondition;
using access_rows::TokenFromRow;
using access_rows::Unauthenticated;

// FAILED_PRECONDITION when taking token `id` away would leave no enabled, unexpired admin token
// (bootstrap works once, so the installation would be locked out for good).
absl::Status KeepAnAdmin(pqxx::work& tx, const std::string& id) {
  // Lock every admin token first, so two concurrent removals of the last two serialise.
  tx.exec("SELECT id FROM tokens WHERE 'admin' = ANY(roles) ORDER BY id FOR UPDATE");
  const pqxx::row r = tx.exec_params1(
      "SELECT 'admin' = ANY(roles), (SELECT count(*) FROM tokens o WHERE o.id <> $1 AND "
      "'admin' = ANY(o.roles) AND NOT o.disabled AND (o.expires IS NULL OR o.expires > now())) "
      "FROM tokens WHERE id = $1",
      id);
  if (r[0].as<bool>() && r[1].as<int64_t>() == 0) {
    return Precondition(fmt::format(
        "token {} is the last enabled admin token; create another admin token first", id));
  }
  return absl::OkStatus();
}

std::string TokenHash(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<Principal> AccessStore::Authenticate(std::string_view secret) {
  const std::string hash = TokenHash(secret);
  const absl::Time now = clock_.Now();
  uint64_t generation = 0;
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&cache_mu_);
    generation = cache_generation_;
    auto it = cache_.find(hash);
    if (it != cache_.end() && now - it->second.fetched < cache_ttl_) {
      const Principal& cached = it->second.principal;
      if (!cached.token.expires || *cached.token.expires > now) {
        return cached;
      }
    }
  }
  // One statement, one round trip (no transaction).
  auto principal = pg::ReadStatementValue<Principal>(
      pool_, [&](pqxx::nontransaction& tx) -> absl::StatusOr<Principal> {
        static const std::string kSql = fmt::format(
            "SELECT {}, (expires IS NOT NULL AND expires <= now()), "
            "(SELECT coalesce(jsonb_agg(g.p), '[]'::jsonb)::text FROM ("
            "SELECT p FROM roles r, jsonb_array_elements(r.permissions) p "
            "WHERE r.id = ANY(tokens.roles) "
            "UNION ALL SELECT q FROM jsonb_array_elements(tokens.permissions) q) g(p)) "
            "FROM tokens WHERE hash = $1",
            kTokenColumns);
        tx.conn().prepare("gateway_authenticate", kSql);
        const pqxx::result rows = tx.exec_prepared("gateway_authenticate", hash);
        if (rows.empty()) {
          return Unauthenticated("unknown token");
        }
        Principal found{TokenFromRow(rows[0]),
                        PermissionsFromJson(json::parse(rows[0][8].as<std::string>()))};
        if (found.token.disabled) {
          return Unauthenticated(fmt::format("token {} is disabled", found.token.id));
        }
        if (rows[0][7].as<bool>()) {
          return Unauthenticated(fmt::format("token {} has expired", found.token.id));
        }
        return found;
      });
  if (principal.ok() && cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&cache_mu_);
    if (cache_generation_ != generation) {
      return principal;  // a change committed while we read: do not cache what we read
    }
    if (cache_.size() > 10000) {
      cache_.clear();  // bounded: a flood of distinct tokens cannot grow it without limit
    }
    cache_[hash] = {*principal, now};
  }
  return principal;
}

void AccessStore::InvalidateCache() {
  absl::MutexLock lock(&cache_mu_);
  ++cache_generation_;
  cache_.clear();
}

absl::StatusOr<NewToken> AccessStore::InsertToken(
    const std::string& user, const std::vector<std::string>& roles,
    const std::map<std::string, std::string>& metadata, absl::Duration expires_in,
    const std::string& actor, bool bootstrap) {
  NewToken out;
  out.secret = "gofer_" + absl::BytesToHexString(SecureRandomBytes(24));
  return pg::TransactValue<NewToken>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<NewToken> {
    if (bootstrap) {
      const pqxx::result claimed = tx.exec(
          "UPDATE system_flags SET value = 'true' WHERE key = 'bootstrap_token_created' "
          "AND value = 'false' RETURNING 1");
      if (claimed.empty()) {
        return Precondition("the bootstrap token was already created; ask an admin for a token");
      }
    }
    const pqxx::result known = tx.exec_params(
        "SELECT coalesce(array_to_json(array_agg(id)), '[]')::text FROM roles WHERE id = "
        "ANY($1::text[])",
        fmt::format("{{{}}}", fmt::join(roles, ",")));
    const auto found = json::parse(known[0][0].as<std::string>()).get<std::vector<std::string>>();
    for (const std::string& role : roles) {
      if (std::find(found.begin(), found.end(), role) == found.end()) {
        return NotFoundError("role", role);
      }
    }
    const std::string id = ids_.NewId();
    const int64_t expires_us =
        expires_in > absl::ZeroDuration() ? absl::ToUnixMicros(clock_.Now() + expires_in) : 0;
    const pqxx::row row = tx.exec_params1(
        fmt::format("INSERT INTO tokens (id, hash, user_name, roles, metadata, expires) "
                    "VALUES ($1, $2, $3, $4::text[], $5::jsonb, "
                    "CASE WHEN $6::bigint = 0 THEN NULL "
                    "ELSE to_timestamp($6::double precision / 1000000) END) "
                    "RETURNING {}",
                    kTokenColumns),
        id, TokenHash(out.secret), user, fmt::format("{{{}}}", fmt::join(roles, ",")),
        json(metadata).dump(), expires_us);
    out.token = TokenFromRow(row);
    Event(tx, outbox_, "token.created", actor,
          {{"token_id", id}, {"user", user}, {"roles", roles}});
    return out;
  });
}

absl::StatusOr<NewToken> AccessStore::Bootstrap() {
  return InsertToken("bootstrap", {"admin"}, {{"bootstrap_token", "true"}}, absl::ZeroDuration(),
                     "bootstrap", /*bootstrap=*/true);
}

absl::StatusOr<NewToken> AccessStore::CreateToken(
    const std::string& user, const std::vector<std::string>& roles,
    const std::map<std::string, std::string>& metadata, absl::Duration expires_in,
    const std::string& actor) {
  return InsertToken(user, roles, metadata, expires_in, actor, /*bootstrap=*/false);
}

absl::StatusOr<TokenRecord> AccessStore::GetToken(const std::string& id) {
  return pg::TransactValue<TokenRecord>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<TokenRecord> {
        const pqxx::result rows =
            tx.exec_params(fmt::format("SELECT {} FROM tokens WHERE id = $1", kTokenColumns), id);
        if (rows.empty()) {
          return NotFoundError("token", id);
        }
        return TokenFromRow(rows[0]);
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<TokenRecord>> AccessStore::ListTokens(const std::string& after,
                                                                 int limit) {
  return pg::TransactValue<std::vector<TokenRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<TokenRecord>> {
        std::vector<TokenRecord> out;
        for (const auto& row : tx.exec_params(
                 fmt::format(
                     "SELECT {} FROM tokens WHERE ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2",
                     kTokenColumns),
                 after, limit)) {
          out.push_back(TokenFromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<std::pair<TokenRecord, bool>> AccessStore::SetTokenDisabled(
    const std::string& id, bool disabled, const std::string& actor) {
  using Result = std::pair<TokenRecord, bool>;
  auto result = pg::TransactValue<Result>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    const pqxx::result rows = tx.exec_params(
        fmt::format("SELECT {} FROM tokens WHERE id = $1 FOR UPDATE", kTokenColumns), id);
    if (rows.empty()) {
      return NotFoundError("token", id);
    }
    TokenRecord token = TokenFromRow(rows[0]);
    if (token.disabled == disabled) {
      return Result{token, false};
    }
    if (disabled) {
      if (absl::Status keep = KeepAnAdmin(tx, id); !keep.ok()) {
        return keep;
      }
    }
    tx.exec_params("UPDATE tokens SET disabled = $2 WHERE id = $1", id, disabled);
    token.disabled = disabled;
    Event(tx, outbox_, disabled ? "token.disabled" : "token.enabled", actor, {{"token_id", id}});
    return Result{token, true};
  });
  InvalidateCache();  // after the commit, so nothing re-caches the old state
  return result;
}

absl::Status AccessStore::DeleteToken(const std::string& id, const std::string& actor) {
  absl::Status status = pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    if (tx.exec_params("SELECT 1 FROM tokens WHERE id = $1 FOR UPDATE", id).empty()) {
      return NotFoundError("token", id);
    }
    if (absl::Status keep = KeepAnAdmin(tx, id); !keep.ok()) {
      return keep;
    }
    tx.exec_params("DELETE FROM tokens WHERE id = $1", id);
    Event(tx, outbox_, "token.deleted", actor, {{"token_id", id}});
    return absl::OkStatus();
  });
  InvalidateCache();
  return status;
}

absl::StatusOr<int64_t> AccessStore::PruneExpiredTokens(absl::Duration grace) {
  return pg::TransactValue<int64_t>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    const pqxx::result r = tx.exec_params(
        "DELETE FROM tokens WHERE expires IS NOT NULL AND expires < now() - make_interval(secs => "
        "$1)",
        absl::ToDoubleSeconds(grace));
    if (r.affected_rows() > 0) {
      Event(tx, outbox_, "token.pruned", "system", {{"count", r.affected_rows()}});
    }
    return static_cast<int64_t>(r.affected_rows());
  });
}

}  // namespace gofer::api_gateway
