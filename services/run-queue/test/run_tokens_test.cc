// Run tokens (F-RUN-9) from the run-queue's side, on the real stack: a task that asks for an API
// token gets GOFER_TOKEN minted through the gateway's internal API (here a fake gateway in the
// test process that records the calls), the token is redacted from the task's logs, and the
// run's tokens are revoked when it completes. The gateway's side is tested in
// services/api-gateway/test/gateway_tokens_test.cc.
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <catch2/catch.hpp>

#include "absl/synchronization/mutex.h"
#include "gofer/gateway/v1/gateway.grpc.pb.h"
#include "gofer/testing/eventually.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

namespace gv1 = gateway::v1;

class FakeGateway final : public gv1::Gateway::Service {
 public:
  FakeGateway() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeGateway() override { server_->Shutdown(); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  grpc::Status CreateRunToken(grpc::ServerContext* context, const gv1::CreateRunTokenRequest* req,
                              gv1::CreateRunTokenResponse* resp) override {
    absl::MutexLock lock(&mu_);
    created_.push_back(*req);
    authorizations_.push_back(Header(*context, "authorization"));
    resp->set_token_id("tok-" + std::to_string(created_.size()));
    resp->set_secret("gofer_run_secret_" + std::to_string(created_.size()));
    return grpc::Status::OK;
  }

  grpc::Status RevokeRunTokens(grpc::ServerContext* context, const gv1::RevokeRunTokensRequest* req,
                               gv1::RevokeRunTokensResponse* resp) override {
    absl::MutexLock lock(&mu_);
    revoked_.push_back(*req);
    authorizations_.push_back(Header(*context, "authorization"));
    resp->set_revoked(1);
    return grpc::Status::OK;
  }

  std::vector<gv1::CreateRunTokenRequest> created() {
    absl::MutexLock lock(&mu_);
    return created_;
  }
  std::vector<gv1::RevokeRunTokensRequest> revoked() {
    absl::MutexLock lock(&mu_);
    return revoked_;
  }
  std::vector<std::string> authorizations() {
    absl::MutexLock lock(&mu_);
    return authorizations_;
  }

 private:
  static std::string Header(const grpc::ServerContext& context, const std::string& key) {
    auto it = context.client_metadata().find(key);
    return it == context.client_metadata().end()
               ? ""
               : std::string(it->second.data(), it->second.size());
  }

  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex mu_;
  std::vector<gv1::CreateRunTokenRequest> created_ ABSL_GUARDED_BY(mu_);
  std::vector<gv1::RevokeRunTokensRequest> revoked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorizations_ ABSL_GUARDED_BY(mu_);
};

TEST_CASE("A task asking for an API token gets GOFER_TOKEN, redacted, revoked with the run") {
  FakeGateway gateway;
  Stack stack({.run_queue = {{"GATEWAY_ADDRESS", gateway.address()}}});
  const auto run = stack.StartRun(R"(
id: tokens
tasks:
  - id: caller
    image: busybox
    inject_api_token: true
    script: |
      test -n "$GOFER_TOKEN" || exit 9
      echo "token is $GOFER_TOKEN"
  - id: plain
    image: busybox
    script: echo "token is '${GOFER_TOKEN:-}'"
)");
  const auto done = stack.WaitForRun("tokens", run.run_id());
  CHECK(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);

  const auto created = gateway.created();
  REQUIRE(created.size() == 1);  // only the task that asked
  CHECK(created[0].namespace_id() == kNamespace);
  CHECK(created[0].pipeline_id() == "tokens");
  CHECK(created[0].run_id() == run.run_id());
  CHECK(created[0].task_id() == "caller");
  CHECK(created[0].attempt() == 1);
  CHECK(created[0].ttl().seconds() > 0);

  auto caller_logs = stack.Logs("tokens", run.run_id(), "caller");
  REQUIRE(caller_logs.size() == 1);
  CHECK(caller_logs[0].text() == "token is [redacted]");
  auto plain_logs = stack.Logs("tokens", run.run_id(), "plain");
  REQUIRE(plain_logs.size() == 1);
  CHECK(plain_logs[0].text() == "token is ''");

  REQUIRE(gofer::testing::Eventually([&] { return !gateway.revoked().empty(); }));
  const auto revoked = gateway.revoked();
  REQUIRE(revoked.size() == 1);
  CHECK(revoked[0].run_id() == run.run_id());
  CHECK(revoked[0].pipeline_id() == "tokens");
  // Internal calls carry the internal credential.
  for (const std::string& authorization : gateway.authorizations()) {
    CHECK(authorization == "Bearer stack-credential");
  }
}

TEST_CASE("Runs without token-injecting tasks never call the gateway") {
  FakeGateway gateway;
  Stack stack({.run_queue = {{"GATEWAY_ADDRESS", gateway.address()}}});
  const auto run = stack.StartRun(R"(
id: notokens
tasks:
  - id: only
    image: busybox
    script: echo hi
)");
  CHECK(stack.WaitForRun("notokens", run.run_id()).status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
  absl::SleepFor(absl::Milliseconds(200));
  CHECK(gateway.created().empty());
  CHECK(gateway.revoked().empty());
}

}  // namespace
}  // namespace gofer::run_queue::testing
