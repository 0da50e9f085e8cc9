// A bare gRPC echo server (the baseline of bench/gateway_bench): the same gRPC library and
// server bootstrap as Gofer's services, answering on the callback thread with no work at all.
//
//   echo_server [--listen 127.0.0.1:0]      prints "serving on HOST:PORT", runs until SIGTERM
#include <signal.h>

#include <iostream>
#include <string>

#include "gofer/rpc/server.h"
#include "gofer/testing/v1/echo.grpc.pb.h"

namespace {

class BareEcho final : public gofer::testing::v1::Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const gofer::testing::v1::EchoRequest* request,
                                 gofer::testing::v1::EchoResponse* response) override {
    response->set_message(request->message());
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  if (argc == 3 && std::string(argv[1]) == "--listen") {
    listen = argv[2];
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  BareEcho service;
  auto server =
      gofer::rpc::Server::Start({.service_name = "echo", .listen_address = listen}, {&service});
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  std::cout << "serving on " << (*server)->address() << " (echo)" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Shutdown();
  return 0;
}
