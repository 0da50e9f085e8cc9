#include "object_store_service.h"

#include <functional>
#include <memory>

#include <fmt/format.h>

#include "gofer/common/errors.h"
#include "gofer/rpc/status.h"
#include "object_convert.h"

namespace gofer::object_store {
namespace {

namespace v1 = objects::v1;

constexpr size_t kMaxChunk = 1 << 20;

grpc::Status Overloaded() {
  return rpc::ToGrpcStatus(
      WithErrorInfo(absl::ResourceExhaustedError("server is at capacity; retry with backoff"),
                    ErrorReason::kOverloaded));
}

grpc::Status Invalid(const std::string& field, const std::string& why) {
  return rpc::ToGrpcStatus(InvalidArgumentError({{field, why}}));
}

Actor ActorOf(const grpc::CallbackServerContext& context) {
  const std::string caller = rpc::CallerOf(context);
  return {caller.empty() ? std::string("internal") : caller};
}

// Receives a client stream of {header, chunk...} messages: the header opens a session on the
// executor (admission: RESOURCE_EXHAUSTED when full), each chunk is appended there, and the
// client's half-close finishes the session. A cancelled stream never commits anything.
template <typename Request, typename Session>
class UploadReactor final : public grpc::ServerReadReactor<Request> {
 public:
  using Begin = std::function<absl::StatusOr<std::unique_ptr<Session>>(const Request&)>;
  using Complete = std::function<absl::Status(Session&)>;

  UploadReactor(grpc::CallbackServerContext* context, rpc::Runtime& runtime, Begin begin,
                Complete finish)
      : context_(context), runtime_(runtime), begin_(std::move(begin)), finish_(std::move(finish)) {
    if (absl::Status auth = runtime_.CheckInternalCaller(*context_); !auth.ok()) {
      this->Finish(rpc::ToGrpcStatus(auth));
      return;
    }
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      if (context_->IsCancelled()) {
        this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "upload cancelled; nothing stored"));
      } else if (session_ == nullptr) {
        this->Finish(Invalid("header", "the stream ended before its header"));
      } else {
        Run([this] { this->Finish(rpc::ToGrpcStatus(finish_(*session_))); });
      }
      return;
    }
    if (session_ == nullptr) {
      if (!request_.has_header()) {
        this->Finish(Invalid("header", "the first message must be the header"));
        return;
      }
      const bool admitted = runtime_.executor().TrySubmit([this] {
        auto session = begin_(request_);
        if (!session.ok()) {
          this->Finish(rpc::ToGrpcStatus(session.status()));
          return;
        }
        session_ = *std::move(session);
        this->StartRead(&request_);
      });
      if (!admitted) {
        this->Finish(Overloaded());
      }
      return;
    }
    if (request_.has_header()) {
      this->Finish(Invalid("header", "only the first message may be a header"));
      return;
    }
    if (request_.chunk().size() > kMaxChunk) {
      this->Finish(Invalid("chunk", "chunks must be at most 1 MiB"));
      return;
    }
    Run([this] {
      if (absl::Status s = session_->Append(request_.chunk()); !s.ok()) {
        this->Finish(rpc::ToGrpcStatus(s));
        return;
      }
      this->StartRead(&request_);
    });
  }

  void OnDone() override { delete this; }

 private:
  void Run(std::function<void()> step) {
    if (!runtime_.executor().Submit(std::move(step))) {
      this->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    }
  }

  grpc::CallbackServerContext* const context_;
  rpc::Runtime& runtime_;
  const Begin begin_;
  const Complete finish_;
  Request request_;
  std::unique_ptr<Session> session_;
};

// Streams an object range: the first message carries the metadata; each chunk is read on the
// executor after the previous one was written.
class DownloadReactor final : public grpc::ServerWriteReactor<v1::GetObjectResponse> {
 public:
  DownloadReactor(grpc::CallbackServerContext* context, rpc::Runtime& runtime,
                  ObjectManager& manager, const v1::GetObjectRequest& request)
      : runtime_(runtime) {
    if (absl::Status auth = runtime_.CheckInternalCaller(*context); !auth.ok()) {
      Finish(rpc::ToGrpcStatus(auth));
      return;
    }
    const bool admitted = runtime_.executor().TrySubmit([this, &manager, request] {
      auto read = manager.Open(FromProto(request.ref()), request.offset(), request.length());
      if (!read.ok()) {
        Finish(rpc::ToGrpcStatus(read.status()));
        return;
      }
      read_ = *std::move(read);
      ToProto(read_->info(), response_.mutable_object());
      SendNext(/*first=*/true);
    });
    if (!admitted) {
      Finish(Overloaded());
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    if (!runtime_.executor().Submit([this] { SendNext(/*first=*/false); })) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    }
  }

  void OnDone() override { delete this; }

 private:
  void SendNext(bool first) {
    if (!first) {
      response_.clear_object();
    }
    if (absl::Status s = read_->Next(kMaxChunk, response_.mutable_chunk()); !s.ok()) {
      Finish(rpc::ToGrpcStatus(s));
      return;
    }
    if (!first && response_.chunk().empty()) {
      Finish(grpc::Status::OK);
      return;
    }
    StartWrite(&response_);
  }

  rpc::Runtime& runtime_;
  std::unique_ptr<ObjectRead> read_;
  v1::GetObjectResponse response_;
};

}  // namespace

grpc::ServerReadReactor<v1::PutObjectRequest>* ObjectStoreService::PutObject(
    grpc::CallbackServerContext* context, v1::PutObjectResponse* response) {
  const Actor actor = ActorOf(*context);
  return new UploadReactor<v1::PutObjectRequest, PutSession>(
      context, runtime_,
      [this, actor](const v1::PutObjectRequest& first) {
        const auto& h = first.header();
        return manager_.BeginPut(
            {FromProto(h.ref()), h.force(), h.has_size() ? h.size() : -1, h.sha256()}, actor);
      },
      [response](PutSession& session) -> absl::Status {
        auto result = session.Finish();
        if (!result.ok()) {
          return result.status();
        }
        ToProto(result->info, response->mutable_object());
        response->set_deduplicated(result->deduplicated);
        for (const ObjectRef& gone : result->evicted) {
          ToProto(gone, response->add_evicted());
        }
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<v1::GetObjectResponse>* ObjectStoreService::GetObject(
    grpc::CallbackServerContext* context, const v1::GetObjectRequest* request) {
  return new DownloadReactor(context, runtime_, manager_, *request);
}

grpc::ServerReadReactor<v1::UploadPartRequest>* ObjectStoreService::UploadPart(
    grpc::CallbackServerContext* context, v1::UploadPartResponse* response) {
  return new UploadReactor<v1::UploadPartRequest, PartSession>(
      context, runtime_,
      [this, response](const v1::UploadPartRequest& first) {
        response->set_part_number(first.header().part_number());
        return manager_.BeginPart(first.header().upload_id(), first.header().part_number());
      },
      [response](PartSession& session) -> absl::Status {
        auto digest = session.Finish();
        if (!digest.ok()) {
          return digest.status();
        }
        response->set_sha256(digest->sha256);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ObjectStoreService::StatObject(grpc::CallbackServerContext* context,
                                                         const v1::StatObjectRequest* request,
                                                         v1::ObjectInfo* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    auto info = manager_.Stat(FromProto(request->ref()));
    if (info.ok()) {
      ToProto(*info, response);
    }
    return info.status();
  });
}

grpc::ServerUnaryReactor* ObjectStoreService::ListObjects(grpc::CallbackServerContext* context,
                                                          const v1::ListObjectsRequest* request,
                                                          v1::ListObjectsResponse* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    auto page = manager_.List(FromProto(request->parent()), request->key_prefix(),
                              request->page_size(), request->page_token());
    if (!page.ok()) {
      return page.status();
    }
    for (const ObjectInfo& info : page->objects) {
      ToProto(info, response->add_objects());
    }
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ObjectStoreService::DeleteObject(grpc::CallbackServerContext* context,
                                                           const v1::DeleteObjectRequest* request,
                                                           v1::DeleteObjectResponse*) {
  return rpc::Unary(context, runtime_, [this, context, request] {
    return manager_.Delete(FromProto(request->ref()), ActorOf(*context));
  });
}

grpc::ServerUnaryReactor* ObjectStoreService::DeleteRunObjects(
    grpc::CallbackServerContext* context, const v1::DeleteRunObjectsRequest* request,
    v1::DeleteRunObjectsResponse* response) {
  return rpc::Unary(context, runtime_, [this, context, request, response]() -> absl::Status {
    auto deleted = manager_.DeleteRunObjects(request->namespace_id(), request->pipeline_id(),
                                             request->up_to_run_id(), request->include_task_logs(),
                                             ActorOf(*context));
    if (deleted.ok()) {
      response->set_deleted(*deleted);
    }
    return deleted.status();
  });
}

grpc::ServerUnaryReactor* ObjectStoreService::CreateUpload(grpc::CallbackServerContext* context,
                                                           const v1::CreateUploadRequest* request,
                                                           v1::Upload* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    auto upload = manager_.CreateUpload(FromProto(request->ref()), request->force(),
                                        request->size(), request->sha256());
    if (upload.ok()) {
      ToProto(*upload, response);
    }
    return upload.status();
  });
}

grpc::ServerUnaryReactor* ObjectStoreService::GetUpload(grpc::CallbackServerContext* context,
                                                        const v1::GetUploadRequest* request,
                                                        v1::Upload* response) {
  return rpc::Unary(context, runtime_, [this, request, response]() -> absl::Status {
    auto upload = manager_.GetUpload(request->upload_id());
    if (upload.ok()) {
      ToProto(*upload, response);
    }
    return upload.status();
  });
}

grpc::ServerUnaryReactor* ObjectStoreService::CompleteUpload(
    grpc::CallbackServerContext* context, const v1::CompleteUploadRequest* request,
    v1::ObjectInfo* response) {
  return rpc::Unary(context, runtime_, [this, context, request, response]() -> absl::Status {
    auto result = manager_.CompleteUpload(request->upload_id(), ActorOf(*context));
    if (result.ok()) {
      ToProto(result->info, response);
    }
    return result.status();
  });
}

grpc::ServerUnaryReactor* ObjectStoreService::AbortUpload(grpc::CallbackServerContext* context,
                                                          const v1::AbortUploadRequest* request,
                                                          v1::AbortUploadResponse*) {
  return rpc::Unary(context, runtime_,
                    [this, request] { return manager_.AbortUpload(request->upload_id()); });
}

}  // namespace gofer::object_store
