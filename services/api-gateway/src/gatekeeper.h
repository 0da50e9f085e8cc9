// Authentication and authorisation of every public call, and the gateway's error policy.
//
//   return gate_.Unary(ctx, {.kind = "runs", .action = Action::kWrite, .namespace_id = ns},
//                      [=](const Caller& caller) { return logic_.Start(caller, ...); });
//
// The token is looked up (SHA-256 of the bearer secret), its roles' permissions combined and
// checked against the call's Need; then the work runs on the executor. Failures: no or bad
// token → UNAUTHENTICATED; not allowed → PERMISSION_DENIED naming what was needed. Internal
// errors leave the gateway as "internal error <id>" (the detail is logged with the id).
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "access_store.h"
#include "gofer/common/id_generator.h"
#include "gofer/rpc/runtime.h"
#include "rbac.h"

namespace gofer::api_gateway {

// Who is calling.
struct Caller {
  Principal principal;
  // "token:<user>" (or "dev-no-auth"): recorded as the actor of events.
  std::string actor;
};

class Gatekeeper {
 public:
  // With `dev_no_auth`, every call is admitted as an admin without a token; each call's log
  // line says so. Never for production.
  Gatekeeper(AccessStore& access, rpc::Runtime& runtime, bool dev_no_auth);

  // The authenticated caller (UNAUTHENTICATED when the metadata has no valid bearer token).
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& context);

  // The authenticated caller if `need` is allowed; PERMISSION_DENIED otherwise.
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context, const Need& need);

  // OK when `caller` may do `need`; PERMISSION_DENIED naming what was needed otherwise.
  absl::Status Check(const Caller& caller, const Need& need) const;

  // Runs `work` for an admitted caller on the executor and finishes the call with its status
  // (after the error policy). `need` is computed from the request before admission.
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const Need& need,
                                  std::function<absl::Status(const Caller&)> work);

  // Like Unary, for calls any authenticated caller may make (WhoAmI, filtered lists).
  grpc::ServerUnaryReactor* Authenticated(grpc::CallbackServerContext* context,
                                          std::function<absl::Status(const Caller&)> work);

  // Replaces internal errors' details by an opaque id (logged with the detail).
  absl::Status Sanitize(absl::Status status, std::string_view method);

  rpc::Runtime& runtime() { return runtime_; }
  bool dev_no_auth() const { return dev_no_auth_; }

 private:
  AccessStore& access_;
  rpc::Runtime& runtime_;
  const bool dev_no_auth_;
  UuidV7Generator error_ids_;
};

}  // namespace gofer::api_gateway
