// An in-process gofer.objects.v1.ObjectStore server on 127.0.0.1:0 over a real ObjectStoreEnv
// (Postgres schemas, blob root), with a client carrying the internal credential, and helpers
// for the streaming calls.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/channel.h"
#include "gofer/rpc/runtime.h"
#include "gofer/rpc/server.h"
#include "object_store_env.h"
#include "object_store_service.h"

namespace gofer::object_store::testing {

// The internal credential of the test server.
inline constexpr char kCredential[] = "c";

class ObjectStoreServer {
 public:
  explicit ObjectStoreServer(Limits limits = SmallLimits());
  // Shuts the server down, then the runtime.
  ~ObjectStoreServer();

  ObjectStoreEnv& env() { return env_; }
  std::string address() const { return server_->address(); }
  // A client with the internal credential, and its stub.
  const rpc::Client& client() const { return *client_; }
  objects::v1::ObjectStore::Stub& stub() { return *stub_; }

 private:
  ObjectStoreEnv env_;
  rpc::Runtime runtime_;
  ObjectStoreService service_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<rpc::Client> client_;
  std::unique_ptr<objects::v1::ObjectStore::Stub> stub_;
};

// The proto form of `ref`.
objects::v1::ObjectRef ToProtoRef(const ObjectRef& ref);

struct PutOutcome {
  grpc::Status status;
  objects::v1::PutObjectResponse response;
};

// One PutObject call: a header with `ref`, `force`, `size` and `sha256`, then `content` in
// chunks of at most `chunk` bytes.
PutOutcome PutObject(ObjectStoreServer& server, const ObjectRef& ref, const std::string& content,
                     bool force = false, int64_t size = -1, const std::string& sha256 = "",
                     size_t chunk = 1 << 20);

struct GetOutcome {
  grpc::Status status;
  objects::v1::ObjectInfo info;  // from the first message
  std::string content;
  int messages = 0;
};

// One GetObject call of [offset, offset + length).
GetOutcome GetObject(ObjectStoreServer& server, const ObjectRef& ref, int64_t offset = 0,
                     int64_t length = 0);

// Sends `bytes` as part `number` of upload `upload_id` through UploadPart.
grpc::Status UploadPart(ObjectStoreServer& server, const std::string& upload_id, int number,
                        const std::string& bytes, objects::v1::UploadPartResponse* response);

}  // namespace gofer::object_store::testing
