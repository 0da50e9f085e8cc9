#include "gatekeeper.h"

#include <fmt/format.h>

#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "spdlog/spdlog.h"

namespace gofer::api_gateway {
namespace {

constexpr std::string_view kBearer = "Bearer ";

}  // namespace

Gatekeeper::Gatekeeper(AccessStore& access, rpc::Runtime& runtime, bool dev_no_auth)
    : access_(access), runtime_(runtime), dev_no_auth_(dev_no_auth) {}

absl::StatusOr<Caller> Gatekeeper::Authenticate(const grpc::ServerContextBase& context) {
  if (dev_no_auth_) {
    spdlog::warn("DEV_NO_AUTH: a call was admitted as admin without authentication");
    return Caller{{TokenRecord{.id = "dev-no-auth", .user = "dev-no-auth", .roles = {"admin"}},
                   {Permission{{"all"}, {Action::kRead, Action::kWrite, Action::kDelete}}}},
                  "dev-no-auth"};
  }
  const auto& md = context.client_metadata();
  auto it = md.find(rpc::kAuthorizationHeader);
  if (it == md.end()) {
    return WithErrorInfo(absl::UnauthenticatedError(
                             "no credentials: send 'authorization: Bearer <token>' (create one "
                             "with BootstrapToken, or ask an admin)"),
                         ErrorReason::kUnauthenticated);
  }
  const std::string_view header(it->second.data(), it->second.size());
  if (header.substr(0, kBearer.size()) != kBearer || header.size() == kBearer.size()) {
    return WithErrorInfo(
        absl::UnauthenticatedError("the authorization header must be 'Bearer <token>'"),
        ErrorReason::kUnauthenticated);
  }
  auto principal = access_.Authenticate(header.substr(kBearer.size()));
  if (!principal.ok()) {
    return principal.status();
  }
  std::string actor = "token:" + principal->token.user;
  return Caller{*std::move(principal), std::move(actor)};
}

absl::Status Gatekeeper::Check(const Caller& caller, const Need& need) const {
  if (Allows(caller.principal.permissions, need)) {
    return absl::OkStatus();
  }
  return WithErrorInfo(absl::PermissionDeniedError(fmt::format(
                           "token '{}' (roles: {}) is not allowed {}", caller.principal.token.user,
                           fmt::join(caller.principal.token.roles, ", "), DescribeNeed(need))),
                       ErrorReason::kPermissionDenied,
                       {{"kind", need.kind}, {"action", std::string(ActionName(need.action))}});
}

absl::StatusOr<Caller> Gatekeeper::Admit(const grpc::ServerContextBase& context, const Need& need) {
  auto caller = Authenticate(context);
  if (!caller.ok()) {
    return caller.status();
  }
  if (absl::Status s = Check(*caller, need); !s.ok()) {
    return s;
  }
  return caller;
}

absl::Status Gatekeeper::Sanitize(absl::Status status, std::string_view method) {
  // An internal service (or Postgres) that could not be reached: the message names internal
  // addresses, which stay in the log. UNAVAILABLE errors a Gofer service built itself (with an
  // ErrorInfo reason) pass through.
  if (absl::IsUnavailable(status) && GetErrorDetails(status).reason.empty()) {
    const std::string id = error_ids_.NewId();
    spdlog::warn("{}: dependency unavailable {}: {}", method, id, status);
    return WithErrorInfo(
        absl::UnavailableError(fmt::format("a service this call needs is unavailable; retry "
                                           "later (error {})",
                                           id)),
        ErrorReason::kDependencyUnavailable, {{"error_id", id}});
  }
  if (status.ok() ||
      !(absl::IsInternal(status) || absl::IsUnknown(status) || absl::IsDataLoss(status))) {
    return status;
  }
  const std::string id = error_ids_.NewId();
  spdlog::error("{}: internal error {}: {}", method, id, status);
  return WithErrorInfo(
      absl::Status(status.code(), fmt::format("internal error {} (the detail is in "
                                              "the api-gateway's log)",
                                              id)),
      ErrorReason::kInternalError, {{"error_id", id}});
}

grpc::ServerUnaryReactor* Gatekeeper::Unary(grpc::CallbackServerContext* context, const Need& need,
                                            std::function<absl::Status(const Caller&)> work) {
  return rpc::Unary(context, runtime_, [this, context, need, work = std::move(work)] {
    auto caller = Admit(*context, need);
    return Sanitize(caller.ok() ? work(*caller) : caller.status(), need.kind);
  });
}

grpc::ServerUnaryReactor* Gatekeeper::Authenticated(
    grpc::CallbackServerContext* context, std::function<absl::Status(const Caller&)> work) {
  return rpc::Unary(context, runtime_, [this, context, work = std::move(work)] {
    auto caller = Authenticate(*context);
    return Sanitize(caller.ok() ? work(*caller) : caller.status(), "authenticated call");
  });
}

}  // namespace gofer::api_gateway
