#include "object_convert.h"

#include "gofer/rpc/proto_time.h"

namespace gofer::object_store {
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
  rpc::ToTimestamp(info.created, out->mutable_created());
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
  rpc::ToTimestamp(upload.expires, out->mutable_expires());
}

}  // namespace gofer::object_store
