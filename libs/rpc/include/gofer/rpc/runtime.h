// What every RPC handler of a service shares: the executor for blocking work and the policy
// for internal callers. Handlers go through Unary() (or CheckInternalCaller() for streams) so
// the rules hold for every method without repeating them.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "gofer/rpc/executor.h"
#include "gofer/rpc/status.h"

namespace gofer::rpc {

// Metadata keys Gofer uses between its services.
inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kCallerHeader[] = "x-gofer-caller";
inline constexpr char kRequestIdHeader[] = "x-request-id";

struct RuntimeOptions {
  // Workers for blocking handler work, and how many calls may wait for one.
  int executor_threads = 8;
  int executor_queue = 256;
  // When not empty, every call through Unary()/CheckInternalCaller() must carry
  // `authorization: Bearer <internal_credential>` or fail UNAUTHENTICATED. Health and
  // reflection stay open (probes need them). Empty disables the check (tests of logic only).
  std::string internal_credential;
};

// Shared by a server's services. Thread-safe.
class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);

  BoundedExecutor& executor() { return executor_; }

  // OK when the call carries the internal credential (or none is configured); otherwise
  // UNAUTHENTICATED saying what is missing. Compares in constant time.
  absl::Status CheckInternalCaller(const grpc::ServerContextBase& context) const;

  // Stops taking work and finishes what is queued.
  void Shutdown() { executor_.Shutdown(); }

 private:
  std::string credential_digest_;  // SHA-256 of the credential, empty when not required
  BoundedExecutor executor_;
};

// The caller identity forwarded in `x-gofer-caller` (empty when absent).
std::string CallerOf(const grpc::ServerContextBase& context);

// The request id of the call (the interceptor guarantees one on every server call).
std::string RequestIdOf(const grpc::ServerContextBase& context);

// Runs a unary handler's blocking `work` on the runtime's executor and finishes the call with
// its status. Answers UNAUTHENTICATED without running `work` when the internal credential is
// missing, RESOURCE_EXHAUSTED (reason OVERLOADED) when the executor is full, and CANCELLED when
// the client gave up before `work` started. `work` fills the response it captured.
//
//   grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const GetRequest* req,
//                                 GetResponse* resp) override {
//     return rpc::Unary(ctx, runtime_, [=] { return logic_.Get(*req, resp); });
//   }
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, Runtime& runtime,
                                std::function<absl::Status()> work);

}  // namespace gofer::rpc
