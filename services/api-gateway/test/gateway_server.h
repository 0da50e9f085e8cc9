// An in-process gofer-api-gateway for integration tests: fresh Postgres schemas for the gateway
// and the events outbox (migrated), the served services (namespaces, system, tokens, roles,
// events, pipelines, configs, deployments; runs and tasks, forwarded to a run-queue; objects and
// secrets when given clients of the stores, see store_servers.h) on 127.0.0.1:0, and helpers to
// call them with `authorization: Bearer <secret>`, to follow WatchEvents streams and to look at
// the database directly.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "access_service.h"
#include "access_store.h"
#include "event_service.h"
#include "gatekeeper.h"
#include "gofer/common/clock.h"
#include "gofer/common/id_generator.h"
#include "gofer/events/outbox.h"
#include "gofer/rpc/channel.h"
#include "gofer/rpc/runtime.h"
#include "gofer/rpc/server.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/fixtures.h"
#include "gofer/v1/deployments.grpc.pb.h"
#include "gofer/v1/events.grpc.pb.h"
#include "gofer/v1/namespaces.grpc.pb.h"
#include "gofer/v1/pipelines.grpc.pb.h"
#include "gofer/v1/stores.grpc.pb.h"
#include "gofer/v1/system.grpc.pb.h"
#include "gofer/v1/tokens.grpc.pb.h"
#include "namespace_service.h"
#include "namespace_store.h"
#include "pipeline_service.h"
#include "pipeline_store.h"
#include "run_forwarding.h"
#include "store_forwarding.h"

namespace gofer::api_gateway::testing {

struct GatewayOptions {
  // Gatekeeper's development mode: every call is admitted as an admin.
  bool dev_no_auth = false;
  // When set, ObjectService / SecretService are served, forwarding to these clients of an
  // object-store / secret-store (with their internal credential). Not owned.
  const rpc::Client* object_store = nullptr;
  const rpc::Client* secret_store = nullptr;
  // The run-queue RunService and TaskService forward to (always served), and the internal
  // credential the gateway presents to it. By default nothing listens there: a call that passes
  // the gateway's checks then fails UNAVAILABLE.
  std::string run_queue_address = "127.0.0.1:1";
  std::string run_queue_credential = "gateway-test-run-queue";
  // The scheduler TaskService.AttachTask relays to (with the run-queue's credential): by
  // default nothing listens there either. `attach_enabled` is the gateway's attach.enabled.
  std::string scheduler_address = "127.0.0.1:1";
  bool attach_enabled = true;
};

class GatewayServer {
 public:
  explicit GatewayServer(GatewayOptions options = {});
  // Shuts the server down, then the runtime.
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  std::string address() const { return server_->address(); }
  // The channel of the test clients (no credentials of its own).
  const std::shared_ptr<grpc::Channel>& channel() const { return client_->channel(); }
  // A pool whose search_path is the gateway schema.
  pg::Pool& pool() { return *pool_; }
  // The token store (run tokens are minted through it by the internal API).
  AccessStore& access() { return access_; }
  const events::Outbox& outbox() const { return outbox_; }
  // The access store's clock (token expiry is computed from it); starts at the real time.
  FakeClock& clock() { return clock_; }
  // The fully qualified names of the services this gateway serves.
  const std::vector<std::string>& served_services() const { return served_; }

  // A context for one call with a deadline of `timeout` and, unless `secret` is empty,
  // `authorization: Bearer <secret>`.
  std::unique_ptr<grpc::ClientContext> Context(const std::string& secret,
                                               absl::Duration timeout = absl::Seconds(20)) const;

  // One unary call as the holder of `secret` (empty: no token); the response or the error
  // with its details (ErrorInfo, BadRequest).
  //   gw.Call(secret, &v1::NamespaceService::Stub::GetNamespace, request)
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(const std::string& secret,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const std::type_identity_t<Request>& request) const {
    Stub stub(client_->channel());
    Response response;
    auto context = Context(secret);
    const grpc::Status status = (stub.*method)(context.get(), request, &response);
    if (!status.ok()) {
      return rpc::FromGrpcStatus(status);
    }
    return response;
  }

  // The bootstrap admin token's secret (BootstrapToken is called at the first use).
  const std::string& admin_secret();
  // A token with `roles` created by the admin (with its secret).
  v1::TokenWithSecret CreateToken(const std::vector<std::string>& roles,
                                  const std::string& user = "tester",
                                  absl::Duration expires_in = absl::ZeroDuration());
  // Creates namespace `id` as the admin.
  void CreateNamespace(const std::string& id);
  // Registers `config` in `namespace_id` as the admin (it must succeed).
  v1::RegisterConfigResponse RegisterConfig(const v1::PipelineConfig& config,
                                            const std::string& namespace_id = "default");
  // Deploys `version` of `pipeline_id` in `namespace_id` as the admin, immediately or (with a
  // `canary_weight` of 1-99) as a canary (it must succeed).
  v1::Deployment Deploy(const std::string& pipeline_id, int64_t version,
                        const std::string& namespace_id = "default", int canary_weight = 0);

  // The single integer / text value that `sql` selects (in the gateway schema).
  int64_t QueryInt(const std::string& sql);
  std::string QueryText(const std::string& sql);
  // Runs `sql` (in the gateway schema).
  void Exec(const std::string& sql);
  // Committed events of `kind` in the outbox (stable for readers or not).
  int64_t CountEvents(const std::string& kind);
  // Appends `event` to the outbox in a transaction of its own; returns its id.
  int64_t AppendEvent(const events::Event& event);
  // Waits until ListEvents (as the admin, with `filter`) shows at least `n` events, then
  // returns them all in delivery order.
  std::vector<v1::Event> ListedEvents(const v1::EventFilter& filter, size_t n);

 private:
  gofer::testing::PgTestSchema gateway_schema_{"gw"};
  gofer::testing::PgTestSchema events_schema_{"gwev"};
  std::unique_ptr<pg::Pool> pool_;
  events::Outbox outbox_;
  FakeClock clock_;
  UuidV7Generator ids_;
  AccessStore access_;
  NamespaceStore namespaces_;
  EventNotifier notifier_;
  rpc::Runtime runtime_;
  Gatekeeper gate_;
  NamespaceService namespace_service_;
  SystemService system_service_;
  TokenService token_service_;
  RoleService role_service_;
  EventService event_service_;
  PipelineStore pipelines_;
  DeploymentStore deployments_;
  PipelineService pipeline_service_;
  ConfigService config_service_;
  DeploymentService deployment_service_;
  rpc::Client run_queue_;
  rpc::Client scheduler_;
  AttachAudit attach_audit_;
  RunForwardService run_service_;
  TaskForwardService task_service_;
  std::unique_ptr<ObjectForwardService> object_service_;
  std::unique_ptr<SecretForwardService> secret_service_;
  std::vector<std::string> served_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<rpc::Client> client_;
  std::string admin_secret_;
};

// A WatchEvents call read by a thread of its own. Thread-safe.
class EventWatch {
 public:
  // Starts the call as the holder of `secret`.
  EventWatch(const GatewayServer& gateway, const std::string& secret,
             const v1::WatchEventsRequest& request);
  // Cancels the call if still open and waits for the reader.
  ~EventWatch();

  // Waits (with a generous deadline; fails the test after it) until at least `n` events
  // arrived, then returns every event received so far.
  std::vector<v1::Event> WaitForEvents(size_t n);
  // Waits until the stream ended, then returns its status.
  absl::Status WaitForEnd();
  // Cancels the call (the stream ends CANCELLED).
  void Cancel();
  // Events received so far.
  std::vector<v1::Event> received() const;
  // Whether the stream has ended.
  bool ended() const;

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  mutable absl::Mutex mu_;
  std::vector<v1::Event> events_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;
};

// The ids of `events`, in order.
std::vector<int64_t> IdsOf(const std::vector<v1::Event>& events);
// The kinds of `events`, in order.
std::vector<std::string> KindsOf(const std::vector<v1::Event>& events);

// A valid config of pipeline `id`: task "build" (running `image`) and task "test" depending
// on it.
v1::PipelineConfig SimpleConfig(const std::string& id, const std::string& image = "alpine:3.19");

// The ErrorInfo reason of `status` ("" when it has none).
std::string ReasonOf(const absl::Status& status);

// The fields of the BadRequest violations `status` carries, in order.
std::vector<std::string> ViolatedFields(const absl::Status& status);

}  // namespace gofer::api_gateway::testing
