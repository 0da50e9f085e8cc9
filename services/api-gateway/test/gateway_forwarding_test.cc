// ObjectService and SecretService through an in-process gateway forwarding to real in-process
// object-store and secret-store services: streams relayed with their content intact, the
// gateway's authorisation (namespaces, secret values need write, global secrets admin-only,
// no task-log objects, owners that must exist), the stores' errors reaching the client with their
// details, and the stores seeing the caller's identity.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gofer/testing/status.h"
#include "store_servers.h"

namespace gofer::api_gateway {
namespace {

namespace ov1 = objects::v1;
namespace sv1 = secrets::v1;
using testing::GatewayWithStores;
using testing::PipelineObject;
using testing::PipelineSecret;
using testing::ReasonOf;
using testing::SimpleConfig;
using testing::ViolatedFields;
using ObjectStub = v1::ObjectService::Stub;
using SecretStub = v1::SecretService::Stub;

template <typename Request>
Request WithRef(const ov1::ObjectRef& ref) {
  Request request;
  *request.mutable_ref() = ref;
  return request;
}

ov1::ListObjectsRequest ListOf(const std::string& ns, const std::string& pipeline) {
  ov1::ListObjectsRequest request;
  *request.mutable_parent() = PipelineObject(ns, pipeline, "");
  return request;
}

sv1::PutSecretRequest PutOf(const sv1::SecretRef& ref, const std::string& value,
                            bool force = false) {
  sv1::PutSecretRequest request;
  *request.mutable_ref() = ref;
  request.set_value(value);
  request.set_force(force);
  if (ref.scope() == sv1::SECRET_SCOPE_GLOBAL) {
    request.add_namespace_patterns("*");
  }
  return request;
}

sv1::GetSecretRequest GetOf(const sv1::SecretRef& ref, bool include_value) {
  sv1::GetSecretRequest request;
  *request.mutable_ref() = ref;
  request.set_include_value(include_value);
  return request;
}

sv1::ListSecretsRequest SecretsOf(const sv1::SecretRef& owner) {
  sv1::ListSecretsRequest request;
  request.set_scope(owner.scope());
  request.set_namespace_id(owner.namespace_id());
  request.set_pipeline_id(owner.pipeline_id());
  return request;
}

sv1::DeleteSecretRequest DeleteOf(const sv1::SecretRef& ref) {
  sv1::DeleteSecretRequest request;
  *request.mutable_ref() = ref;
  return request;
}

// `size` bytes that differ from chunk to chunk.
std::string Content(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  return out;
}

}  // namespace

TEST_CASE("A pipeline object is put, read, stated, listed and deleted through the gateway") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  const std::string user = gw.CreateToken({"user"}, "alice").secret();
  const ov1::ObjectRef ref = PipelineObject("default", "app", "dist/app.tar");
  const std::string content = Content((3 << 20) + 12345);  // four chunks of at most 1 MiB

  auto put = testing::PutObject(gw, user, ref, content);
  GOFER_REQUIRE_OK(put);
  CHECK(put->object().size() == static_cast<int64_t>(content.size()));
  CHECK(put->object().ref().key() == "dist/app.tar");

  auto got = testing::GetObject(gw, user, ref);
  GOFER_REQUIRE_OK(got);
  CHECK(got->messages >= 4);
  CHECK(got->info.sha256() == put->object().sha256());
  CHECK(got->content.size() == content.size());
  CHECK(got->content == content);

  auto stat = gw.Call(user, &ObjectStub::StatObject, WithRef<ov1::StatObjectRequest>(ref));
  GOFER_REQUIRE_OK(stat);
  CHECK(stat->SerializeAsString() == put->object().SerializeAsString());
  auto listed = gw.Call(user, &ObjectStub::ListObjects, ListOf("default", "app"));
  GOFER_REQUIRE_OK(listed);
  REQUIRE(listed->objects_size() == 1);
  CHECK(listed->objects(0).ref().key() == "dist/app.tar");

  GOFER_REQUIRE_OK(
      gw.Call(user, &ObjectStub::DeleteObject, WithRef<ov1::DeleteObjectRequest>(ref)));
  auto gone = gw.Call(user, &ObjectStub::StatObject, WithRef<ov1::StatObjectRequest>(ref));
  GOFER_REQUIRE_CODE(gone, absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(testing::GetObject(gw, user, ref), absl::StatusCode::kNotFound);
}

TEST_CASE("Task-log objects are not reachable through the gateway") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  ov1::ObjectRef ref = PipelineObject("default", "app", "log");
  ref.set_scope(ov1::OBJECT_SCOPE_TASK_LOG);
  ref.set_run_id(1);
  const std::string& admin = gw.admin_secret();
  for (const absl::Status& status :
       {testing::PutObject(gw, admin, ref, "line\n").status(),
        testing::GetObject(gw, admin, ref).status(),
        gw.Call(admin, &ObjectStub::StatObject, WithRef<ov1::StatObjectRequest>(ref)).status(),
        gw.Call(admin, &ObjectStub::DeleteObject, WithRef<ov1::DeleteObjectRequest>(ref))
            .status()}) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(ViolatedFields(status) == std::vector<std::string>{"ref.scope"});
  }
}

TEST_CASE("Objects and secrets of a missing pipeline are NOT_FOUND naming what is missing") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  const std::string& admin = gw.admin_secret();
  const ov1::ObjectRef object = PipelineObject("default", "ghost", "a.txt");
  for (const absl::Status& status :
       {testing::PutObject(gw, admin, object, "content").status(),
        testing::GetObject(gw, admin, object).status(),
        gw.Call(admin, &ObjectStub::StatObject, WithRef<ov1::StatObjectRequest>(object)).status(),
        gw.Call(admin, &SecretStub::PutSecret, PutOf(PipelineSecret("default", "ghost", "k"), "v"))
            .status()}) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kNotFound);
    CHECK(status.message() == "pipeline 'ghost' not found in namespace 'default'");
    CHECK(ReasonOf(status) == "PARENT_NOT_FOUND");
  }
  auto no_namespace =
      gw.Call(admin, &SecretStub::ListSecrets, SecretsOf(PipelineSecret("nope", "ghost", "k")));
  GOFER_REQUIRE_CODE(no_namespace, absl::StatusCode::kNotFound);
  CHECK(no_namespace.status().message() == "namespace 'nope' not found");
  // Existence is not revealed to a caller who may not look.
  GOFER_REQUIRE_CODE(gw.Call(gw.CreateToken({"user"}).secret(), &ObjectStub::StatObject,
                             WithRef<ov1::StatObjectRequest>(PipelineObject("nope", "ghost", "a"))),
                     absl::StatusCode::kPermissionDenied);
  CHECK(env.objects().env().QueryInt("SELECT count(*) FROM objects") == 0);
}

TEST_CASE("A user token reaches the objects of namespace default but not those of other") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  gw.CreateNamespace("other");
  gw.RegisterConfig(SimpleConfig("app"), "other");
  const std::string user = gw.CreateToken({"user"}).secret();
  const ov1::ObjectRef mine = PipelineObject("default", "app", "a.txt");
  const ov1::ObjectRef theirs = PipelineObject("other", "app", "a.txt");
  GOFER_REQUIRE_OK(testing::PutObject(gw, gw.admin_secret(), theirs, "theirs"));

  GOFER_REQUIRE_OK(testing::PutObject(gw, user, mine, "mine"));
  for (const absl::Status& status :
       {testing::PutObject(gw, user, theirs, "overwrite", /*force=*/true).status(),
        testing::GetObject(gw, user, theirs).status(),
        gw.Call(user, &ObjectStub::StatObject, WithRef<ov1::StatObjectRequest>(theirs)).status(),
        gw.Call(user, &ObjectStub::ListObjects, ListOf("other", "app")).status(),
        gw.Call(user, &ObjectStub::DeleteObject, WithRef<ov1::DeleteObjectRequest>(theirs))
            .status()}) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kPermissionDenied);
    CHECK(ReasonOf(status) == "PERMISSION_DENIED");
  }
  auto kept = testing::GetObject(gw, gw.admin_secret(), theirs);
  GOFER_REQUIRE_OK(kept);
  CHECK(kept->content == "theirs");
  GOFER_REQUIRE_CODE(testing::PutObject(gw, "", mine, "anonymous", true),
                     absl::StatusCode::kUnauthenticated);
  GOFER_REQUIRE_CODE(testing::GetObject(gw, "", mine), absl::StatusCode::kUnauthenticated);
}

TEST_CASE("The object-store's errors reach the client with their details") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  const std::string& admin = gw.admin_secret();
  const ov1::ObjectRef ref = PipelineObject("default", "app", "a.txt");
  GOFER_REQUIRE_OK(testing::PutObject(gw, admin, ref, "first"));
  auto exists = testing::PutObject(gw, admin, ref, "second");
  GOFER_REQUIRE_CODE(exists, absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(exists.status()) == "RESOURCE_EXISTS");
  auto replaced = testing::PutObject(gw, admin, ref, "second", /*force=*/true);
  GOFER_REQUIRE_OK(replaced);
  CHECK(testing::GetObject(gw, admin, ref)->content == "second");

  auto invalid = gw.Call(admin, &ObjectStub::StatObject,
                         WithRef<ov1::StatObjectRequest>(PipelineObject("default", "app", "../x")));
  GOFER_REQUIRE_CODE(invalid, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(invalid.status()) == std::vector<std::string>{"ref.key"});
  auto missing = gw.Call(admin, &ObjectStub::StatObject,
                         WithRef<ov1::StatObjectRequest>(PipelineObject("default", "app", "b")));
  GOFER_REQUIRE_CODE(missing, absl::StatusCode::kNotFound);
  CHECK(ReasonOf(missing.status()) == "RESOURCE_NOT_FOUND");
}

TEST_CASE("The object-store records the gateway's caller as the actor") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  const std::string user = gw.CreateToken({"user"}, "alice").secret();
  const ov1::ObjectRef ref = PipelineObject("default", "app", "a.txt");
  GOFER_REQUIRE_OK(testing::PutObject(gw, user, ref, "content"));
  GOFER_REQUIRE_OK(
      gw.Call(user, &ObjectStub::DeleteObject, WithRef<ov1::DeleteObjectRequest>(ref)));
  CHECK(env.objects().env().EventsOfKind("object.put", 1).at(0).actor == "token:alice");
  CHECK(env.objects().env().EventsOfKind("object.deleted", 1).at(0).actor == "token:alice");
}

TEST_CASE("A pipeline secret is put, read, listed and deleted through the gateway") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  const std::string user = gw.CreateToken({"user"}, "alice").secret();
  const sv1::SecretRef ref = PipelineSecret("default", "app", "db/password");
  auto put = gw.Call(user, &SecretStub::PutSecret, PutOf(ref, "hunter2"));
  GOFER_REQUIRE_OK(put);
  CHECK(put->created());
  CHECK(put->metadata().ref().key() == "db/password");

  auto metadata = gw.Call(user, &SecretStub::GetSecret, GetOf(ref, false));
  GOFER_REQUIRE_OK(metadata);
  CHECK(metadata->value().empty());
  CHECK(metadata->metadata().ref().SerializeAsString() == ref.SerializeAsString());
  auto value = gw.Call(user, &SecretStub::GetSecret, GetOf(ref, true));
  GOFER_REQUIRE_OK(value);
  CHECK(value->value() == "hunter2");
  auto listed = gw.Call(user, &SecretStub::ListSecrets, SecretsOf(ref));
  GOFER_REQUIRE_OK(listed);
  REQUIRE(listed->secrets_size() == 1);
  CHECK(listed->secrets(0).ref().key() == "db/password");

  GOFER_REQUIRE_OK(gw.Call(user, &SecretStub::DeleteSecret, DeleteOf(ref)));
  GOFER_REQUIRE_CODE(gw.Call(user, &SecretStub::GetSecret, GetOf(ref, false)),
                     absl::StatusCode::kNotFound);
  const std::vector<events::Event> events = env.secrets().Events(2);
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == "secret.put");
  CHECK(events[1].kind == "secret.deleted");
  for (const events::Event& e : events) {
    CHECK(e.actor == "token:alice");
  }
}

TEST_CASE("A secret's value needs write: a read-only token sees metadata only") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  const sv1::SecretRef ref = PipelineSecret("default", "app", "token");
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &SecretStub::PutSecret, PutOf(ref, "s3cr3t")));
  const std::string reader = gw.CreateToken({"read-only"}).secret();
  auto value = gw.Call(reader, &SecretStub::GetSecret, GetOf(ref, true));
  GOFER_REQUIRE_CODE(value, absl::StatusCode::kPermissionDenied);
  CHECK(ReasonOf(value.status()) == "PERMISSION_DENIED");
  CHECK(value.status().message().find("s3cr3t") == absl::string_view::npos);
  auto metadata = gw.Call(reader, &SecretStub::GetSecret, GetOf(ref, false));
  GOFER_REQUIRE_OK(metadata);
  CHECK(metadata->value().empty());
  GOFER_REQUIRE_OK(gw.Call(reader, &SecretStub::ListSecrets, SecretsOf(ref)));
  GOFER_REQUIRE_CODE(gw.Call(reader, &SecretStub::PutSecret, PutOf(ref, "x", true)),
                     absl::StatusCode::kPermissionDenied);
  GOFER_REQUIRE_CODE(gw.Call(reader, &SecretStub::DeleteSecret, DeleteOf(ref)),
                     absl::StatusCode::kPermissionDenied);
}

TEST_CASE("Global secrets are admin-only and other namespaces' secrets are out of a user's reach") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  gw.CreateNamespace("other");
  gw.RegisterConfig(SimpleConfig("app"), "other");
  const std::string& admin = gw.admin_secret();
  const sv1::SecretRef global = testing::GlobalSecret("registry/password");
  const sv1::SecretRef theirs = PipelineSecret("other", "app", "db");
  GOFER_REQUIRE_OK(gw.Call(admin, &SecretStub::PutSecret, PutOf(global, "pw")));
  GOFER_REQUIRE_OK(gw.Call(admin, &SecretStub::PutSecret, PutOf(theirs, "pw")));
  auto value = gw.Call(admin, &SecretStub::GetSecret, GetOf(global, true));
  GOFER_REQUIRE_OK(value);
  CHECK(value->value() == "pw");
  GOFER_REQUIRE_OK(gw.Call(admin, &SecretStub::ListSecrets, SecretsOf(global)));

  for (const char* role : {"user", "read-only"}) {
    const std::string secret = gw.CreateToken({role}).secret();
    for (const sv1::SecretRef& ref : {global, theirs}) {
      for (const absl::Status& status :
           {gw.Call(secret, &SecretStub::PutSecret, PutOf(ref, "x", true)).status(),
            gw.Call(secret, &SecretStub::GetSecret, GetOf(ref, true)).status(),
            gw.Call(secret, &SecretStub::DeleteSecret, DeleteOf(ref)).status()}) {
        INFO(role << " on " << ref.ShortDebugString() << ": " << status.ToString());
        CHECK(status.code() == absl::StatusCode::kPermissionDenied);
      }
    }
    INFO(role);
    CHECK(gw.Call(secret, &SecretStub::GetSecret, GetOf(global, false)).status().code() ==
          absl::StatusCode::kPermissionDenied);
    CHECK(gw.Call(secret, &SecretStub::ListSecrets, SecretsOf(global)).status().code() ==
          absl::StatusCode::kPermissionDenied);
  }
  auto kept = gw.Call(admin, &SecretStub::GetSecret, GetOf(theirs, true));
  GOFER_REQUIRE_OK(kept);
  CHECK(kept->value() == "pw");
}

TEST_CASE("The secret-store's errors reach the client with their details") {
  GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(SimpleConfig("app"));
  const std::string user = gw.CreateToken({"user"}).secret();
  const sv1::SecretRef ref = PipelineSecret("default", "app", "db");
  GOFER_REQUIRE_OK(gw.Call(user, &SecretStub::PutSecret, PutOf(ref, "one")));
  auto exists = gw.Call(user, &SecretStub::PutSecret, PutOf(ref, "two"));
  GOFER_REQUIRE_CODE(exists, absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(exists.status()) == "RESOURCE_EXISTS");
  CHECK(exists.status().message().find("set force to replace it") != absl::string_view::npos);
  CHECK(exists.status().message().find("two") == absl::string_view::npos);
  auto forced = gw.Call(user, &SecretStub::PutSecret, PutOf(ref, "two", /*force=*/true));
  GOFER_REQUIRE_OK(forced);
  CHECK_FALSE(forced->created());

  auto invalid_request = PutOf(PipelineSecret("default", "app", "bad//key"), "");
  invalid_request.add_namespace_patterns("*");
  auto invalid = gw.Call(user, &SecretStub::PutSecret, invalid_request);
  GOFER_REQUIRE_CODE(invalid, absl::StatusCode::kInvalidArgument);
  CHECK(ReasonOf(invalid.status()) == "INVALID_FIELD");
  CHECK(ViolatedFields(invalid.status()) ==
        std::vector<std::string>{"ref.key", "value", "namespace_patterns"});
  auto missing = gw.Call(user, &SecretStub::DeleteSecret,
                         DeleteOf(PipelineSecret("default", "app", "nothing")));
  GOFER_REQUIRE_CODE(missing, absl::StatusCode::kNotFound);
  CHECK(ReasonOf(missing.status()) == "RESOURCE_NOT_FOUND");
}

}  // namespace gofer::api_gateway

namespace gofer::api_gateway {
namespace {

TEST_CASE("A run token reaches the objects and runs of its own pipeline only, until revoked") {
  testing::GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  gw.RegisterConfig(testing::SimpleConfig("app"));
  gw.RegisterConfig(testing::SimpleConfig("other"));
  auto minted =
      gw.access().CreateRunToken("default", "app", 7, "build", 1, absl::Hours(1), "run-queue:test");
  GOFER_REQUIRE_OK(minted);
  const std::string secret = minted->secret;
  CHECK(minted->token.user == "run:default/app/7");

  auto who = gw.Call(secret, &v1::TokenService::Stub::WhoAmI, v1::WhoAmIRequest());
  GOFER_REQUIRE_OK(who);
  CHECK(who->user() == "run:default/app/7");
  CHECK(who->has_expires());
  // Its own pipeline's objects: read and write.
  const ov1::ObjectRef ref = testing::PipelineObject("default", "app", "out.txt");
  GOFER_REQUIRE_OK(testing::PutObject(gw, secret, ref, "artifact"));
  GOFER_REQUIRE_OK(
      gw.Call(secret, &v1::ObjectService::Stub::ListObjects, ListOf("default", "app")));
  // Another pipeline's, or anything else: denied.
  auto elsewhere =
      gw.Call(secret, &v1::ObjectService::Stub::ListObjects, ListOf("default", "other"));
  GOFER_REQUIRE_CODE(elsewhere, absl::StatusCode::kPermissionDenied);
  v1::CreateNamespaceRequest create;
  create.set_id("sneaky");
  GOFER_REQUIRE_CODE(gw.Call(secret, &v1::NamespaceService::Stub::CreateNamespace, create),
                     absl::StatusCode::kPermissionDenied);
  sv1::GetSecretRequest read_secret;
  *read_secret.mutable_ref() = testing::PipelineSecret("default", "app", "db");
  GOFER_REQUIRE_CODE(gw.Call(secret, &v1::SecretService::Stub::GetSecret, read_secret),
                     absl::StatusCode::kPermissionDenied);

  // Minting again for the same attempt replaces the token.
  auto again =
      gw.access().CreateRunToken("default", "app", 7, "build", 1, absl::Hours(1), "run-queue:test");
  GOFER_REQUIRE_OK(again);
  GOFER_REQUIRE_CODE(gw.Call(secret, &v1::TokenService::Stub::WhoAmI, v1::WhoAmIRequest()),
                     absl::StatusCode::kUnauthenticated);
  auto other_attempt =
      gw.access().CreateRunToken("default", "app", 7, "test", 1, absl::Hours(1), "run-queue:test");
  GOFER_REQUIRE_OK(other_attempt);
  GOFER_REQUIRE_OK(gw.Call(again->secret, &v1::TokenService::Stub::WhoAmI, v1::WhoAmIRequest()));

  // Revoking the run removes both; another run's token stays.
  auto unrelated =
      gw.access().CreateRunToken("default", "app", 8, "build", 1, absl::Hours(1), "run-queue:test");
  GOFER_REQUIRE_OK(unrelated);
  auto revoked = gw.access().RevokeRunTokens("default", "app", 7, "run-queue:test");
  GOFER_REQUIRE_OK(revoked);
  CHECK(*revoked == 2);
  for (const std::string& gone : {again->secret, other_attempt->secret}) {
    GOFER_REQUIRE_CODE(gw.Call(gone, &v1::TokenService::Stub::WhoAmI, v1::WhoAmIRequest()),
                       absl::StatusCode::kUnauthenticated);
  }
  GOFER_REQUIRE_OK(
      gw.Call(unrelated->secret, &v1::TokenService::Stub::WhoAmI, v1::WhoAmIRequest()));
}

}  // namespace
}  // namespace gofer::api_gateway
