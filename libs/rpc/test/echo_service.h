// Support for the rpc service tests: the Echo test service (proto/gofer/testing/v1/echo.proto)
// written the way Gofer services write handlers (through rpc::Unary, so it is subject to the
// runtime's credential check and bounded executor), a server running it, and a client helper.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "gofer/rpc/channel.h"
#include "gofer/rpc/runtime.h"
#include "gofer/rpc/server.h"
#include "gofer/testing/v1/echo.grpc.pb.h"

namespace gofer::rpc {

// Echoes the request's message with the caller and request id the server saw. Waits
// `delay_ms` on an executor worker first (ending early, CANCELLED, when the call is
// cancelled), then fails with `fail_code` when it is set. Thread-safe.
class EchoService final : public gofer::testing::v1::Echo::CallbackService {
 public:
  explicit EchoService(Runtime& runtime) : runtime_(runtime) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const gofer::testing::v1::EchoRequest* request,
                                 gofer::testing::v1::EchoResponse* response) override;

  // Calls that reached the handler (whether or not their work ran).
  int calls() const { return calls_.load(); }
  // Calls whose work started on the executor.
  int started() const { return started_.load(); }
  // Calls whose work returned.
  int finished() const { return finished_.load(); }

 private:
  Runtime& runtime_;
  std::atomic<int> calls_{0};
  std::atomic<int> started_{0};
  std::atomic<int> finished_{0};
};

// The fully qualified name of the Echo service, as health and reflection report it.
inline constexpr char kEchoServiceName[] = "gofer.testing.v1.Echo";

// A Runtime, an EchoService and a Server running it on 127.0.0.1:0 (health reporting
// kEchoServiceName), for one test case. The destructor shuts the server down, then the runtime.
class EchoServer {
 public:
  explicit EchoServer(RuntimeOptions runtime_options = {}, ServerOptions server_options = {});
  ~EchoServer();

  Runtime& runtime() { return runtime_; }
  EchoService& service() { return service_; }
  Server& server() { return *server_; }
  std::string address() const { return server_->address(); }

 private:
  Runtime runtime_;
  EchoService service_;
  std::unique_ptr<Server> server_;
};

// What one Echo call returned.
struct EchoResult {
  grpc::Status status;
  gofer::testing::v1::EchoResponse response;
  // The x-request-id of the server's initial metadata ("" when absent).
  std::string request_id_header;
};

// Makes one blocking Echo call through `client` with a context from `client.NewContext(call)`.
EchoResult CallEcho(const Client& client, const gofer::testing::v1::EchoRequest& request,
                    const CallOptions& call = {});

// An EchoRequest with these knobs.
gofer::testing::v1::EchoRequest MakeRequest(const std::string& message, int delay_ms = 0,
                                            int fail_code = 0);

}  // namespace gofer::rpc
