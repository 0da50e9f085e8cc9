#include "convert.h"

namespace gofer::api_gateway {

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
}

void ToProto(const NamespaceRecord& ns, v1::Namespace* out) {
  out->set_id(ns.id);
  out->set_name(ns.name);
  out->set_description(ns.description);
  SetTime(ns.created, out->mutable_created());
  SetTime(ns.modified, out->mutable_modified());
}

void ToProto(const TokenRecord& token, v1::Token* out) {
  out->set_id(token.id);
  out->set_user(token.user);
  for (const std::string& role : token.roles) {
    out->add_roles(role);
  }
  out->mutable_metadata()->insert(token.metadata.begin(), token.metadata.end());
  SetTime(token.created, out->mutable_created());
  if (token.expires) {
    SetTime(*token.expires, out->mutable_expires());
  }
  out->set_disabled(token.disabled);
}

void ToProto(const Permission& permission, v1::Permission* out) {
  for (const std::string& r : permission.resources) {
    out->add_resources(r);
  }
  for (Action a : permission.actions) {
    out->add_actions(static_cast<v1::Action>(a));
  }
}

void ToProto(const RoleRecord& role, v1::Role* out) {
  out->set_id(role.id);
  out->set_description(role.description);
  for (const Permission& p : role.permissions) {
    ToProto(p, out->add_permissions());
  }
  out->set_system_role(role.system_role);
  SetTime(role.created, out->mutable_created());
  SetTime(role.modified, out->mutable_modified());
}

Permission FromProto(const v1::Permission& permission) {
  Permission out;
  out.resources.assign(permission.resources().begin(), permission.resources().end());
  for (int a : permission.actions()) {
    if (a >= 1 && a <= 3) {
      out.actions.push_back(static_cast<Action>(a));
    }
  }
  return out;
}

}  // namespace gofer::api_gateway
