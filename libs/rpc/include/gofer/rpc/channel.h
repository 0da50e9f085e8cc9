// Client side of service-to-service calls: channels with sane defaults, and contexts that carry
// a deadline, the internal credential and the caller's identity on every call.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gofer::rpc {

struct ClientOptions {
  // host:port (or any gRPC target string) of the service.
  std::string target;
  // Sent as `authorization: Bearer <credential>`; empty sends none.
  std::string internal_credential;
  // Deadline of calls that do not choose their own. Every call has one.
  absl::Duration default_timeout = absl::Seconds(10);
  // Largest response message accepted.
  int max_receive_message_bytes = 16 * 1024 * 1024;
};

// Per-call settings.
struct CallOptions {
  // Zero means the client's default timeout.
  absl::Duration timeout = absl::ZeroDuration();
  // The identity the call is made for (forwarded as x-gofer-caller for audit).
  std::string caller;
  // Propagated request id (x-request-id); empty lets the server assign one.
  std::string request_id;
};

// A channel to one service. Cheap to share; thread-safe.
class Client {
 public:
  explicit Client(ClientOptions options);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // A fresh context for one call, with its deadline and metadata set.
  std::unique_ptr<grpc::ClientContext> NewContext(const CallOptions& call = {}) const;

 private:
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Asks `target`'s standard health service about `service` ("" for the whole server) and
// returns the status name ("SERVING", "NOT_SERVING", ...), or the call's error (UNAVAILABLE
// when nothing answers, NOT_FOUND for an unknown service name).
absl::StatusOr<std::string> CheckHealth(const std::string& target, const std::string& service,
                                        absl::Duration timeout);

}  // namespace gofer::rpc
