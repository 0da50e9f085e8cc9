// gofer.objects.v1 messages ⇄ object-store domain types.
#pragma once

#include "gofer/objects/v1/object_store.pb.h"
#include "object_catalog.h"
#include "object_ref.h"

namespace gofer::object_store {

ObjectRef FromProto(const objects::v1::ObjectRef& ref);
void ToProto(const ObjectRef& ref, objects::v1::ObjectRef* out);
void ToProto(const ObjectInfo& info, objects::v1::ObjectInfo* out);
void ToProto(const Upload& upload, objects::v1::Upload* out);

}  // namespace gofer::object_store
