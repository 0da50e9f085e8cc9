#include "gofer/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gofer/common/errors.h"
#include "interceptor.h"
#include "spdlog/spdlog.h"

namespace gofer::rpc {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      const std::vector<grpc::Service*>& services) {
  const std::string& address = options.listen_address;
  const size_t colon = address.rfind(':');
  int port_number = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(address).substr(colon + 1), &port_number) ||
      port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address must be host:port with a port in 0-65535, got \"", address, "\""));
  }
  static const bool kGlobalSetup = [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    return true;
  }();
  (void)kGlobalSetup;

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // gRPC sets SO_REUSEPORT by default on Linux: a second server on a busy port would silently
  // share its traffic instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Accept the clients' keepalive pings (every 30 s, libs/rpc/src/channel.cc) during long
  // calls instead of answering GOAWAY too_many_pings.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 20000);
  for (grpc::Service* service : services) {
    builder.RegisterService(service);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<RequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return WithErrorInfo(
        absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address,
                                            " (address in use or not local?)")),
        ErrorReason::kDependencyUnavailable);
  }
  auto out = std::unique_ptr<Server>(new Server(options, std::move(server), port));
  out->SetServing(true);
  return out;
}

Server::Server(ServerOptions options, std::unique_ptr<grpc::Server> server, int port)
    : options_(std::move(options)), server_(std::move(server)), port_(port) {}

Server::~Server() { Shutdown(); }

std::string Server::address() const {
  const std::string& listen = options_.listen_address;
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port_);
}

void Server::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) {
    return;
  }
  health->SetServingStatus(serving);
  for (const std::string& name : options_.health_services) {
    health->SetServingStatus(name, serving);
  }
}

void Server::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) {
    return;
  }
  shut_down_ = true;
  SetServing(false);
  const absl::Time deadline = absl::Now() + options_.drain_timeout;
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
}

}  // namespace gofer::rpc
