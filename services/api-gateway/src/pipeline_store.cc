#include "pipeline_store.h"

#include <google/protobuf/util/json_util.h>

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/status_macros.h"
#include "gofer/pg/transaction.h"
#include "store_parents.h"

namespace gofer::api_gateway {
namespace {

constexpr char kPipelineColumns[] =
    "p.namespace_id, p.id, p.name, p.description, p.state, "
    "(extract(epoch FROM p.created) * 1000000)::bigint, "
    "(extract(epoch FROM p.modified) * 1000000)::bigint, "
    // Kept on the row by a trigger on configs (migrations/0003_pipeline_versions.sql).
    "p.latest_version, p.live_versions";

constexpr char kConfigColumns[] =
    "namespace_id, pipeline_id, version, config::text, hash, state, "
    "(extract(epoch FROM registered) * 1000000)::bigint, "
    "(extract(epoch FROM deprecated) * 1000000)::bigint";

PipelineRecord PipelineFromRow(const pqxx::row& r) {
  PipelineRecord p;
  p.namespace_id = r[0].as<std::string>();
  p.id = r[1].as<std::string>();
  p.name = r[2].as<std::string>();
  p.description = r[3].as<std::string>();
  p.disabled = r[4].as<int>() == 2;
  p.created = absl::FromUnixMicros(r[5].as<int64_t>());
  p.modified = absl::FromUnixMicros(r[6].as<int64_t>());
  p.latest_version = r[7].as<int64_t>();
  p.live_versions = nlohmann::json::parse(r[8].as<std::string>()).get<std::vector<int64_t>>();
  return p;
}

absl::StatusOr<ConfigRecord> ConfigFromRow(const pqxx::row& r) {
  ConfigRecord c;
  c.namespace_id = r[0].as<std::string>();
  c.pipeline_id = r[1].as<std::string>();
  c.version = r[2].as<int64_t>();
  auto config = ConfigFromJson(r[3].as<std::string>());
  if (!config.ok()) {
    return absl::DataLossError(fmt::format("stored config {} of {}/{} is unreadable: {}", c.version,
                                           c.namespace_id, c.pipeline_id,
                                           config.status().message()));
  }
  c.config = *std::move(config);
  c.hash = r[4].as<std::string>();
  c.state = static_cast<v1::ConfigState>(r[5].as<int>());
  c.registered = absl::FromUnixMicros(r[6].as<int64_t>());
  if (!r[7].is_null()) {
    c.deprecated = absl::FromUnixMicros(r[7].as<int64_t>());
  }
  return c;
}

absl::Status VersionNotFound(const std::string& ns, const std::string& pipeline, int64_t version) {
  return NotFoundError("config version", std::to_string(version),
                       {{"pipeline_id", pipeline}, {"namespace_id", ns}});
}

void Event(pqxx::work& tx, const events::Outbox& outbox, const char* kind, const std::string& ns,
           const std::string& pipeline, const std::string& actor,
           const nlohmann::json& details = {}) {
  outbox.Append(tx, {.kind = kind,
                     .namespace_id = ns,
                     .pipeline_id = pipeline,
                     .actor = actor,
                     .details = details.is_null() ? "{}" : details.dump()});
}

}  // namespace

std::string ConfigToJson(const v1::PipelineConfig& config) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(config, &out, options);
  return out;
}

absl::StatusOr<v1::PipelineConfig> ConfigFromJson(const std::string& json) {
  v1::PipelineConfig config;
  auto status = google::protobuf::util::JsonStringToMessage(json, &config);
  if (!status.ok()) {
    return absl::InternalError(std::string(status.message()));
  }
  return config;
}

absl::StatusOr<Registration> PipelineStore::Register(const std::string& namespace_id,
                                                     const v1::PipelineConfig& config,
                                                     const std::string& hash,
                                                     const std::string& actor) {
  return pg::TransactValue<Registration>(
      pool_, [&](pqxx::work& tx) -> absl::StatusOr<Registration> {
        Registration out;
        absl::Status parents = CheckParents(tx, namespace_id, "", /*lock=*/true);
        if (!parents.ok()) {
          return parents;
        }
        out.pipeline_created =
            !tx.exec_params(
                   "INSERT INTO pipelines (namespace_id, id, name, description) VALUES ($1, $2, "
                   "$3, $4) "
                   "ON CONFLICT DO NOTHING RETURNING 1",
                   namespace_id, config.id(), config.name(), config.description())
                 .empty();
        tx.exec_params("SELECT 1 FROM pipelines WHERE namespace_id = $1 AND id = $2 FOR UPDATE",
                       namespace_id, config.id());
        const pqxx::result latest = tx.exec_params(
            fmt::format("SELECT {} FROM configs WHERE namespace_id = $1 AND pipeline_id = $2 "
                        "ORDER BY version DESC LIMIT 1",
                        kConfigColumns),
            namespace_id, config.id());
        if (!latest.empty()) {
          auto previous = ConfigFromRow(latest[0]);
          if (!previous.ok()) {
            return previous.status();
          }
          out.previous = *std::move(previous);
          if (out.previous->hash == hash) {
            out.unchanged = true;
            out.version = *out.previous;
            return out;
          }
        }
        const int64_t version = out.previous ? out.previous->version + 1 : 1;
        const pqxx::row row = tx.exec_params1(
            fmt::format("INSERT INTO configs (namespace_id, pipeline_id, version, config, hash) "
                        "VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING {}",
                        kConfigColumns),
            namespace_id, config.id(), version, ConfigToJson(config), hash);
        auto stored = ConfigFromRow(row);
        if (!stored.ok()) {
          return stored.status();
        }
        out.version = *std::move(stored);
        tx.exec_params(
            "UPDATE pipelines SET name = $3, description = $4, modified = now() "
            "WHERE namespace_id = $1 AND id = $2",
            namespace_id, config.id(), config.name(), config.description());
        if (out.pipeline_created) {
          Event(tx, outbox_, "pipeline.created", namespace_id, config.id(), actor);
        }
        Event(tx, outbox_, "pipeline.config_registered", namespace_id, config.id(), actor,
              {{"version", version}, {"hash", hash}});
        return out;
      });
}

absl::StatusOr<ConfigRecord> PipelineStore::GetConfig(const std::string& namespace_id,
                                                      const std::string& pipeline_id,
                                                      int64_t version) {
  return pg::TransactValue<ConfigRecord>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<ConfigRecord> {
        if (absl::Status s = CheckParents(tx, namespace_id, pipeline_id); !s.ok()) {
          return s;
        }
        const pqxx::result rows = tx.exec_params(
            fmt::format(
                "SELECT {} FROM configs WHERE namespace_id = $1 AND pipeline_id = $2 "
                "AND ($3::bigint = 0 OR version = $3::bigint) ORDER BY version DESC LIMIT 1",
                kConfigColumns),
            namespace_id, pipeline_id, version);
        if (rows.empty()) {
          return VersionNotFound(namespace_id, pipeline_id, version);
        }
        return ConfigFromRow(rows[0]);
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<ConfigRecord>> PipelineStore::ListConfigs(
    const std::string& namespace_id, const std::string& pipeline_id, int64_t before_version,
    int limit) {
  return pg::TransactValue<std::vector<ConfigRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<ConfigRecord>> {
        if (absl::Status s = CheckParents(tx, namespace_id, pipeline_id); !s.ok()) {
          return s;
        }
        std::vector<ConfigRecord> out;
        for (const auto& row : tx.exec_params(
                 fmt::format(
                     "SELECT {} FROM configs WHERE namespace_id = $1 AND pipeline_id = $2 "
                     "AND ($3::bigint = 0 OR version < $3::bigint) ORDER BY version DESC LIMIT $4",
                     kConfigColumns),
                 namespace_id, pipeline_id, before_version, limit)) {
          auto record = ConfigFromRow(row);
          if (!record.ok()) {
            return record.status();
          }
          out.push_back(*std::move(record));
        }
        return out;
      },
      {.read_only = true});
}

absl::Status PipelineStore::DeleteConfig(const std::string& namespace_id,
                                         const std::string& pipeline_id, int64_t version,
                                         const std::string& actor) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    if (absl::Status s = CheckParents(tx, namespace_id, pipeline_id, /*lock=*/true); !s.ok()) {
      return s;
    }
    const pqxx::result rows = tx.exec_params(
        "SELECT state, version = (SELECT max(version) FROM configs WHERE namespace_id = $1 AND "
        "pipeline_id = $2) FROM configs WHERE namespace_id = $1 AND pipeline_id = $2 AND version = "
        "$3",
        namespace_id, pipeline_id, version);
    if (rows.empty()) {
      return VersionNotFound(namespace_id, pipeline_id, version);
    }
    if (rows[0][0].as<int>() == v1::CONFIG_STATE_LIVE || rows[0][1].as<bool>()) {
      return WithErrorInfo(
          absl::FailedPreconditionError(
              fmt::format("config version {} of pipeline '{}' is {}; only versions that are "
                          "neither live nor the latest can be deleted",
                          version, pipeline_id, rows[0][1].as<bool>() ? "the latest" : "live")),
          ErrorReason::kFailedPrecondition);
    }
    tx.exec_params(
        "DELETE FROM configs WHERE namespace_id = $1 AND pipeline_id = $2 AND version = $3",
        namespace_id, pipeline_id, version);
    Event(tx, outbox_, "pipeline.config_deleted", namespace_id, pipeline_id, actor,
          {{"version", version}});
    return absl::OkStatus();
  });
}

absl::Status PipelineStore::CheckExists(const std::string& namespace_id,
                                        const std::string& pipeline_id) {
  return pg::Transact(pool_,
                      [&](pqxx::work& tx) { return CheckParents(tx, namespace_id, pipeline_id); },
                      {.read_only = true});
}

absl::StatusOr<PipelineRecord> PipelineStore::GetPipeline(const std::string& namespace_id,
                                                          const std::string& id) {
  // The hot path is one statement in one round trip; a miss is explained by the transaction
  // below (which parent is missing).
  auto found = pg::ReadStatementValue<std::optional<PipelineRecord>>(
      pool_, [&](pqxx::nontransaction& tx) -> absl::StatusOr<std::optional<PipelineRecord>> {
        // Prepared once per connection: the plan is reused.
        static const std::string kSql = fmt::format(
            "SELECT {} FROM pipelines p WHERE p.namespace_id = $1 AND p.id = $2", kPipelineColumns);
        tx.conn().prepare("gateway_get_pipeline", kSql);
        const pqxx::result rows = tx.exec_prepared("gateway_get_pipeline", namespace_id, id);
        if (rows.empty()) {
          return std::optional<PipelineRecord>();
        }
        return std::optional<PipelineRecord>(PipelineFromRow(rows[0]));
      });
  if (!found.ok()) {
    return found.status();
  }
  if (found->has_value()) {
    return **std::move(found);
  }
  return pg::TransactValue<PipelineRecord>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<PipelineRecord> {
        // The hot path is one statement: the namespace is checked only on a miss, to say which
        // parent is missing.
        const pqxx::result rows = tx.exec_params(
            fmt::format("SELECT {} FROM pipelines p WHERE p.namespace_id = $1 AND p.id = $2",
                        kPipelineColumns),
            namespace_id, id);
        if (rows.empty()) {
          if (absl::Status s = CheckParents(tx, namespace_id, ""); !s.ok()) {
            return s;
          }
          return NotFoundError("pipeline", id, {{"namespace_id", namespace_id}});
        }
        return PipelineFromRow(rows[0]);
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<PipelineRecord>> PipelineStore::ListPipelines(
    const std::string& namespace_id, const std::string& after, int limit) {
  // One prepared statement in one round trip; an empty page is explained by the transaction
  // below (a missing namespace is NOT_FOUND, an empty one is an empty list).
  auto page = pg::ReadStatementValue<std::vector<PipelineRecord>>(
      pool_, [&](pqxx::nontransaction& tx) -> absl::StatusOr<std::vector<PipelineRecord>> {
        static const std::string kSql = fmt::format(
            "SELECT {} FROM pipelines p WHERE p.namespace_id = $1 AND "
            "p.id COLLATE \"C\" > $2 ORDER BY p.id COLLATE \"C\" LIMIT $3",
            kPipelineColumns);
        tx.conn().prepare("gateway_list_pipelines", kSql);
        std::vector<PipelineRecord> out;
        for (const auto& row :
             tx.exec_prepared("gateway_list_pipelines", namespace_id, after, limit)) {
          out.push_back(PipelineFromRow(row));
        }
        return out;
      });
  if (!page.ok() || !page->empty()) {
    return page;
  }
  GOFER_RETURN_IF_ERROR(
      pg::Transact(pool_, [&](pqxx::work& tx) { return CheckParents(tx, namespace_id, ""); },
                   {.read_only = true}));
  return page;
}

absl::StatusOr<std::pair<PipelineRecord, bool>> PipelineStore::SetDisabled(
    const std::string& namespace_id, const std::string& id, bool disabled,
    const std::string& actor) {
  using Result = std::pair<PipelineRecord, bool>;
  return pg::TransactValue<Result>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<Result> {
    if (absl::Status s = CheckParents(tx, namespace_id, id, /*lock=*/true); !s.ok()) {
      return s;
    }
    const bool changed =
        !tx.exec_params(
               "UPDATE pipelines SET state = $3, modified = now() WHERE namespace_id = $1 "
               "AND id = $2 AND state <> $3 RETURNING 1",
               namespace_id, id, disabled ? 2 : 1)
             .empty();
    if (changed) {
      Event(tx, outbox_, disabled ? "pipeline.disabled" : "pipeline.enabled", namespace_id, id,
            actor);
    }
    const pqxx::row row = tx.exec_params1(
        fmt::format("SELECT {} FROM pipelines p WHERE p.namespace_id = $1 AND p.id = $2",
                    kPipelineColumns),
        namespace_id, id);
    return Result{PipelineFromRow(row), changed};
  });
}

absl::Status PipelineStore::DeletePipeline(const std::string& namespace_id, const std::string& id,
                                           const std::string& actor) {
  return pg::Transact(pool_, [&](pqxx::work& tx) -> absl::Status {
    if (absl::Status s = CheckParents(tx, namespace_id, id, /*lock=*/true); !s.ok()) {
      return s;
    }
    tx.exec_params("DELETE FROM pipelines WHERE namespace_id = $1 AND id = $2", namespace_id, id);
    Event(tx, outbox_, "pipeline.deleted", namespace_id, id, actor);
    return absl::OkStatus();
  });
}

}  // namespace gofer::api_gateway
