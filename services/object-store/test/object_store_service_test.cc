// gofer.objects.v1.ObjectStore through an in-process gRPC server on loopback, over real
// Postgres and a blob root: streaming round trips, the internal credential, stream protocol
// errors, cancellation, error details on the wire, multipart uploads and the early
// ALREADY_EXISTS.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gofer/common/errors.h"
#include "gofer/rpc/status.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"
#include "object_store_server.h"
#include "sha256_hasher.h"

namespace gofer::object_store {
namespace {

namespace v1 = objects::v1;
using gofer::testing::Eventually;
using testing::GetObject;
using testing::ObjectStoreServer;
using testing::PatternBytes;
using testing::PipelineRef;
using testing::PutObject;
using testing::RunRef;
using testing::Sha256Hex;
using testing::ToProtoRef;
using testing::UploadPart;

constexpr size_t kMiB = 1 << 20;

// SmallLimits with room for multi-chunk objects.
Limits ServiceLimits() {
  Limits limits = testing::SmallLimits();
  limits.max_pipeline_object_bytes = limits.max_run_object_bytes = 8 << 20;
  return limits;
}

std::vector<std::string> WireFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(rpc::FromGrpcStatus(status))) {
    fields.push_back(v.field);
  }
  return fields;
}

grpc::Status Stat(ObjectStoreServer& server, const ObjectRef& ref, v1::ObjectInfo* info) {
  v1::StatObjectRequest request;
  *request.mutable_ref() = ToProtoRef(ref);
  auto context = server.client().NewContext();
  return server.stub().StatObject(context.get(), request, info);
}

}  // namespace

TEST_CASE("PutObject and GetObject stream an object up and down in chunks of at most 1 MiB") {
  ObjectStoreServer server(ServiceLimits());
  const std::string content = PatternBytes(3 * kMiB + kMiB / 2, 31);
  const ObjectRef ref = RunRef("artifact.bin");
  const auto put = PutObject(server, ref, content, false, static_cast<int64_t>(content.size()),
                             Sha256Hex(content));
  INFO(put.status.error_message());
  REQUIRE(put.status.ok());
  REQUIRE(put.response.object().sha256() == Sha256Hex(content));
  REQUIRE(put.response.object().size() == static_cast<int64_t>(content.size()));
  REQUIRE(put.response.object().ref().key() == "artifact.bin");
  REQUIRE_FALSE(put.response.deduplicated());

  const auto got = GetObject(server, ref);
  REQUIRE(got.status.ok());
  REQUIRE(got.content == content);
  REQUIRE(got.messages == 4);
  REQUIRE(got.info.sha256() == Sha256Hex(content));
  REQUIRE(got.info.size() == static_cast<int64_t>(content.size()));

  const auto range = GetObject(server, ref, kMiB - 10, 20);
  REQUIRE(range.status.ok());
  REQUIRE(range.content == content.substr(kMiB - 10, 20));
  const auto tail = GetObject(server, ref, static_cast<int64_t>(content.size()), 0);
  REQUIRE(tail.status.ok());
  REQUIRE(tail.content.empty());
  REQUIRE(tail.messages == 1);  // the metadata, with an empty chunk
  REQUIRE(GetObject(server, ref, static_cast<int64_t>(content.size()) + 1).status.error_code() ==
          grpc::StatusCode::OUT_OF_RANGE);
  const auto missing = GetObject(server, RunRef("missing.bin"));
  REQUIRE(missing.status.error_code() == grpc::StatusCode::NOT_FOUND);
  REQUIRE(missing.status.error_message().find("missing.bin") != std::string::npos);

  v1::ObjectInfo info;
  REQUIRE(Stat(server, ref, &info).ok());
  REQUIRE(info.sha256() == Sha256Hex(content));
}

TEST_CASE("PutObject reports deduplication and evicted pipeline objects") {
  Limits limits = ServiceLimits();
  limits.pipeline_objects = 2;
  ObjectStoreServer server(limits);
  REQUIRE(PutObject(server, PipelineRef("a"), "same").status.ok());
  const auto second = PutObject(server, PipelineRef("b"), "same");
  REQUIRE(second.status.ok());
  REQUIRE(second.response.deduplicated());
  const auto third = PutObject(server, PipelineRef("c"), "other");
  REQUIRE(third.status.ok());
  REQUIRE(third.response.evicted_size() == 1);
  REQUIRE(third.response.evicted(0).key() == "a");
  REQUIRE(third.response.evicted(0).scope() == v1::OBJECT_SCOPE_PIPELINE);
}

TEST_CASE("Calls without the internal credential are UNAUTHENTICATED") {
  ObjectStoreServer server;
  REQUIRE(PutObject(server, RunRef("x"), "bytes").status.ok());
  rpc::Client anonymous({.target = server.address()});
  auto stub = v1::ObjectStore::NewStub(anonymous.channel());

  auto put_context = anonymous.NewContext();
  v1::PutObjectResponse put_response;
  auto writer = stub->PutObject(put_context.get(), &put_response);
  v1::PutObjectRequest header;
  *header.mutable_header()->mutable_ref() = ToProtoRef(RunRef("y"));
  writer->Write(header);
  REQUIRE(writer->Finish().error_code() == grpc::StatusCode::UNAUTHENTICATED);

  auto get_context = anonymous.NewContext();
  v1::GetObjectRequest get;
  *get.mutable_ref() = ToProtoRef(RunRef("x"));
  auto reader = stub->GetObject(get_context.get(), get);
  v1::GetObjectResponse chunk;
  REQUIRE_FALSE(reader->Read(&chunk));
  REQUIRE(reader->Finish().error_code() == grpc::StatusCode::UNAUTHENTICATED);

  auto stat_context = anonymous.NewContext();
  v1::StatObjectRequest stat;
  *stat.mutable_ref() = ToProtoRef(RunRef("x"));
  v1::ObjectInfo info;
  REQUIRE(stub->StatObject(stat_context.get(), stat, &info).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  GOFER_REQUIRE_CODE(server.env().manager().Stat(RunRef("y")), absl::StatusCode::kNotFound);
}

TEST_CASE("An upload stream must start with its header, and only there") {
  ObjectStoreServer server;
  for (int variant = 0; variant < 3; ++variant) {
    INFO("variant " << variant);
    auto context = server.client().NewContext();
    v1::PutObjectResponse response;
    auto writer = server.stub().PutObject(context.get(), &response);
    v1::PutObjectRequest header;
    *header.mutable_header()->mutable_ref() = ToProtoRef(RunRef("h.bin"));
    header.mutable_header()->clear_size();  // unknown
    v1::PutObjectRequest chunk;
    chunk.set_chunk("bytes before the header");
    if (variant == 0) {
      writer->Write(chunk);  // no header first
    } else if (variant == 1) {
      writer->Write(header);  // a second header
      writer->Write(chunk);
      writer->Write(header);
    }  // variant 2: an empty stream
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    REQUIRE(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    REQUIRE(WireFields(status) == std::vector<std::string>{"header"});
  }
  GOFER_REQUIRE_CODE(server.env().manager().Stat(RunRef("h.bin")), absl::StatusCode::kNotFound);
  REQUIRE(Eventually([&] { return server.env().TempFiles() == 0; }));
}

TEST_CASE("A chunk over 1 MiB is INVALID_ARGUMENT and nothing is stored") {
  ObjectStoreServer server(ServiceLimits());
  const auto put =
      PutObject(server, RunRef("big-chunk.bin"), PatternBytes(kMiB + 1), false, -1, "", kMiB + 1);
  REQUIRE(put.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(WireFields(put.status) == std::vector<std::string>{"chunk"});
  GOFER_REQUIRE_CODE(server.env().manager().Stat(RunRef("big-chunk.bin")),
                     absl::StatusCode::kNotFound);
  REQUIRE(Eventually([&] { return server.env().TempFiles() == 0; }));
}

TEST_CASE("A cancelled upload stores nothing") {
  ObjectStoreServer server(ServiceLimits());
  const ObjectRef ref = RunRef("cancelled.bin");
  auto context = server.client().NewContext();
  v1::PutObjectResponse response;
  auto writer = server.stub().PutObject(context.get(), &response);
  v1::PutObjectRequest request;
  *request.mutable_header()->mutable_ref() = ToProtoRef(ref);
  request.mutable_header()->clear_size();  // unset: the size is not known in advance
  REQUIRE(writer->Write(request));
  request.set_chunk(PatternBytes(1000, 32));
  REQUIRE(writer->Write(request));
  // The server opened the blob writer: the upload is under way.
  REQUIRE(Eventually([&] { return server.env().TempFiles() == 1; }));
  context->TryCancel();
  REQUIRE(writer->Finish().error_code() == grpc::StatusCode::CANCELLED);

  REQUIRE(Eventually([&] { return server.env().TempFiles() == 0; }));
  GOFER_REQUIRE_CODE(server.env().manager().Stat(ref), absl::StatusCode::kNotFound);
  REQUIRE(server.env().QueryInt("SELECT count(*) FROM blobs") == 0);
  REQUIRE(server.env().BlobFiles() == 0);
}

TEST_CASE("INVALID_ARGUMENT field violations and reasons cross the wire") {
  ObjectStoreServer server;
  const ObjectRef bad{Scope::kPipeline, "Bad NS", "build", 0, "", "../up"};
  const auto invalid = PutObject(server, bad, "bytes");
  REQUIRE(invalid.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(WireFields(invalid.status) == std::vector<std::string>{"ref.namespace_id", "ref.key"});
  REQUIRE(GetErrorDetails(rpc::FromGrpcStatus(invalid.status)).reason == "INVALID_FIELD");

  const auto mismatch = PutObject(server, RunRef("sum.bin"), "content", false, 7, Sha256Hex("x"));
  REQUIRE(mismatch.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(WireFields(mismatch.status) == std::vector<std::string>{"sha256"});

  v1::ObjectInfo info;
  const grpc::Status stat = Stat(server, {Scope::kRun, "team-a", "build", 0, "", "k"}, &info);
  REQUIRE(stat.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(WireFields(stat) == std::vector<std::string>{"ref.run_id"});

  const auto too_big = PutObject(server, RunRef("huge.bin"), PatternBytes((64 << 10) + 1));
  REQUIRE(too_big.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  REQUIRE(GetErrorDetails(rpc::FromGrpcStatus(too_big.status)).reason == "LIMIT_EXCEEDED");
}

TEST_CASE("ALREADY_EXISTS ends the call before the client sends any chunk") {
  ObjectStoreServer server;
  const ObjectRef ref = PipelineRef("taken.txt");
  REQUIRE(PutObject(server, ref, "first").status.ok());

  auto context = server.client().NewContext({.timeout = absl::Seconds(30)});
  v1::PutObjectResponse response;
  auto writer = server.stub().PutObject(context.get(), &response);
  v1::PutObjectRequest header;
  *header.mutable_header()->mutable_ref() = ToProtoRef(ref);
  REQUIRE(writer->Write(header));
  // No chunk and no half-close: only the server can end this call (else the deadline would).
  const grpc::Status status = writer->Finish();
  REQUIRE(status.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  REQUIRE(GetErrorDetails(rpc::FromGrpcStatus(status)).reason == "RESOURCE_EXISTS");
  v1::PutObjectRequest chunk;
  chunk.set_chunk("too late");
  REQUIRE_FALSE(writer->Write(chunk));
  REQUIRE(GetObject(server, ref).content == "first");

  const auto forced = PutObject(server, ref, "second", /*force=*/true);
  REQUIRE(forced.status.ok());
  REQUIRE(GetObject(server, ref).content == "second");
}

TEST_CASE("A multipart upload works end to end through gRPC") {
  ObjectStoreServer server(ServiceLimits());  // 4 KiB parts
  const std::string content = PatternBytes(10000, 33);
  const ObjectRef ref = RunRef("multi.bin");
  v1::CreateUploadRequest create;
  *create.mutable_ref() = ToProtoRef(ref);
  create.set_size(10000);
  create.set_sha256(Sha256Hex(content));
  v1::Upload upload;
  auto create_context = server.client().NewContext();
  REQUIRE(server.stub().CreateUpload(create_context.get(), create, &upload).ok());
  REQUIRE(upload.part_count() == 3);
  REQUIRE(upload.part_size() == 4096);
  REQUIRE(upload.ref().key() == "multi.bin");

  v1::UploadPartResponse part;
  REQUIRE(UploadPart(server, upload.upload_id(), 1, content.substr(0, 4096), &part).ok());
  REQUIRE(part.part_number() == 1);
  REQUIRE(part.sha256() == Sha256Hex(content.substr(0, 4096)));
  REQUIRE(UploadPart(server, upload.upload_id(), 3, content.substr(8192), &part).ok());
  const grpc::Status wrong = UploadPart(server, upload.upload_id(), 2, "short", &part);
  REQUIRE(wrong.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(WireFields(wrong) == std::vector<std::string>{"size"});

  v1::GetUploadRequest get;
  get.set_upload_id(upload.upload_id());
  v1::Upload state;
  auto get_context = server.client().NewContext();
  REQUIRE(server.stub().GetUpload(get_context.get(), get, &state).ok());
  REQUIRE(std::vector<int>(state.received_parts().begin(), state.received_parts().end()) ==
          std::vector<int>{1, 3});

  v1::CompleteUploadRequest complete;
  complete.set_upload_id(upload.upload_id());
  v1::ObjectInfo info;
  auto early_context = server.client().NewContext();
  const grpc::Status early = server.stub().CompleteUpload(early_context.get(), complete, &info);
  REQUIRE(early.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(early.error_message().find("2") != std::string::npos);

  REQUIRE(UploadPart(server, upload.upload_id(), 2, content.substr(4096, 4096), &part).ok());
  auto complete_context = server.client().NewContext();
  REQUIRE(server.stub().CompleteUpload(complete_context.get(), complete, &info).ok());
  REQUIRE(info.sha256() == Sha256Hex(content));
  REQUIRE(GetObject(server, ref).content == content);
  auto gone_context = server.client().NewContext();
  REQUIRE(server.stub().GetUpload(gone_context.get(), get, &state).error_code() ==
          grpc::StatusCode::NOT_FOUND);

  auto second_context = server.client().NewContext();
  REQUIRE(server.stub().CreateUpload(second_context.get(), create, &upload).error_code() ==
          grpc::StatusCode::ALREADY_EXISTS);
  create.set_force(true);
  auto third_context = server.client().NewContext();
  REQUIRE(server.stub().CreateUpload(third_context.get(), create, &upload).ok());
  v1::AbortUploadRequest abort;
  abort.set_upload_id(upload.upload_id());
  v1::AbortUploadResponse aborted;
  auto abort_context = server.client().NewContext();
  REQUIRE(server.stub().AbortUpload(abort_context.get(), abort, &aborted).ok());
}

TEST_CASE("ListObjects, DeleteObject and DeleteRunObjects work through gRPC") {
  ObjectStoreServer server;
  for (const char* key : {"b", "a", "c"}) {
    REQUIRE(PutObject(server, RunRef(key, 2), key).status.ok());
  }
  v1::ListObjectsRequest list;
  *list.mutable_parent() = ToProtoRef(RunRef("", 2));
  list.set_page_size(2);
  v1::ListObjectsResponse page;
  auto list_context = server.client().NewContext();
  REQUIRE(server.stub().ListObjects(list_context.get(), list, &page).ok());
  REQUIRE(page.objects_size() == 2);
  REQUIRE(page.objects(0).ref().key() == "a");
  REQUIRE_FALSE(page.next_page_token().empty());

  v1::DeleteObjectRequest del;
  *del.mutable_ref() = ToProtoRef(RunRef("a", 2));
  v1::DeleteObjectResponse deleted;
  auto delete_context = server.client().NewContext();
  REQUIRE(server.stub().DeleteObject(delete_context.get(), del, &deleted).ok());
  auto again_context = server.client().NewContext();
  REQUIRE(server.stub().DeleteObject(again_context.get(), del, &deleted).error_code() ==
          grpc::StatusCode::NOT_FOUND);

  v1::DeleteRunObjectsRequest expire;
  expire.set_namespace_id("team-a");
  expire.set_pipeline_id("build");
  expire.set_up_to_run_id(2);
  v1::DeleteRunObjectsResponse expired;
  auto expire_context = server.client().NewContext();
  REQUIRE(server.stub().DeleteRunObjects(expire_context.get(), expire, &expired).ok());
  REQUIRE(expired.deleted() == 2);
  REQUIRE(server.env().RefcountMismatches() == 0);
}

}  // namespace gofer::object_store
