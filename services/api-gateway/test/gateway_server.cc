#include "gateway_server.h"

#include <catch2/catch.hpp>
#include <pqxx/transaction>

#include <utility>

#include "config.h"
#include "gofer/common/errors.h"
#include "gofer/pg/migrations.h"
#include "gofer/pg/transaction.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway::testing {
namespace {

// How often the event notifier wakes watchers without a NOTIFY (the stable horizon of the
// outbox moves when any older transaction on the server ends).
constexpr absl::Duration kNotifierTick = absl::Milliseconds(50);

}  // namespace

GatewayServer::GatewayServer(GatewayOptions options)
    : pool_(gateway_schema_.MakePool(12)),
      outbox_(events_schema_.name()),
      clock_(absl::Now()),
      access_(*pool_, outbox_, clock_, ids_),
      namespaces_(*pool_, outbox_),
      notifier_(gateway_schema_.dsn(), kNotifierTick),
      runtime_(rpc::RuntimeOptions{}),
      gate_(access_, runtime_, options.dev_no_auth),
      namespace_service_(namespaces_, gate_),
      system_service_(namespaces_, gate_),
      token_service_(access_, gate_),
      role_service_(access_, gate_),
      event_service_(*pool_, outbox_, notifier_, gate_),
      pipelines_(*pool_, outbox_),
      deployments_(*pool_, outbox_),
      pipeline_service_(pipelines_, gate_),
      config_service_(pipelines_, gate_),
      deployment_service_(deployments_, gate_),
      run_queue_({.target = options.run_queue_address,
                  .internal_credential = options.run_queue_credential}),
      scheduler_({.target = options.scheduler_address,
                  .internal_credential = options.run_queue_credential}),
      attach_audit_(*pool_, outbox_),
      run_service_(run_queue_, namespaces_, pipelines_, deployments_, gate_),
      task_service_(
          run_queue_, namespaces_, pipelines_, deployments_, gate_,
          {.scheduler = &scheduler_, .audit = &attach_audit_, .enabled = options.attach_enabled}) {
  GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool_, gofer::GatewayMigrations(), gateway_schema_.name()));
  GOFER_REQUIRE_OK(pg::ApplyMigrations(*pool_, gofer::EventsMigrations(), events_schema_.name()));
  std::vector<grpc::Service*> services{
      &namespace_service_, &system_service_, &token_service_,      &role_service_, &event_service_,
      &pipeline_service_,  &config_service_, &deployment_service_, &run_service_,  &task_service_};
  served_ = {"gofer.v1.NamespaceService", "gofer.v1.SystemService",     "gofer.v1.TokenService",
             "gofer.v1.RoleService",      "gofer.v1.EventService",      "gofer.v1.PipelineService",
             "gofer.v1.ConfigService",    "gofer.v1.DeploymentService", "gofer.v1.RunService",
             "gofer.v1.TaskService"};
  if (options.object_store != nullptr) {
    object_service_ =
        std::make_unique<ObjectForwardService>(*options.object_store, pipelines_, gate_);
    services.push_back(object_service_.get());
    served_.push_back("gofer.v1.ObjectService");
  }
  if (options.secret_store != nullptr) {
    secret_service_ =
        std::make_unique<SecretForwardService>(*options.secret_store, pipelines_, gate_);
    services.push_back(secret_service_.get());
    served_.push_back("gofer.v1.SecretService");
  }
  auto server = rpc::Server::Start(
      {.service_name = "api-gateway-test", .listen_address = "127.0.0.1:0"}, services);
  GOFER_REQUIRE_OK(server);
  server_ = *std::move(server);
  client_ = std::make_unique<rpc::Client>(rpc::ClientOptions{.target = server_->address()});
}

GatewayServer::~GatewayServer() {
  server_->Shutdown();
  runtime_.Shutdown();
}

std::unique_ptr<grpc::ClientContext> GatewayServer::Context(const std::string& secret,
                                                            absl::Duration timeout) const {
  auto context = client_->NewContext({.timeout = timeout});
  if (!secret.empty()) {
    context->AddMetadata(rpc::kAuthorizationHeader, "Bearer " + secret);
  }
  return context;
}

const std::string& GatewayServer::admin_secret() {
  if (admin_secret_.empty()) {
    auto created = Call("", &v1::TokenService::Stub::BootstrapToken, v1::BootstrapTokenRequest());
    GOFER_REQUIRE_OK(created);
    admin_secret_ = created->secret();
  }
  return admin_secret_;
}

v1::TokenWithSecret GatewayServer::CreateToken(const std::vector<std::string>& roles,
                                               const std::string& user, absl::Duration expires_in) {
  v1::CreateTokenRequest request;
  request.set_user(user);
  for (const std::string& role : roles) {
    request.add_roles(role);
  }
  if (expires_in > absl::ZeroDuration()) {
    request.mutable_expires_in()->set_seconds(absl::ToInt64Seconds(expires_in));
  }
  auto created = Call(admin_secret(), &v1::TokenService::Stub::CreateToken, request);
  GOFER_REQUIRE_OK(created);
  return *std::move(created);
}

void GatewayServer::CreateNamespace(const std::string& id) {
  v1::CreateNamespaceRequest request;
  request.set_id(id);
  GOFER_REQUIRE_OK(Call(admin_secret(), &v1::NamespaceService::Stub::CreateNamespace, request));
}

v1::RegisterConfigResponse GatewayServer::RegisterConfig(const v1::PipelineConfig& config,
                                                         const std::string& namespace_id) {
  v1::RegisterConfigRequest request;
  request.set_namespace_id(namespace_id);
  *request.mutable_config() = config;
  auto registered = Call(admin_secret(), &v1::ConfigService::Stub::RegisterConfig, request);
  GOFER_REQUIRE_OK(registered);
  return *std::move(registered);
}

v1::Deployment GatewayServer::Deploy(const std::string& pipeline_id, int64_t version,
                                     const std::string& namespace_id, int canary_weight) {
  v1::DeployRequest request;
  request.set_namespace_id(namespace_id);
  request.set_pipeline_id(pipeline_id);
  request.set_version(version);
  if (canary_weight > 0) {
    request.set_type(v1::DEPLOYMENT_TYPE_CANARY);
    request.mutable_canary()->set_weight_percent(canary_weight);
  }
  auto deployed = Call(admin_secret(), &v1::DeploymentService::Stub::Deploy, request);
  GOFER_REQUIRE_OK(deployed);
  return *std::move(deployed);
}

int64_t GatewayServer::QueryInt(const std::string& sql) {
  auto value = pg::TransactValue<int64_t>(*pool_, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return tx.exec1(sql)[0].as<int64_t>();
  });
  GOFER_REQUIRE_OK(value);
  return *value;
}

std::string GatewayServer::QueryText(const std::string& sql) {
  auto value =
      pg::TransactValue<std::string>(*pool_, [&](pqxx::work& tx) -> absl::StatusOr<std::string> {
        return tx.exec1(sql)[0].as<std::string>();
      });
  GOFER_REQUIRE_OK(value);
  return *value;
}

void GatewayServer::Exec(const std::string& sql) {
  GOFER_REQUIRE_OK(pg::Transact(*pool_, [&](pqxx::work& tx) {
    tx.exec(sql);
    return absl::OkStatus();
  }));
}

int64_t GatewayServer::CountEvents(const std::string& kind) {
  auto value = pg::TransactValue<int64_t>(*pool_, [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return tx
        .exec_params1(
            "SELECT count(*) FROM " + tx.quote_name(outbox_.schema()) + ".events WHERE kind = $1",
            kind)[0]
        .as<int64_t>();
  });
  GOFER_REQUIRE_OK(value);
  return *value;
}

int64_t GatewayServer::AppendEvent(const events::Event& event) {
  int64_t id = 0;
  GOFER_REQUIRE_OK(pg::Transact(*pool_, [&](pqxx::work& tx) {
    id = outbox_.Append(tx, event);
    return absl::OkStatus();
  }));
  return id;
}

std::vector<v1::Event> GatewayServer::ListedEvents(const v1::EventFilter& filter, size_t n) {
  std::vector<v1::Event> events;
  absl::Status last;
  const bool listed = gofer::testing::Eventually([&] {
    v1::ListEventsRequest request;
    *request.mutable_filter() = filter;
    request.set_page_size(1000);
    auto page = Call(admin_secret(), &v1::EventService::Stub::ListEvents, request);
    last = page.status();
    if (!page.ok()) {
      return false;
    }
    events.assign(page->events().begin(), page->events().end());
    return events.size() >= n;
  });
  INFO("listed " << events.size() << " events, expected " << n << "; last status " << last);
  REQUIRE(listed);
  return events;
}

EventWatch::EventWatch(const GatewayServer& gateway, const std::string& secret,
                       const v1::WatchEventsRequest& request)
    : context_(gateway.Context(secret, absl::Minutes(2))) {
  reader_ = std::thread([this, channel = gateway.channel(), request] {
    v1::EventService::Stub stub(channel);
    auto reader = stub.WatchEvents(context_.get(), request);
    v1::WatchEventsResponse response;
    while (reader->Read(&response)) {
      absl::MutexLock lock(&mu_);
      events_.push_back(response.event());
    }
    const absl::Status status = rpc::FromGrpcStatus(reader->Finish());
    absl::MutexLock lock(&mu_);
    ended_ = true;
    status_ = status;
  });
}

EventWatch::~EventWatch() {
  Cancel();
  reader_.join();
}

std::vector<v1::Event> EventWatch::WaitForEvents(size_t n) {
  const bool arrived = gofer::testing::Eventually([&] {
    absl::MutexLock lock(&mu_);
    return events_.size() >= n || ended_;
  });
  absl::MutexLock lock(&mu_);
  INFO("received " << events_.size() << " events, expected " << n << "; the stream "
                   << (ended_ ? "ended: " + status_.ToString() : std::string("is open")));
  REQUIRE(arrived);
  REQUIRE(events_.size() >= n);
  return events_;
}

absl::Status EventWatch::WaitForEnd() {
  const bool ended = gofer::testing::Eventually([&] {
    absl::MutexLock lock(&mu_);
    return ended_;
  });
  REQUIRE(ended);
  absl::MutexLock lock(&mu_);
  return status_;
}

void EventWatch::Cancel() { context_->TryCancel(); }

std::vector<v1::Event> EventWatch::received() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

bool EventWatch::ended() const {
  absl::MutexLock lock(&mu_);
  return ended_;
}

std::vector<int64_t> IdsOf(const std::vector<v1::Event>& events) {
  std::vector<int64_t> ids;
  for (const v1::Event& e : events) {
    ids.push_back(e.id());
  }
  return ids;
}

std::vector<std::string> KindsOf(const std::vector<v1::Event>& events) {
  std::vector<std::string> kinds;
  for (const v1::Event& e : events) {
    kinds.push_back(e.kind());
  }
  return kinds;
}

v1::PipelineConfig SimpleConfig(const std::string& id, const std::string& image) {
  v1::PipelineConfig config;
  config.set_id(id);
  config.set_name("Pipeline " + id);
  v1::Task* build = config.add_tasks();
  build->set_id("build");
  build->set_image(image);
  build->set_script("make");
  v1::Task* test = config.add_tasks();
  test->set_id("test");
  test->set_image(image);
  (*test->mutable_depends_on())["build"] = v1::DEPENDENCY_CONDITION_SUCCESS;
  (*test->mutable_variables())["MODE"] = "unit";
  return config;
}

std::string ReasonOf(const absl::Status& status) { return GetErrorDetails(status).reason; }

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    fields.push_back(v.field);
  }
  return fields;
}

}  // namespace gofer::api_gateway::testing
