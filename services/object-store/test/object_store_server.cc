#include "object_store_server.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include "gofer/testing/status.h"

namespace gofer::object_store::testing {

namespace v1 = objects::v1;

ObjectStoreServer::ObjectStoreServer(Limits limits)
    : env_(limits),
      runtime_(rpc::RuntimeOptions{.internal_credential = kCredential}),
      service_(env_.manager(), runtime_) {
  auto server = rpc::Server::Start(
      {.service_name = "object-store-test", .listen_address = "127.0.0.1:0"}, {&service_});
  GOFER_REQUIRE_OK(server);
  server_ = *std::move(server);
  client_ = std::make_unique<rpc::Client>(
      rpc::ClientOptions{.target = server_->address(), .internal_credential = kCredential});
  stub_ = v1::ObjectStore::NewStub(client_->channel());
}

ObjectStoreServer::~ObjectStoreServer() {
  server_->Shutdown();
  runtime_.Shutdown();
}

v1::ObjectRef ToProtoRef(const ObjectRef& ref) {
  v1::ObjectRef out;
  out.set_scope(static_cast<v1::ObjectScope>(ref.scope));
  out.set_namespace_id(ref.namespace_id);
  out.set_pipeline_id(ref.pipeline_id);
  out.set_run_id(ref.run_id);
  out.set_extension_id(ref.extension_id);
  out.set_key(ref.key);
  return out;
}

PutOutcome PutObject(ObjectStoreServer& server, const ObjectRef& ref, const std::string& content,
                     bool force, int64_t size, const std::string& sha256, size_t chunk) {
  PutOutcome outcome;
  auto context = server.client().NewContext();
  auto writer = server.stub().PutObject(context.get(), &outcome.response);
  v1::PutObjectRequest request;
  v1::PutObjectHeader* header = request.mutable_header();
  *header->mutable_ref() = ToProtoRef(ref);
  header->set_force(force);
  if (size >= 0) {
    header->set_size(size);  // otherwise unset: unknown
  }
  header->set_sha256(sha256);
  bool open = writer->Write(request);
  for (size_t at = 0; open && at < content.size(); at += chunk) {
    request.set_chunk(content.substr(at, chunk));
    open = writer->Write(request);
  }
  if (open) {
    writer->WritesDone();
  }
  outcome.status = writer->Finish();
  return outcome;
}

GetOutcome GetObject(ObjectStoreServer& server, const ObjectRef& ref, int64_t offset,
                     int64_t length) {
  GetOutcome outcome;
  auto context = server.client().NewContext();
  v1::GetObjectRequest request;
  *request.mutable_ref() = ToProtoRef(ref);
  request.set_offset(offset);
  request.set_length(length);
  auto reader = server.stub().GetObject(context.get(), request);
  v1::GetObjectResponse response;
  while (reader->Read(&response)) {
    if (outcome.messages++ == 0) {
      outcome.info = response.object();
    } else {
      REQUIRE_FALSE(response.has_object());
    }
    REQUIRE(response.chunk().size() <= (1u << 20));
    outcome.content += response.chunk();
  }
  outcome.status = reader->Finish();
  return outcome;
}

grpc::Status UploadPart(ObjectStoreServer& server, const std::string& upload_id, int number,
                        const std::string& bytes, v1::UploadPartResponse* response) {
  auto context = server.client().NewContext();
  auto writer = server.stub().UploadPart(context.get(), response);
  v1::UploadPartRequest request;
  request.mutable_header()->set_upload_id(upload_id);
  request.mutable_header()->set_part_number(number);
  bool open = writer->Write(request);
  for (size_t at = 0; open && at < bytes.size(); at += 1000) {
    request.set_chunk(bytes.substr(at, 1000));
    open = writer->Write(request);
  }
  if (open) {
    writer->WritesDone();
  }
  return writer->Finish();
}

}  // namespace gofer::object_store::testing
