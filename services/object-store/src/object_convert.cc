#include "object_convert.h"

namespace gofer::object_store {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
}

}  // namespace

ObjectRef FromProto(const objects::v1::ObjectRef& ref) {
  // An unknown scope number stays unknown here and fails validation with its field named.
  return {static_cast<Scope>(ref.scope()),
          ref.namespace_id(),
          ref.pipeline_id(),
          ref.run_id(),
          ref.extension_id(),
          ref.key()};
}

void ToProto(const ObjectRef& ref, objects::v1::ObjectRef* out) {
  out->set_scope(static_cast<objects::v1::ObjectScope>(ref.scope));
  out->set_namespace_id(ref.namespace_id);
  out->set_pipeline_id(ref.pipeline_id);
  out->set_run_id(ref.run_id);
  out->set_extension_id(ref.extension_id);
  out->set_key(ref.key);
}

void ToProto(const ObjectInfo& info, objects::v1::ObjectInfo* out) {
  ToProto(info.ref, out->mutable_ref());
  out->set_size(info.size);
  out->set_sha256(info.sha256);
  SetTime(info.created, out->mutable_created());
}

void ToProto(const Upload& upload, objects::v1::Upload* out) {
  out->set_upload_id(upload.id);
  ToProto(upload.ref, out->mutable_ref());
  out->set_size(upload.size);
  out->set_part_size(upload.part_size);
  out->set_part_count(upload.part_count);
  for (int part : upload.received_parts) {
    out->add_received_parts(part);
  }
  SetTime(upload.expires, out->mutable_expires());
}

}  // namespace gofer::object_store
