// AccessStore: run tokens (F-RUN-9).
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "access_store.h"
#include "access_store_rows.h"
#include "gofer/common/id_generator.h"
#include "gofer/pg/transaction.h"

namespace gofer::api_gateway {

using access_rows::Event;
using access_rows::json;
using access_rows::kTokenColumns;
using access_rows::PermissionsToJson;
using access_rows::TokenFromRow;

absl::StatusOr<NewToken> AccessStore::CreateRunToken(const std::string& namespace_id,
                                                     const std::string& pipeline_id, int64_t run_id,
                                                     const std::string& task_id, int attempt,
                                                     absl::Duration ttl, const std::string& actor) {
  const std::string run_key = fmt::format("{}/{}/{}", namespace_id, pipeline_id, run_id);
  const std::string run_attempt = fmt::format("{}/{}", task_id, attempt);
  const std::vector<Permission> scope = {
      {{"objects", "runs", "pipelines:" + pipeline_id, "namespaces:" + namespace_id},
       {Action::kRead, Action::kWrite}}};
  NewToken out;
  out.secret = "gofer_" + absl::BytesToHexString(SecureRandomBytes(24));
  auto created =
      pg::TransactValue<NewToken>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<NewToken> {
        tx.exec_params("DELETE FROM tokens WHERE run_key = $1 AND run_attempt = $2", run_key,
                       run_attempt);
        const std::string id = ids_.NewId();
        const pqxx::row row = tx.exec_params1(
            fmt::format("INSERT INTO tokens (id, hash, user_name, roles, metadata, expires, "
                        "permissions, run_key, run_attempt) VALUES ($1, $2, $3, '{{}}', $4::jsonb, "
                        "to_timestamp($5::double precision / 1000000), $6::jsonb, $7, $8) "
                        "RETURNING {}",
                        kTokenColumns),
            id, TokenHash(out.secret), "run:" + run_key,
            json{{"run", run_key}, {"task", task_id}, {"attempt", std::to_string(attempt)}}.dump(),
            absl::ToUnixMicros(clock_.Now() + ttl), PermissionsToJson(scope), run_key, run_attempt);
        out.token = TokenFromRow(row);
        Event(tx, outbox_, "token.created", actor,
              {{"token_id", id}, {"user", "run:" + run_key}, {"run_token", true}});
        return out;
      });
  InvalidateCache();
  return created;
}

absl::StatusOr<int64_t> AccessStore::RevokeRunTokens(const std::string& namespace_id,
                                                     const std::string& pipeline_id, int64_t run_id,
                                                     const std::string& actor) {
  const std::string run_key = fmt::format("{}/{}/{}", namespace_id, pipeline_id, run_id);
  auto revoked = pg::TransactValue<int64_t>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    const pqxx::result rows =
        tx.exec_params("DELETE FROM tokens WHERE run_key = $1 RETURNING id", run_key);
    for (const auto& r : rows) {
      Event(tx, outbox_, "token.deleted", actor,
            {{"token_id", r[0].as<std::string>()}, {"run_token", true}});
    }
    return static_cast<int64_t>(rows.size());
  });
  InvalidateCache();
  return revoked;
}

}  // namespace gofer::api_gateway
