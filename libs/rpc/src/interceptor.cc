#include "interceptor.h"

#include "absl/time/clock.h"
#include "gofer/common/id_generator.h"
#include "gofer/rpc/runtime.h"
#include "spdlog/spdlog.h"

namespace gofer::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr size_t kMaxRequestIdLength = 128;

bool IsServerFault(grpc::StatusCode code) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS || code == grpc::StatusCode::UNAVAILABLE ||
         code == grpc::StatusCode::UNIMPLEMENTED;
}

IdGenerator& RequestIds() {
  static UuidV7Generator* const kIds = new UuidV7Generator();
  return *kIds;
}

class RequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit RequestInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method() != nullptr ? info->method() : "?") {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      start_ = absl::Now();
      auto* md = methods->GetRecvInitialMetadata();
      auto it = md->find(kRequestIdHeader);
      if (it != md->end() && !it->second.empty()) {
        request_id_.assign(it->second.data(), std::min(it->second.size(), kMaxRequestIdLength));
      } else {
        request_id_ = RequestIds().NewId();
      }
      // Handlers must see exactly the id that is logged and returned: replace what came in.
      // The map holds views; request_id_ lives as long as the call.
      md->erase(kRequestIdHeader);
      md->emplace(kRequestIdHeader, request_id_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdHeader, request_id_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - start_);
      if (IsServerFault(status.error_code())) {
        spdlog::warn("rpc {} request_id={} code={} ms={:.2f} error=\"{}\"", method_, request_id_,
                     static_cast<int>(status.error_code()), ms, status.error_message());
      } else {
        spdlog::debug("rpc {} request_id={} code={} ms={:.2f}", method_, request_id_,
                      static_cast<int>(status.error_code()), ms);
      }
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  std::string request_id_;
  absl::Time start_ = absl::Now();
};

}  // namespace

grpc::experimental::Interceptor* RequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RequestInterceptor(info);
}

}  // namespace gofer::rpc
