// gofer.v1.NamespaceService and gofer.v1.SystemService.
#pragma once

#include "gatekeeper.h"
#include "gofer/v1/namespaces.grpc.pb.h"
#include "gofer/v1/system.grpc.pb.h"
#include "namespace_store.h"

namespace gofer::api_gateway {

class NamespaceService final : public v1::NamespaceService::CallbackService {
 public:
  NamespaceService(NamespaceStore& store, Gatekeeper& gate) : store_(store), gate_(gate) {}

  grpc::ServerUnaryReactor* CreateNamespace(grpc::CallbackServerContext* ctx,
                                            const v1::CreateNamespaceRequest* req,
                                            v1::Namespace* resp) override;
  grpc::ServerUnaryReactor* GetNamespace(grpc::CallbackServerContext* ctx,
                                         const v1::GetNamespaceRequest* req,
                                         v1::Namespace* resp) override;
  grpc::ServerUnaryReactor* ListNamespaces(grpc::CallbackServerContext* ctx,
                                           const v1::ListNamespacesRequest* req,
                                           v1::ListNamespacesResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateNamespace(grpc::CallbackServerContext* ctx,
                                            const v1::UpdateNamespaceRequest* req,
                                            v1::UpdateNamespaceResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteNamespace(grpc::CallbackServerContext* ctx,
                                            const v1::DeleteNamespaceRequest* req,
                                            v1::DeleteNamespaceResponse* resp) override;

 private:
  NamespaceStore& store_;
  Gatekeeper& gate_;
};

class SystemService final : public v1::SystemService::CallbackService {
 public:
  SystemService(NamespaceStore& store, Gatekeeper& gate) : store_(store), gate_(gate) {}

  grpc::ServerUnaryReactor* GetSystemInfo(grpc::CallbackServerContext* ctx,
                                          const v1::GetSystemInfoRequest* req,
                                          v1::SystemInfo* resp) override;
  grpc::ServerUnaryReactor* UpdateSystem(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateSystemRequest* req,
                                         v1::UpdateSystemResponse* resp) override;
  grpc::ServerUnaryReactor* GetSummary(grpc::CallbackServerContext* ctx,
                                       const v1::GetSummaryRequest* req,
                                       v1::Summary* resp) override;

 private:
  absl::Status FillInfo(v1::SystemInfo* info);

  NamespaceStore& store_;
  Gatekeeper& gate_;
};

}  // namespace gofer::api_gateway
