// Automatic canary rollback (canary_watch.h): the threshold rule as a pure function, and
// CheckCanaries on a real deployment (in-process gateway on real Postgres) against a fake
// run-queue that reports the canary's runs.
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <catch2/catch.hpp>

#include "absl/synchronization/mutex.h"
#include "canary_watch.h"
#include "gateway_server.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/runqueue/v1/run_queue.grpc.pb.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway {
namespace {

using DeploymentStub = v1::DeploymentService::Stub;

TEST_CASE("CanaryRollbackReason waits for min_runs, then compares the failure rate") {
  const CanarySettings settings{.weight_percent = 20, .min_runs = 4, .max_failure_percent = 50};
  CHECK_FALSE(CanaryRollbackReason(settings, {.finished = 3, .failed = 3}));  // too few
  CHECK_FALSE(CanaryRollbackReason(settings, {.finished = 4, .failed = 2}));  // 50%: not above
  auto reason = CanaryRollbackReason(settings, {.finished = 4, .failed = 3});
  REQUIRE(reason);
  CHECK(*reason ==
        "automatic rollback: 3 of the canary's 4 finished runs failed (75%), above the "
        "threshold of 50%");
  // No threshold: never automatic.
  CHECK_FALSE(
      CanaryRollbackReason({.weight_percent = 20, .min_runs = 1}, {.finished = 9, .failed = 9}));
  // min_runs 0 still needs one finished run.
  CHECK_FALSE(CanaryRollbackReason({.weight_percent = 20, .max_failure_percent = 10}, {}));
}

// A RunQueue whose ListRuns answers a fixed list of runs (newest first), two per page.
class FakeRunQueue final : public runqueue::v1::RunQueue::Service {
 public:
  explicit FakeRunQueue(std::vector<v1::Run> runs) : runs_(std::move(runs)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeRunQueue() override { server_->Shutdown(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  grpc::Status ListRuns(grpc::ServerContext*, const v1::ListRunsRequest* req,
                        v1::ListRunsResponse* resp) override {
    const size_t start = req->page_token().empty() ? 0 : std::stoul(req->page_token());
    for (size_t i = start; i < runs_.size() && i < start + 2; ++i) {
      *resp->add_runs() = runs_[i];
    }
    if (start + 2 < runs_.size()) {
      resp->set_next_page_token(std::to_string(start + 2));
    }
    return grpc::Status::OK;
  }

 private:
  std::vector<v1::Run> runs_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

v1::Run RunOf(int64_t version, v1::RunStatus status, absl::Time queued) {
  v1::Run run;
  run.set_config_version(version);
  run.set_state(v1::RUN_STATE_COMPLETE);
  run.set_status(status);
  rpc::ToTimestamp(queued, run.mutable_queued());
  return run;
}

// Pipeline "app" with v1 live and a canary of v2 (min 2 runs, at most 50% failing).
int64_t StartCanary(testing::GatewayServer& gw) {
  gw.RegisterConfig(testing::SimpleConfig("app", "alpine:3.1"));
  gw.RegisterConfig(testing::SimpleConfig("app", "alpine:3.2"));
  gw.Deploy("app", 1);
  v1::DeployRequest request;
  request.set_namespace_id("default");
  request.set_pipeline_id("app");
  request.set_version(2);
  request.set_type(v1::DEPLOYMENT_TYPE_CANARY);
  request.mutable_canary()->set_weight_percent(50);
  request.mutable_canary()->set_min_runs(2);
  request.mutable_canary()->set_max_failure_percent(50);
  auto canary = gw.Call(gw.admin_secret(), &DeploymentStub::Deploy, request);
  GOFER_REQUIRE_OK(canary);
  return canary->id();
}

TEST_CASE("CheckCanaries rolls back a canary whose runs fail too often, and only that one") {
  testing::GatewayServer gw;
  const int64_t id = StartCanary(gw);
  DeploymentStore store(gw.pool(), gw.outbox());
  const absl::Time now = absl::Now();
  // Newest first: two failed v2 runs, a successful v1 run, and a failed v2 run from before the
  // deployment (not counted).
  FakeRunQueue queue({RunOf(2, v1::RUN_STATUS_FAILED, now + absl::Seconds(3)),
                      RunOf(1, v1::RUN_STATUS_SUCCESSFUL, now + absl::Seconds(2)),
                      RunOf(2, v1::RUN_STATUS_FAILED, now + absl::Seconds(1)),
                      RunOf(2, v1::RUN_STATUS_FAILED, now - absl::Hours(1))});
  const rpc::Client client({.target = queue.address()});
  GOFER_REQUIRE_OK(CheckCanaries(store, client));
  auto d = store.Get("default", "app", id);
  GOFER_REQUIRE_OK(d);
  CHECK(d->state == v1::DEPLOYMENT_STATE_COMPLETE);
  CHECK(d->status == v1::DEPLOYMENT_STATUS_ROLLED_BACK);
  REQUIRE_FALSE(d->steps.empty());
  CHECK(d->steps.back().description.find("2 of the canary's 2 finished runs failed") !=
        std::string::npos);
  auto pipeline = gw.QueryInt(
      "SELECT count(*) FROM configs WHERE pipeline_id = 'app' AND state = 2 AND version = 1");
  CHECK(pipeline == 1);  // v1 is the only live version again
}

TEST_CASE("CheckCanaries leaves a canary alone below its threshold or before min_runs") {
  testing::GatewayServer gw;
  const int64_t id = StartCanary(gw);
  DeploymentStore store(gw.pool(), gw.outbox());
  const absl::Time now = absl::Now();
  FakeRunQueue queue({RunOf(2, v1::RUN_STATUS_FAILED, now + absl::Seconds(2)),
                      RunOf(2, v1::RUN_STATUS_SUCCESSFUL, now + absl::Seconds(1))});
  const rpc::Client client({.target = queue.address()});
  GOFER_REQUIRE_OK(CheckCanaries(store, client));
  auto d = store.Get("default", "app", id);
  GOFER_REQUIRE_OK(d);
  CHECK(d->state == v1::DEPLOYMENT_STATE_RUNNING);
}

}  // namespace
}  // namespace gofer::api_gateway
