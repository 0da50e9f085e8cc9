// gRPC adapter of gofer.objects.v1.ObjectStore: proto ⇄ domain, streams driven chunk by chunk
// on the runtime's executor (one chunk in flight per stream, so memory stays flat whatever
// the object's size). No business rules here; they live in ObjectManager.
#pragma once

#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/runtime.h"
#include "object_manager.h"

namespace gofer::object_store {

class ObjectStoreService final : public objects::v1::ObjectStore::CallbackService {
 public:
  // `manager` and `runtime` must outlive the service.
  ObjectStoreService(ObjectManager& manager, rpc::Runtime& runtime)
      : manager_(manager), runtime_(runtime) {}

  grpc::ServerReadReactor<objects::v1::PutObjectRequest>* PutObject(
      grpc::CallbackServerContext* context, objects::v1::PutObjectResponse* response) override;
  grpc::ServerWriteReactor<objects::v1::GetObjectResponse>* GetObject(
      grpc::CallbackServerContext* context, const objects::v1::GetObjectRequest* request) override;
  grpc::ServerUnaryReactor* StatObject(grpc::CallbackServerContext* context,
                                       const objects::v1::StatObjectRequest* request,
                                       objects::v1::ObjectInfo* response) override;
  grpc::ServerUnaryReactor* ListObjects(grpc::CallbackServerContext* context,
                                        const objects::v1::ListObjectsRequest* request,
                                        objects::v1::ListObjectsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteObject(grpc::CallbackServerContext* context,
                                         const objects::v1::DeleteObjectRequest* request,
                                         objects::v1::DeleteObjectResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRunObjects(
      grpc::CallbackServerContext* context, const objects::v1::DeleteRunObjectsRequest* request,
      objects::v1::DeleteRunObjectsResponse* response) override;
  grpc::ServerUnaryReactor* CreateUpload(grpc::CallbackServerContext* context,
                                         const objects::v1::CreateUploadRequest* request,
                                         objects::v1::Upload* response) override;
  grpc::ServerReadReactor<objects::v1::UploadPartRequest>* UploadPart(
      grpc::CallbackServerContext* context, objects::v1::UploadPartResponse* response) override;
  grpc::ServerUnaryReactor* GetUpload(grpc::CallbackServerContext* context,
                                      const objects::v1::GetUploadRequest* request,
                                      objects::v1::Upload* response) override;
  grpc::ServerUnaryReactor* CompleteUpload(grpc::CallbackServerContext* context,
                                           const objects::v1::CompleteUploadRequest* request,
                                           objects::v1::ObjectInfo* response) override;
  grpc::ServerUnaryReactor* AbortUpload(grpc::CallbackServerContext* context,
                                        const objects::v1::AbortUploadRequest* request,
                                        objects::v1::AbortUploadResponse* response) override;

 private:
  ObjectManager& manager_;
  rpc::Runtime& runtime_;
};

}  // namespace gofer::object_store
