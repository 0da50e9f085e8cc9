#include "convert.h"

#include "gofer/rpc/proto_time.h"

namespace gofer::api_gateway {

void ToProto(const NamespaceRecord& ns, v1::Namespace* out) {
  out->set_id(ns.id);
  out->set_name(ns.name);
  out->set_description(ns.description);
  rpc::ToTimestamp(ns.created, out->mutable_created());
  rpc::ToTimestamp(ns.modified, out->mutable_modified());
}

void ToProto(const TokenRecord& token, v1::Token* out) {
  out->set_id(token.id);
  out->set_user(token.user);
  for (const std::string& role : token.roles) {
    out->add_roles(role);
  }
  out->mutable_metadata()->insert(token.metadata.begin(), token.metadata.end());
  rpc::ToTimestamp(token.created, out->mutable_created());
  if (token.expires) {
    rpc::ToTimestamp(*token.expires, out->mutable_expires());
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
  rpc::ToTimestamp(role.created, out->mutable_created());
  rpc::ToTimestamp(role.modified, out->mutable_modified());
}

void ToProto(const PipelineRecord& p, v1::Pipeline* out) {
  out->set_namespace_id(p.namespace_id);
  out->set_pipeline_id(p.id);
  out->set_name(p.name);
  out->set_description(p.description);
  out->set_state(p.disabled ? v1::PIPELINE_STATE_DISABLED : v1::PIPELINE_STATE_ACTIVE);
  out->set_latest_version(p.latest_version);
  for (int64_t v : p.live_versions) {
    out->add_live_versions(v);
  }
  rpc::ToTimestamp(p.created, out->mutable_created());
  rpc::ToTimestamp(p.modified, out->mutable_modified());
}

void ToProto(const ConfigRecord& c, v1::ConfigVersion* out) {
  out->set_namespace_id(c.namespace_id);
  out->set_pipeline_id(c.pipeline_id);
  out->set_version(c.version);
  *out->mutable_config() = c.config;
  out->set_hash(c.hash);
  out->set_state(c.state);
  rpc::ToTimestamp(c.registered, out->mutable_registered());
  if (c.deprecated) {
    rpc::ToTimestamp(*c.deprecated, out->mutable_deprecated());
  }
}

void ToProto(const DeploymentRecord& d, v1::Deployment* out) {
  out->set_namespace_id(d.namespace_id);
  out->set_pipeline_id(d.pipeline_id);
  out->set_id(d.id);
  out->set_type(d.type);
  out->set_start_version(d.start_version);
  out->set_end_version(d.end_version);
  out->set_state(d.state);
  out->set_status(d.status);
  if (d.canary) {
    out->mutable_canary()->set_weight_percent(d.canary->weight_percent);
    out->mutable_canary()->set_min_runs(d.canary->min_runs);
    out->mutable_canary()->set_max_failure_percent(d.canary->max_failure_percent);
  }
  for (const DeploymentStep& step : d.steps) {
    auto* s = out->add_steps();
    rpc::ToTimestamp(step.time, s->mutable_time());
    s->set_kind(step.kind);
    s->set_description(step.description);
  }
  rpc::ToTimestamp(d.started, out->mutable_started());
  if (d.ended) {
    rpc::ToTimestamp(*d.ended, out->mutable_ended());
  }
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
