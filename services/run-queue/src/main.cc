// gofer-run-queue: composition root. Connects Postgres (the source of truth) and Redis (ready
// queue and leases), starts this replica's orchestrator, and serves the RunQueue API.
#include "config.h"
#include "gofer/common/clock.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/events/outbox.h"
#include "gofer/rpc/status.h"
#include "grpc_resolver.h"
#include "lease_manager.h"
#include "orchestrator.h"
#include "ready_queue.h"
#include "run_queue_service.h"
#include "run_store.h"
#include "spdlog/spdlog.h"

namespace {

namespace rq = gofer::run_queue;

// Deletes logs and run objects of expired runs through the object-store.
absl::Status DeleteRunObjects(gofer::rpc::Client& objects, const std::string& caller,
                              const std::string& namespace_id, const std::string& pipeline_id,
                              int64_t up_to_run_id) {
  auto stub = gofer::objects::v1::ObjectStore::NewStub(objects.channel());
  gofer::objects::v1::DeleteRunObjectsRequest request;
  request.set_namespace_id(namespace_id);
  request.set_pipeline_id(pipeline_id);
  request.set_up_to_run_id(up_to_run_id);
  request.set_include_task_logs(true);
  gofer::objects::v1::DeleteRunObjectsResponse response;
  auto context = objects.NewContext({.caller = caller});
  return gofer::rpc::FromGrpcStatus(stub->DeleteRunObjects(context.get(), request, &response));
}

// Revokes a finished run's tokens through the gateway's internal API.
absl::Status RevokeRunTokens(gofer::rpc::Client& gateway, const std::string& caller,
                             const rq::RunKey& run) {
  auto stub = gofer::gateway::v1::Gateway::NewStub(gateway.channel());
  gofer::gateway::v1::RevokeRunTokensRequest request;
  request.set_namespace_id(run.namespace_id);
  request.set_pipeline_id(run.pipeline_id);
  request.set_run_id(run.run_id);
  gofer::gateway::v1::RevokeRunTokensResponse response;
  auto context = gateway.NewContext({.caller = caller});
  return gofer::rpc::FromGrpcStatus(stub->RevokeRunTokens(context.get(), request, &response));
}

}  // namespace

int main(int argc, char** argv) {
  using rq::kInfo;
  gofer::app::BlockShutdownSignals();
  rq::Config config;
  gofer::config::Schema schema = config.MakeSchema();
  if (auto exit_code = gofer::app::Init(argc, argv, kInfo, schema, config.common)) {
    return *exit_code;
  }
  auto postgres = gofer::app::ConnectPostgres(kInfo, config.postgres, gofer::RunQueueMigrations(),
                                              config.common.startup_timeout);
  if (!postgres.ok()) {
    spdlog::critical("cannot start: {}", postgres.status().message());
    return 1;
  }
  auto redis = gofer::app::ConnectRedis(config.redis, config.common.startup_timeout);
  if (!redis.ok()) {
    spdlog::critical("cannot start: {}", redis.status().message());
    return 1;
  }
  const std::string caller = "run-queue:" + config.common.replica_id;
  auto client = [&](const std::string& target) {
    return gofer::rpc::Client(
        {.target = target, .internal_credential = config.common.internal_credential});
  };
  gofer::rpc::Client scheduler = client(config.scheduler_address);
  gofer::rpc::Client objects = client(config.object_store_address);
  gofer::rpc::Client secrets = client(config.secret_store_address);
  gofer::rpc::Client gateway = client(config.gateway_address);

  gofer::events::Outbox outbox(config.postgres.events_schema);
  rq::RunStore store(**postgres, outbox);
  rq::ReadyQueue queue(**redis);
  rq::LeaseManager leases(**redis, queue.lease_prefix());
  rq::GrpcResolver resolver(secrets, objects, caller);
  rq::SeededRandomSource random(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  gofer::Clock& clock = gofer::SystemClock::Get();
  const rq::OrchestratorConfig& o = config.orchestrator;
  rq::Orchestrator orchestrator(
      o, config.common.replica_id,
      {.store = &store,
       .queue = &queue,
       .leases = &leases,
       .watcher = {.scheduler = &scheduler,
                   .object_store = &objects,
                   .gateway = &gateway,
                   .run_token_ttl = o.max_duration,
                   .resolver = &resolver,
                   .api_url = o.api_url,
                   .log_chunk_bytes = o.log_chunk_bytes,
                   .log_flush_interval = o.log_flush_interval},
       .clock = &clock,
       .random = &random,
       .delete_run_objects =
           [&](const std::string& ns, const std::string& pl, int64_t up_to) {
             return DeleteRunObjects(objects, caller, ns, pl, up_to);
           },
       .revoke_run_tokens =
           [&](const rq::RunKey& run) { return RevokeRunTokens(gateway, caller, run); }});
  gofer::rpc::Runtime runtime(gofer::app::RuntimeOptionsFrom(config.common));
  rq::RunQueueService service({.runtime = &runtime,
                               .store = &store,
                               .orchestrator = &orchestrator,
                               .object_store = &objects,
                               .clock = &clock,
                               .default_grace = o.default_grace});
  orchestrator.Start();
  // On SIGTERM the held runs are handed over first (other replicas adopt them at once), then
  // in-flight calls drain.
  return gofer::app::Serve(kInfo, config.common, runtime, {&service}, {rq::kHealthService},
                           [&] { orchestrator.Stop(); });
}
