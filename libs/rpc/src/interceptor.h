// The server interceptor every Gofer server installs: it makes sure each call has a request
// id (the client's `x-request-id`, or a new one), returns it in the initial metadata, and logs
// each finished call once: debug for OK and client errors, warn for server-side failures.
#pragma once

#include <grpcpp/support/server_interceptor.h>

namespace gofer::rpc {

class RequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace gofer::rpc
