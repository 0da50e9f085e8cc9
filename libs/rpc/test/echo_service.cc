#include "echo_service.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "gofer/common/errors.h"

namespace gofer::rpc {
namespace {

using gofer::testing::v1::EchoRequest;
using gofer::testing::v1::EchoResponse;

// Waits until `delay` passed or the call was cancelled; returns false when cancelled.
bool Wait(const grpc::CallbackServerContext& context, absl::Duration delay) {
  const absl::Time until = absl::Now() + delay;
  while (absl::Now() < until) {
    if (context.IsCancelled()) {
      return false;
    }
    absl::SleepFor(std::min(absl::Milliseconds(2), until - absl::Now()));
  }
  return true;
}

absl::Status Failure(const EchoRequest& request) {
  const auto code = static_cast<absl::StatusCode>(request.fail_code());
  if (code == absl::StatusCode::kInvalidArgument && request.bad_fields_size() > 0) {
    std::vector<FieldViolation> violations;
    for (const std::string& field : request.bad_fields()) {
      violations.push_back({field, request.message()});
    }
    return InvalidArgumentError(std::move(violations));
  }
  return absl::Status(code, request.message());
}

}  // namespace

grpc::ServerUnaryReactor* EchoService::Echo(grpc::CallbackServerContext* context,
                                            const EchoRequest* request, EchoResponse* response) {
  calls_.fetch_add(1);
  return Unary(context, runtime_, [this, context, request, response]() -> absl::Status {
    started_.fetch_add(1);
    absl::Status status;
    if (request->delay_ms() > 0 && !Wait(*context, absl::Milliseconds(request->delay_ms()))) {
      status = absl::CancelledError("cancelled while waiting");
    } else if (request->fail_code() != 0) {
      status = Failure(*request);
    } else {
      response->set_message(request->message());
      response->set_caller(CallerOf(*context));
      response->set_request_id(RequestIdOf(*context));
    }
    finished_.fetch_add(1);
    return status;
  });
}

EchoServer::EchoServer(RuntimeOptions runtime_options, ServerOptions server_options)
    : runtime_(std::move(runtime_options)), service_(runtime_) {
  server_options.service_name = "echo-test";
  server_options.listen_address = "127.0.0.1:0";
  if (server_options.health_services.empty()) {
    server_options.health_services = {kEchoServiceName};
  }
  auto server = Server::Start(server_options, {&service_});
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  server_ = *std::move(server);
}

EchoServer::~EchoServer() {
  server_->Shutdown();
  runtime_.Shutdown();
}

EchoResult CallEcho(const Client& client, const EchoRequest& request, const CallOptions& call) {
  auto stub = gofer::testing::v1::Echo::NewStub(client.channel());
  std::unique_ptr<grpc::ClientContext> context = client.NewContext(call);
  EchoResult result;
  result.status = stub->Echo(context.get(), request, &result.response);
  const auto& md = context->GetServerInitialMetadata();
  if (auto it = md.find(kRequestIdHeader); it != md.end()) {
    result.request_id_header.assign(it->second.data(), it->second.size());
  }
  return result;
}

EchoRequest MakeRequest(const std::string& message, int delay_ms, int fail_code) {
  EchoRequest request;
  request.set_message(message);
  request.set_delay_ms(delay_ms);
  request.set_fail_code(fail_code);
  return request;
}

}  // namespace gofer::rpc
