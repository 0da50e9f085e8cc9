#include "gofer/rpc/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "gofer/rpc/runtime.h"
#include "gofer/rpc/status.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace gofer::rpc {

Client::Client(ClientOptions options) : options_(std::move(options)) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  // Find a dead peer within ~40 s even when idle, and reconnect quickly after a restart.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  channel_ = grpc::CreateCustomChannel(options_.target, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(const CallOptions& call) const {
  auto context = std::make_unique<grpc::ClientContext>();
  const absl::Duration timeout =
      call.timeout > absl::ZeroDuration() ? call.timeout : options_.default_timeout;
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!options_.internal_credential.empty()) {
    context->AddMetadata(kAuthorizationHeader,
                         absl::StrCat("Bearer ", options_.internal_credential));
  }
  if (!call.caller.empty()) {
    context->AddMetadata(kCallerHeader, call.caller);
  }
  if (!call.request_id.empty()) {
    context->AddMetadata(kRequestIdHeader, call.request_id);
  }
  return context;
}

absl::StatusOr<std::string> CheckHealth(const std::string& target, const std::string& service,
                                        absl::Duration timeout) {
  Client client({.target = target, .default_timeout = timeout});
  auto stub = grpc::health::v1::Health::NewStub(client.channel());
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  auto context = client.NewContext();
  grpc::Status status = stub->Check(context.get(), request, &response);
  if (!status.ok()) {
    return FromGrpcStatus(status);
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

}  // namespace gofer::rpc
