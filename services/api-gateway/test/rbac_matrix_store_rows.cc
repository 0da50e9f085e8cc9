// The RBAC matrix rows of ObjectService and SecretService (see rbac_matrix_test.cc), with
// PIPELINE-scope objects and secrets of pipeline "fixed" in "default" and "other", and global
// secrets. Objects and pipeline secrets need "objects" / "secrets" with the namespace and
// pipeline grants; reading a secret's value needs write; global secrets are admin-only.
#include <string>

#include "gofer/testing/status.h"
#include "rbac_matrix.h"

namespace gofer::api_gateway::matrix {
namespace {

namespace ov1 = objects::v1;
namespace sv1 = secrets::v1;
using testing::GlobalSecret;
using testing::PipelineObject;
using testing::PipelineSecret;
using ObjectStub = v1::ObjectService::Stub;
using SecretStub = v1::SecretService::Stub;

// A call about something in namespace `ns` ("" for a global secret).
using NsCall = absl::Status (*)(Matrix&, const Who&, const std::string& ns);

Call In(const std::string& ns, NsCall call) {
  return [ns, call](Matrix& m, const Who& c) { return call(m, c, ns); };
}

template <typename Request>
Request WithRef(const ov1::ObjectRef& ref) {
  Request request;
  *request.mutable_ref() = ref;
  return request;
}

ov1::ObjectRef Fixed(const std::string& ns) { return PipelineObject(ns, "fixed", "fixed.txt"); }

sv1::SecretRef SecretIn(const std::string& ns, const std::string& key) {
  return ns.empty() ? GlobalSecret(key) : PipelineSecret(ns, "fixed", key);
}

sv1::PutSecretRequest PutOf(const sv1::SecretRef& ref) {
  sv1::PutSecretRequest request;
  *request.mutable_ref() = ref;
  request.set_value("value");
  request.set_force(true);
  if (ref.scope() == sv1::SECRET_SCOPE_GLOBAL) {
    request.add_namespace_patterns("*");
  }
  return request;
}

absl::Status PutObject(Matrix& m, const Who& c, const std::string& ns) {
  return testing::PutObject(m.gw, c.secret, PipelineObject(ns, "fixed", m.Unique("put-")),
                            "content")
      .status();
}

absl::Status GetObject(Matrix& m, const Who& c, const std::string& ns) {
  return testing::GetObject(m.gw, c.secret, Fixed(ns)).status();
}

absl::Status StatObject(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &ObjectStub::StatObject, WithRef<ov1::StatObjectRequest>(Fixed(ns)))
      .status();
}

absl::Status ListObjects(Matrix& m, const Who& c, const std::string& ns) {
  ov1::ListObjectsRequest request;
  *request.mutable_parent() = PipelineObject(ns, "fixed", "");
  return m.gw.Call(c.secret, &ObjectStub::ListObjects, request).status();
}

absl::Status DeleteObject(Matrix& m, const Who& c, const std::string& ns) {
  const ov1::ObjectRef ref = PipelineObject(ns, "fixed", m.Unique("doomed-"));
  GOFER_REQUIRE_OK(testing::PutObject(m.gw, m.gw.admin_secret(), ref, "doomed"));
  return m.gw.Call(c.secret, &ObjectStub::DeleteObject, WithRef<ov1::DeleteObjectRequest>(ref))
      .status();
}

absl::Status PutSecret(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &SecretStub::PutSecret, PutOf(SecretIn(ns, m.Unique("put-"))))
      .status();
}

absl::Status GetSecret(Matrix& m, const Who& c, const std::string& ns, bool include_value) {
  sv1::GetSecretRequest request;
  *request.mutable_ref() = SecretIn(ns, "fixed");
  request.set_include_value(include_value);
  return m.gw.Call(c.secret, &SecretStub::GetSecret, request).status();
}

absl::Status GetMetadata(Matrix& m, const Who& c, const std::string& ns) {
  return GetSecret(m, c, ns, false);
}

absl::Status GetValue(Matrix& m, const Who& c, const std::string& ns) {
  return GetSecret(m, c, ns, true);
}

absl::Status ListSecrets(Matrix& m, const Who& c, const std::string& ns) {
  const sv1::SecretRef owner = SecretIn(ns, "fixed");
  sv1::ListSecretsRequest request;
  request.set_scope(owner.scope());
  request.set_namespace_id(owner.namespace_id());
  request.set_pipeline_id(owner.pipeline_id());
  return m.gw.Call(c.secret, &SecretStub::ListSecrets, request).status();
}

absl::Status DeleteSecret(Matrix& m, const Who& c, const std::string& ns) {
  const sv1::SecretRef ref = SecretIn(ns, m.Unique("doomed-"));
  GOFER_REQUIRE_OK(m.gw.Call(m.gw.admin_secret(), &SecretStub::PutSecret, PutOf(ref)));
  sv1::DeleteSecretRequest request;
  *request.mutable_ref() = ref;
  return m.gw.Call(c.secret, &SecretStub::DeleteSecret, request).status();
}

}  // namespace

std::vector<Row> StoreRows() {
  return {
      // method, variant, admin, user, read-only, no token
      {"ObjectService.PutObject", "default", A, A, D, U, In("default", PutObject)},
      {"ObjectService.PutObject", "other", A, D, D, U, In("other", PutObject)},
      {"ObjectService.GetObject", "default", A, A, A, U, In("default", GetObject)},
      {"ObjectService.GetObject", "other", A, D, A, U, In("other", GetObject)},
      {"ObjectService.StatObject", "default", A, A, A, U, In("default", StatObject)},
      {"ObjectService.StatObject", "other", A, D, A, U, In("other", StatObject)},
      {"ObjectService.ListObjects", "default", A, A, A, U, In("default", ListObjects)},
      {"ObjectService.ListObjects", "other", A, D, A, U, In("other", ListObjects)},
      {"ObjectService.DeleteObject", "default", A, A, D, U, In("default", DeleteObject)},
      {"ObjectService.DeleteObject", "other", A, D, D, U, In("other", DeleteObject)},
      {"SecretService.PutSecret", "default", A, A, D, U, In("default", PutSecret)},
      {"SecretService.PutSecret", "other", A, D, D, U, In("other", PutSecret)},
      {"SecretService.PutSecret", "global", A, D, D, U, In("", PutSecret)},
      {"SecretService.GetSecret", "default metadata", A, A, A, U, In("default", GetMetadata)},
      {"SecretService.GetSecret", "other metadata", A, D, A, U, In("other", GetMetadata)},
      {"SecretService.GetSecret", "global metadata", A, D, D, U, In("", GetMetadata)},
      {"SecretService.GetSecret", "default value", A, A, D, U, In("default", GetValue)},
      {"SecretService.GetSecret", "other value", A, D, D, U, In("other", GetValue)},
      {"SecretService.GetSecret", "global value", A, D, D, U, In("", GetValue)},
      {"SecretService.ListSecrets", "default", A, A, A, U, In("default", ListSecrets)},
      {"SecretService.ListSecrets", "other", A, D, A, U, In("other", ListSecrets)},
      {"SecretService.ListSecrets", "global", A, D, D, U, In("", ListSecrets)},
      {"SecretService.DeleteSecret", "default", A, A, D, U, In("default", DeleteSecret)},
      {"SecretService.DeleteSecret", "other", A, D, D, U, In("other", DeleteSecret)},
      {"SecretService.DeleteSecret", "global", A, D, D, U, In("", DeleteSecret)},
  };
}

}  // namespace gofer::api_gateway::matrix
