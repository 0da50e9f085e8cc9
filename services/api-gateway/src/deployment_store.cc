#include "deployment_store.h"

#include <pqxx/field>
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/pg/transaction.h"
#include "store_parents.h"

namespace gofer::api_gateway {
namespace {

using nlohmann::json;

constexpr char kColumns[] =
    "namespace_id, pipeline_id, id, type, start_version, end_version, state, status, "
    "coalesce(canary::text, ''), steps::text, (extract(epoch FROM started) * 1000000)::bigint, "
    "(extract(epoch FROM ended) * 1000000)::bigint";

DeploymentRecord FromRow(const pqxx::row& r) {
  DeploymentRecord d;
  d.namespace_id = r[0].as<std::string>();
  d.pipeline_id = r[1].as<std::string>();
  d.id = r[2].as<int64_t>();
  d.type = static_cast<v1::DeploymentType>(r[3].as<int>());
  d.start_version = r[4].as<int64_t>();
  d.end_version = r[5].as<int64_t>();
  d.state = static_cast<v1::DeploymentState>(r[6].as<int>());
  d.status = static_cast<v1::DeploymentStatus>(r[7].as<int>());
  if (const std::string canary = r[8].as<std::string>(); !canary.empty()) {
    const json c = json::parse(canary);
    d.canary = CanarySettings{c.value("weight_percent", 0), c.value("min_runs", 0),
                              c.value("max_failure_percent", 0)};
  }
  for (const json& step : json::parse(r[9].as<std::string>())) {
    d.steps.push_back({absl::FromUnixMicros(step.value("time", int64_t{0})), step.value("kind", ""),
                       step.value("description", "")});
  }
  d.started = absl::FromUnixMicros(r[10].as<int64_t>());
  if (!r[11].is_null()) {
    d.ended = absl::FromUnixMicros(r[11].as<int64_t>());
  }
  return d;
}

json Step(const std::string& kind, const std::string& description) {
  return {{"time", absl::ToUnixMicros(absl::Now())}, {"kind", kind}, {"description", description}};
}

absl::Status Precondition(const std::string& why) {
  return WithErrorInfo(absl::FailedPreconditionError(why), ErrorReason::kFailedPrecondition);
}

std::vector<int64_t> LiveVersions(pqxx::work& tx, const std::string& ns,
                                  const std::string& pipeline) {
  std::vector<int64_t> live;
  for (const auto& row : tx.exec_params(
           "SELECT version FROM configs WHERE namespace_id = $1 AND pipeline_id = $2 AND state = 2 "
           "ORDER BY version",
           ns, pipeline)) {
    live.push_back(row[0].as<int64_t>());
  }
  return live;
}

void Event(pqxx::work& tx, const events::Outbox& outbox, const std::string& kind,
           const DeploymentRecord& d, const std::string& actor, const std::string& description) {
  outbox.Append(tx, {.kind = kind,
                     .namespace_id = d.namespace_id,
                     .pipeline_id = d.pipeline_id,
                     .actor = actor,
                     .details = json{{"deployment_id", d.id},
                                     {"start_version", d.start_version},
                                     {"end_version", d.end_version},
                                     {"description", description}}
                                    .dump()});
}

}  // namespace

absl::StatusOr<DeploymentRecord> DeploymentStore::Deploy(
    const std::string& ns, const std::string& pipeline, int64_t version, v1::DeploymentType type,
    const std::optional<CanarySettings>& canary, const std::string& actor) {
  return pg::TransactValue<
      DeploymentRecord>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<DeploymentRecord> {
    if (absl::Status s = CheckParents(tx, ns, pipeline, /*lock=*/true); !s.ok()) {
      return s;
    }
    if (tx.exec_params(
              "SELECT 1 FROM configs WHERE namespace_id = $1 AND pipeline_id = $2 AND version = $3",
              ns, pipeline, version)
            .empty()) {
      return NotFoundError("config version", std::to_string(version),
                           {{"pipeline_id", pipeline}, {"namespace_id", ns}});
    }
    const pqxx::result running = tx.exec_params(
        "SELECT id FROM deployments WHERE namespace_id = $1 AND pipeline_id = $2 AND state = 1", ns,
        pipeline);
    if (!running.empty()) {
      return Precondition(
          fmt::format("deployment {} of pipeline '{}' is still running; promote or roll "
                      "it back first",
                      running[0][0].as<int64_t>(), pipeline));
    }
    const std::vector<int64_t> live = LiveVersions(tx, ns, pipeline);
    const bool is_canary = type == v1::DEPLOYMENT_TYPE_CANARY;
    if (!is_canary && live == std::vector<int64_t>{version}) {
      return Precondition(fmt::format("version {} is already the live version of pipeline '{}'",
                                      version, pipeline));
    }
    if (is_canary && live.empty()) {
      return Precondition(
          "nothing is live yet to compare a canary with; deploy a first version immediately");
    }
    if (is_canary && std::find(live.begin(), live.end(), version) != live.end()) {
      return Precondition(fmt::format("version {} is already live", version));
    }
    const int64_t start = live.empty() ? 0 : live.back();
    json steps = json::array(
        {Step("started", fmt::format("{} deployment of version {} by {}",
                                     is_canary ? "canary" : "immediate", version, actor))});
    if (is_canary) {
      steps.push_back(Step("weight_changed", fmt::format("{}% of new runs use version {}",
                                                         canary->weight_percent, version)));
      tx.exec_params(
          "UPDATE configs SET state = 2, deprecated = NULL WHERE namespace_id = $1 AND "
          "pipeline_id = $2 AND version = $3",
          ns, pipeline, version);
    } else {
      tx.exec_params(
          "UPDATE configs SET state = 3, deprecated = now() WHERE namespace_id = $1 AND "
          "pipeline_id = $2 AND state = 2 AND version <> $3",
          ns, pipeline, version);
      tx.exec_params(
          "UPDATE configs SET state = 2, deprecated = NULL WHERE namespace_id = $1 AND "
          "pipeline_id = $2 AND version = $3",
          ns, pipeline, version);
      steps.push_back(Step("promoted", fmt::format("version {} is live", version)));
    }
    const json canary_json = is_canary ? json{{"weight_percent", canary->weight_percent},
                                              {"min_runs", canary->min_runs},
                                              {"max_failure_percent", canary->max_failure_percent}}
                                       : json();
    const pqxx::row row = tx.exec_params1(
        fmt::format(
            "INSERT INTO deployments (namespace_id, pipeline_id, id, type, start_version, "
            "end_version, "
            "state, status, canary, steps, ended) VALUES ($1, $2, (SELECT coalesce(max(id), 0) + 1 "
            "FROM deployments WHERE namespace_id = $1 AND pipeline_id = $2), $3, $4, $5, $6, $7, "
            "NULLIF($8, 'null')::jsonb, $9::jsonb, CASE WHEN $6::smallint = 2 THEN now() END) "
            "RETURNING {}",
            kColumns),
        ns, pipeline,
        static_cast<int>(is_canary ? v1::DEPLOYMENT_TYPE_CANARY : v1::DEPLOYMENT_TYPE_IMMEDIATE),
        start, version, is_canary ? 1 : 2, is_canary ? 0 : 1, canary_json.dump(), steps.dump());
    DeploymentRecord d = FromRow(row);
    Event(tx, outbox_, "deployment.started", d, actor, d.steps.front().description);
    if (!is_canary) {
      Event(tx, outbox_, "deployment.promoted", d, actor, d.steps.back().description);
    }
    return d;
  });
}

absl::StatusOr<DeploymentRecord> DeploymentStore::Finish(const std::string& ns,
                                                         const std::string& pipeline, int64_t id,
                                                         bool promote, const std::string& reason,
                                                         const std::string& actor) {
  return pg::TransactValue<
      DeploymentRecord>(pool_, [&](pqxx::work& tx) -> absl::StatusOr<DeploymentRecord> {
    if (absl::Status s = CheckParents(tx, ns, pipeline, /*lock=*/true); !s.ok()) {
      return s;
    }
    const pqxx::result rows = tx.exec_params(
        fmt::format(
            "SELECT {} FROM deployments WHERE namespace_id = $1 AND pipeline_id = $2 AND id = $3",
            kColumns),
        ns, pipeline, id);
    if (rows.empty()) {
      return NotFoundError("deployment", std::to_string(id),
                           {{"pipeline_id", pipeline}, {"namespace_id", ns}});
    }
    DeploymentRecord d = FromRow(rows[0]);
    if (d.state != v1::DEPLOYMENT_STATE_RUNNING) {
      return Precondition(fmt::format("deployment {} is already complete", id));
    }
    const int64_t retired = promote ? d.start_version : d.end_version;
    tx.exec_params(
        "UPDATE configs SET state = 3, deprecated = now() WHERE namespace_id = $1 AND "
        "pipeline_id = $2 AND version = $3",
        ns, pipeline, retired);
    const std::string description =
        promote ? fmt::format("version {} promoted by {}", d.end_version, actor)
                : fmt::format("rolled back to version {} by {}{}", d.start_version, actor,
                              reason.empty() ? "" : ": " + reason);
    const pqxx::row row = tx.exec_params1(
        fmt::format("UPDATE deployments SET state = 2, status = $4, ended = now(), steps = steps "
                    "|| $5::jsonb "
                    "WHERE namespace_id = $1 AND pipeline_id = $2 AND id = $3 RETURNING {}",
                    kColumns),
        ns, pipeline, id, promote ? 1 : 2,
        json::array({Step(promote ? "promoted" : "rolled_back", description)}).dump());
    d = FromRow(row);
    Event(tx, outbox_, promote ? "deployment.promoted" : "deployment.rolled_back", d, actor,
          description);
    return d;
  });
}

absl::StatusOr<std::vector<DeploymentRecord>> DeploymentStore::ListRunningCanaries() {
  return pg::TransactValue<std::vector<DeploymentRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<DeploymentRecord>> {
        std::vector<DeploymentRecord> out;
        for (const auto& row :
             tx.exec_params(fmt::format("SELECT {} FROM deployments WHERE state = 1 AND type = $1 "
                                        "ORDER BY namespace_id, pipeline_id, id",
                                        kColumns),
                            static_cast<int>(v1::DEPLOYMENT_TYPE_CANARY))) {
          out.push_back(FromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

absl::StatusOr<DeploymentRecord> DeploymentStore::Promote(const std::string& ns,
                                                          const std::string& pipeline, int64_t id,
                                                          const std::string& actor) {
  return Finish(ns, pipeline, id, /*promote=*/true, "", actor);
}

absl::StatusOr<DeploymentRecord> DeploymentStore::Rollback(const std::string& ns,
                                                           const std::string& pipeline, int64_t id,
                                                           const std::string& reason,
                                                           const std::string& actor) {
  return Finish(ns, pipeline, id, /*promote=*/false, reason, actor);
}

absl::StatusOr<DeploymentRecord> DeploymentStore::Get(const std::string& ns,
                                                      const std::string& pipeline, int64_t id) {
  return pg::TransactValue<DeploymentRecord>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<DeploymentRecord> {
        if (absl::Status s = CheckParents(tx, ns, pipeline); !s.ok()) {
          return s;
        }
        const pqxx::result rows =
            tx.exec_params(fmt::format("SELECT {} FROM deployments WHERE namespace_id = $1 AND "
                                       "pipeline_id = $2 AND id = $3",
                                       kColumns),
                           ns, pipeline, id);
        if (rows.empty()) {
          return NotFoundError("deployment", std::to_string(id),
                               {{"pipeline_id", pipeline}, {"namespace_id", ns}});
        }
        return FromRow(rows[0]);
      },
      {.read_only = true});
}

absl::StatusOr<std::vector<DeploymentRecord>> DeploymentStore::List(const std::string& ns,
                                                                    const std::string& pipeline,
                                                                    int64_t before_id, int limit) {
  return pg::TransactValue<std::vector<DeploymentRecord>>(
      pool_,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<DeploymentRecord>> {
        if (absl::Status s = CheckParents(tx, ns, pipeline); !s.ok()) {
          return s;
        }
        std::vector<DeploymentRecord> out;
        for (const auto& row : tx.exec_params(
                 fmt::format(
                     "SELECT {} FROM deployments WHERE namespace_id = $1 AND pipeline_id = $2 "
                     "AND ($3::bigint = 0 OR id < $3::bigint) ORDER BY id DESC LIMIT $4",
                     kColumns),
                 ns, pipeline, before_id, limit)) {
          out.push_back(FromRow(row));
        }
        return out;
      },
      {.read_only = true});
}

}  // namespace gofer::api_gateway
