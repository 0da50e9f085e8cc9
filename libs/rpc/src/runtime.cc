#include "gofer/rpc/runtime.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "gofer/common/errors.h"

namespace gofer::rpc {
namespace {

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string Metadata(const grpc::ServerContextBase& context, const char* key) {
  const auto& md = context.client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : credential_digest_(options.internal_credential.empty() ? std::string()
                                                             : Sha256(options.internal_credential)),
      executor_(options.executor_threads, options.executor_queue) {}

absl::Status Runtime::CheckInternalCaller(const grpc::ServerContextBase& context) const {
  if (credential_digest_.empty()) {
    return absl::OkStatus();
  }
  const std::string header = Metadata(context, kAuthorizationHeader);
  constexpr std::string_view kBearer = "Bearer ";
  if (header.rfind(kBearer, 0) != 0) {
    return WithErrorInfo(absl::UnauthenticatedError(
                             "internal API: missing 'authorization: Bearer <internal credential>'"),
                         ErrorReason::kUnauthenticated);
  }
  // Comparing digests keeps the comparison constant-time whatever the presented length.
  const std::string presented = Sha256(std::string_view(header).substr(kBearer.size()));
  if (CRYPTO_memcmp(presented.data(), credential_digest_.data(), presented.size()) != 0) {
    return WithErrorInfo(absl::UnauthenticatedError("internal API: wrong internal credential"),
                         ErrorReason::kUnauthenticated);
  }
  return absl::OkStatus();
}

std::string CallerOf(const grpc::ServerContextBase& context) {
  return Metadata(context, kCallerHeader);
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  return Metadata(context, kRequestIdHeader);
}

grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, Runtime& runtime,
                                std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status auth = runtime.CheckInternalCaller(*context); !auth.ok()) {
    reactor->Finish(ToGrpcStatus(auth));
    return reactor;
  }
  const bool queued = runtime.executor().TrySubmit([context, reactor, work = std::move(work)] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it started"));
      return;
    }
    absl::Status status;
    try {
      status = work();
    } catch (const std::exception& e) {
      // A bug, not an answer: report it as internal rather than taking the process down.
      status = absl::InternalError(std::string("unhandled exception: ") + e.what());
    }
    reactor->Finish(ToGrpcStatus(status));
  });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(
        WithErrorInfo(absl::ResourceExhaustedError("server is at capacity; retry with backoff"),
                      ErrorReason::kOverloaded)));
  }
  return reactor;
}

}  // namespace gofer::rpc
