// Server bootstrap: one gRPC server per service process, with health, reflection, a request-id
// and logging interceptor, message size limits and a graceful drain.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grpc {
class Service;
}

namespace gofer::rpc {

struct ServerOptions {
  // Used in log lines.
  std::string service_name;
  // host:port to listen on; port 0 picks a free port (see Server::port()).
  std::string listen_address = "127.0.0.1:0";
  // Largest request message accepted; larger ones fail RESOURCE_EXHAUSTED before any handler
  // runs. Bulk data travels in streams of smaller messages.
  int max_receive_message_bytes = 4 * 1024 * 1024;
  // How long Shutdown lets in-flight calls finish before cancelling them.
  absl::Duration drain_timeout = absl::Seconds(20);
  // Fully qualified service names reported SERVING by the health service (besides "").
  std::vector<std::string> health_services;
};

// A running server. Thread-safe.
class Server {
 public:
  // Registers `services` (not owned; they must outlive the server), binds and starts serving.
  // UNAVAILABLE when the address cannot be bound, INVALID_ARGUMENT for a malformed address.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       const std::vector<grpc::Service*>& services);
  ~Server();

  // The bound port (the real one when the options asked for port 0).
  int port() const { return port_; }
  // host:port actually bound.
  std::string address() const;

  // Marks every health service NOT_SERVING (load balancers and probes stop sending), stops
  // accepting calls, lets in-flight calls finish for up to drain_timeout, then cancels the
  // rest. Returns once every handler has finished: a handler blocked in executor work (a long
  // statement, say) holds it up past drain_timeout until that work ends, so blocking work
  // must itself be bounded (statement and call timeouts). Idempotent; concurrent callers wait.
  void Shutdown();

  // Sets the health of every configured service (and "").
  void SetServing(bool serving);

 private:
  Server(ServerOptions options, std::unique_ptr<grpc::Server> server, int port);

  const ServerOptions options_;
  std::unique_ptr<grpc::Server> server_;
  const int port_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace gofer::rpc
