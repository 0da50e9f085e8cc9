// gofer-api-gateway: composition root.
#include "access_service.h"
#include "canary_watch.h"
#include "config.h"
#include "event_service.h"
#include "gofer/app/periodic.h"
#include "gofer/common/fmt_absl.h"
#include "internal_service.h"
#include "namespace_service.h"
#include "pipeline_service.h"
#include "run_forwarding.h"
#include "spdlog/spdlog.h"
#include "store_forwarding.h"

int main(int argc, char** argv) {
  namespace gw = gofer::api_gateway;
  gofer::app::BlockShutdownSignals();
  gw::Config config;
  gofer::config::Schema schema = config.MakeSchema();
  if (auto exit_code = gofer::app::Init(argc, argv, gw::kInfo, schema, config.common)) {
    return *exit_code;
  }
  if (config.dev_no_auth) {
    spdlog::warn(
        "DEV_NO_AUTH is set: EVERY CALL IS ADMITTED AS ADMIN WITHOUT A TOKEN. Never use it "
        "outside a development machine.");
  }
  auto postgres = gofer::app::ConnectPostgres(
      gw::kInfo, config.postgres, gofer::GatewayMigrations(), config.common.startup_timeout);
  if (!postgres.ok()) {
    spdlog::critical("cannot start: {}", postgres.status());
    return 1;
  }
  const gofer::events::Outbox outbox(config.postgres.events_schema);
  gofer::UuidV7Generator ids;
  gw::AccessStore access(**postgres, outbox, gofer::SystemClock::Get(), ids);
  gw::NamespaceStore namespaces(**postgres, outbox);
  gw::PipelineStore pipelines(**postgres, outbox);
  gw::DeploymentStore deployments(**postgres, outbox);
  gw::EventNotifier notifier(config.postgres.dsn, absl::Seconds(1));
  gofer::app::Periodic housekeeping("gateway-prune", config.housekeeping_interval, [&] {
    auto events = outbox.PruneBefore(**postgres, absl::Now() - config.event_retention);
    auto tokens = access.PruneExpiredTokens(config.token_prune_grace);
    if (!events.ok() || !tokens.ok()) {
      spdlog::warn("pruning: {} / {}", events.status(), tokens.status());
    }
  });
  // The public port authenticates users' tokens itself; the internal credential is for calls
  // this gateway makes to the other services.
  gofer::rpc::RuntimeOptions runtime_options = gofer::app::RuntimeOptionsFrom(config.common);
  runtime_options.internal_credential.clear();
  gofer::rpc::Runtime runtime(runtime_options);
  gw::Gatekeeper gate(access, runtime, config.dev_no_auth);
  gw::NamespaceService namespace_service(namespaces, gate);
  gw::SystemService system_service(namespaces, gate);
  gw::TokenService token_service(access, gate);
  gw::RoleService role_service(access, gate);
  gw::EventService event_service(**postgres, outbox, notifier, gate);
  const gofer::rpc::Client objects({.target = config.object_store_address,
                                    .internal_credential = config.common.internal_credential});
  const gofer::rpc::Client secrets({.target = config.secret_store_address,
                                    .internal_credential = config.common.internal_credential});
  gw::ObjectForwardService object_service(objects, pipelines, gate);
  gw::SecretForwardService secret_service(secrets, pipelines, gate);
  gw::PipelineService pipeline_service(pipelines, gate);
  gw::ConfigService config_service(pipelines, gate);
  gw::DeploymentService deployment_service(deployments, gate);
  const gofer::rpc::Client run_queue({.target = config.run_queue_address,
                                      .internal_credential = config.common.internal_credential});
  gw::RunForwardService run_service(run_queue, namespaces, pipelines, deployments, gate);
  const gofer::rpc::Client scheduler({.target = config.scheduler_address,
                                      .internal_credential = config.common.internal_credential});
  gw::AttachAudit attach_audit(**postgres, outbox);
  gw::TaskForwardService task_service(
      run_queue, namespaces, pipelines, deployments, gate,
      {.scheduler = &scheduler, .audit = &attach_audit, .enabled = config.attach_enabled});
  gofer::app::Periodic canary_watch("canary-watch", config.canary_check_interval, [&] {
    if (absl::Status s = gw::CheckCanaries(deployments, run_queue); !s.ok()) {
      spdlog::warn("checking canary deployments: {}", s);
    }
  });
  // The internal API on the same port: its own runtime requires the internal credential.
  gofer::rpc::Runtime internal_runtime(gofer::app::RuntimeOptionsFrom(config.common));
  gw::InternalService internal_service(access, internal_runtime);
  return gofer::app::Serve(
      gw::kInfo, config.common, runtime,
      {&namespace_service, &system_service, &token_service, &role_service, &event_service,
       &pipeline_service, &config_service, &deployment_service, &object_service, &secret_service,
       &run_service, &task_service, &internal_service},
      {gw::kHealthService, "gofer.v1.NamespaceService", "gofer.v1.TokenService"});
}
