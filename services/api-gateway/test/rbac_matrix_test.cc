// The RBAC matrix: every RPC of the served services called with a token of each system role
// (admin, user, read-only) and with no token, against an in-process gateway on real Postgres
// (forwarding objects and secrets to real in-process stores; runs and tasks to no run-queue).
// The expectations are data (the rows below, in rbac_matrix_pipeline_rows.cc,
// rbac_matrix_store_rows.cc and rbac_matrix_run_rows.cc), derived from the system roles of
// migrations/0001_gateway.sql and the Need each handler declares:
//   admin-only needs (token, role, namespace and system writes, global secrets) → only admin;
//   namespaced needs (pipelines, configs, deployments, objects, secrets, events, runs, tasks) →
//   user only in "default", read-only for reads everywhere; a secret's value needs write;
//   authenticated-only calls (WhoAmI, own GetToken, GetRole of the token's own role, ListRoles
//   and ListNamespaces, which filter, GetSystemInfo, ParseConfig) → every role; BootstrapToken
//   → anyone (it then fails FAILED_PRECONDITION, which is not a denial).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "access_store_rows.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"
#include "google/protobuf/descriptor.h"
#include "rbac_matrix.h"
#include "system_roles.h"

namespace gofer::api_gateway {
namespace {

using matrix::A;
using matrix::D;
using matrix::Expect;
using matrix::Matrix;
using matrix::Row;
using matrix::S;
using matrix::U;
using matrix::Who;
using testing::GatewayServer;
using NamespaceStub = v1::NamespaceService::Stub;
using RoleStub = v1::RoleService::Stub;
using SystemStub = v1::SystemService::Stub;
using TokenStub = v1::TokenService::Stub;
using EventStub = v1::EventService::Stub;

}  // namespace

namespace matrix {

Matrix::Matrix() {
  gw.CreateNamespace("other");
  v1::UpdateNamespaceRequest touch;
  touch.set_id("default");
  touch.set_description("touched by the matrix");
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &NamespaceStub::UpdateNamespace, touch));
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RoleStub::CreateRole, RoleRequest("custom")));
  const std::string& admin = gw.admin_secret();
  for (const char* ns : {"default", "other"}) {
    gw.RegisterConfig(testing::SimpleConfig("fixed", "alpine:3.19"), ns);
    gw.RegisterConfig(testing::SimpleConfig("fixed", "alpine:3.20"), ns);
    gw.Deploy("fixed", 1, ns);
    GOFER_REQUIRE_OK(
        testing::PutObject(gw, admin, testing::PipelineObject(ns, "fixed", "fixed.txt"), "fixed"));
    secrets::v1::PutSecretRequest secret;
    *secret.mutable_ref() = testing::PipelineSecret(ns, "fixed", "fixed");
    secret.set_value("fixed");
    GOFER_REQUIRE_OK(gw.Call(admin, &v1::SecretService::Stub::PutSecret, secret));
  }
  secrets::v1::PutSecretRequest global;
  *global.mutable_ref() = testing::GlobalSecret("fixed");
  global.set_value("fixed");
  global.add_namespace_patterns("*");
  GOFER_REQUIRE_OK(gw.Call(admin, &v1::SecretService::Stub::PutSecret, global));
}

v1::CreateRoleRequest Matrix::RoleRequest(const std::string& id) {
  v1::CreateRoleRequest request;
  request.mutable_role()->set_id(id);
  v1::Permission* p = request.mutable_role()->add_permissions();
  p->add_resources("system");
  p->add_actions(v1::ACTION_READ);
  return request;
}

absl::Status Matrix::WatchFirst(const Who& caller, const std::string& namespace_id) {
  v1::WatchEventsRequest request;
  request.mutable_filter()->set_namespace_id(namespace_id);
  testing::EventWatch watch(gw, caller.secret, request);
  REQUIRE(gofer::testing::Eventually([&] { return !watch.received().empty() || watch.ended(); }));
  return watch.received().empty() ? watch.WaitForEnd() : absl::OkStatus();
}

}  // namespace matrix

namespace {

template <typename Request>
Request WithId(const std::string& id) {
  Request request;
  request.set_id(id);
  return request;
}

v1::ListEventsRequest EventsOf(const std::string& namespace_id) {
  v1::ListEventsRequest request;
  request.mutable_filter()->set_namespace_id(namespace_id);
  return request;
}

std::vector<Row> CoreRows() {
  return {
      {"NamespaceService.CreateNamespace", "", A, D, D, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &NamespaceStub::CreateNamespace,
                          WithId<v1::CreateNamespaceRequest>(m.Unique("new-ns-")));
       })},
      {"NamespaceService.GetNamespace", "default", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &NamespaceStub::GetNamespace,
                          WithId<v1::GetNamespaceRequest>("default"));
       })},
      {"NamespaceService.GetNamespace", "other", A, D, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &NamespaceStub::GetNamespace,
                          WithId<v1::GetNamespaceRequest>("other"));
       })},
      {"NamespaceService.ListNamespaces", "", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &NamespaceStub::ListNamespaces, v1::ListNamespacesRequest());
       })},
      {"NamespaceService.UpdateNamespace", "other", A, D, D, U, S([](Matrix& m, const Who& c) {
         auto request = WithId<v1::UpdateNamespaceRequest>("other");
         request.set_description(m.Unique("description "));
         return m.gw.Call(c.secret, &NamespaceStub::UpdateNamespace, request);
       })},
      {"NamespaceService.DeleteNamespace", "", A, D, D, U,
       [](Matrix& m, const Who& c) {
         const std::string id = m.Unique("doomed-");
         m.gw.CreateNamespace(id);
         return m.gw
             .Call(c.secret, &NamespaceStub::DeleteNamespace,
                   WithId<v1::DeleteNamespaceRequest>(id))
             .status();
       }},
      {"TokenService.BootstrapToken", "", A, A, A, A, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &TokenStub::BootstrapToken, v1::BootstrapTokenRequest());
       })},
      {"TokenService.CreateToken", "", A, D, D, U, S([](Matrix& m, const Who& c) {
         v1::CreateTokenRequest request;
         request.set_user("made-by-matrix");
         request.add_roles("read-only");
         return m.gw.Call(c.secret, &TokenStub::CreateToken, request);
       })},
      {"TokenService.GetToken", "own", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &TokenStub::GetToken, WithId<v1::GetTokenRequest>(c.token_id));
       })},
      {"TokenService.GetToken", "another's", A, D, D, U,
       [](Matrix& m, const Who& c) {
         const std::string other = m.gw.CreateToken({"user"}, "someone").token().id();
         return m.gw.Call(c.secret, &TokenStub::GetToken, WithId<v1::GetTokenRequest>(other))
             .status();
       }},
      {"TokenService.ListTokens", "", A, D, D, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &TokenStub::ListTokens, v1::ListTokensRequest());
       })},
      {"TokenService.UpdateToken", "", A, D, D, U,
       [](Matrix& m, const Who& c) {
         auto request = WithId<v1::UpdateTokenRequest>(m.gw.CreateToken({"user"}).token().id());
         request.set_disabled(true);
         return m.gw.Call(c.secret, &TokenStub::UpdateToken, request).status();
       }},
      {"TokenService.DeleteToken", "", A, D, D, U,
       [](Matrix& m, const Who& c) {
         const std::string id = m.gw.CreateToken({"user"}, "doomed").token().id();
         return m.gw.Call(c.secret, &TokenStub::DeleteToken, WithId<v1::DeleteTokenRequest>(id))
             .status();
       }},
      {"TokenService.WhoAmI", "", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &TokenStub::WhoAmI, v1::WhoAmIRequest());
       })},
      {"RoleService.CreateRole", "", A, D, D, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &RoleStub::CreateRole, Matrix::RoleRequest(m.Unique("role-")));
       })},
      {"RoleService.GetRole", "own token's role", A, A, A, U, S([](Matrix& m, const Who& c) {
         const std::string own = c.secret.empty() ? "user" : c.name;
         return m.gw.Call(c.secret, &RoleStub::GetRole, WithId<v1::GetRoleRequest>(own));
       })},
      {"RoleService.GetRole", "another role", A, D, D, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &RoleStub::GetRole, WithId<v1::GetRoleRequest>("custom"));
       })},
      {"RoleService.ListRoles", "", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &RoleStub::ListRoles, v1::ListRolesRequest());
       })},
      {"RoleService.UpdateRole", "", A, D, D, U, S([](Matrix& m, const Who& c) {
         auto request = WithId<v1::UpdateRoleRequest>("custom");
         request.set_description(m.Unique("description "));
         return m.gw.Call(c.secret, &RoleStub::UpdateRole, request);
       })},
      {"RoleService.DeleteRole", "", A, D, D, U,
       [](Matrix& m, const Who& c) {
         const std::string id = m.Unique("doomed-role-");
         GOFER_REQUIRE_OK(
             m.gw.Call(m.gw.admin_secret(), &RoleStub::CreateRole, Matrix::RoleRequest(id)));
         return m.gw.Call(c.secret, &RoleStub::DeleteRole, WithId<v1::DeleteRoleRequest>(id))
             .status();
       }},
      {"SystemService.GetSystemInfo", "", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &SystemStub::GetSystemInfo, v1::GetSystemInfoRequest());
       })},
      {"SystemService.UpdateSystem", "", A, D, D, U, S([](Matrix& m, const Who& c) {
         v1::UpdateSystemRequest request;
         request.set_runs_paused(false);
         return m.gw.Call(c.secret, &SystemStub::UpdateSystem, request);
       })},
      {"SystemService.GetSummary", "", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &SystemStub::GetSummary, v1::GetSummaryRequest());
       })},
      {"EventService.ListEvents", "default", A, A, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &EventStub::ListEvents, EventsOf("default"));
       })},
      {"EventService.ListEvents", "other", A, D, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &EventStub::ListEvents, EventsOf("other"));
       })},
      {"EventService.ListEvents", "every namespace", A, D, A, U, S([](Matrix& m, const Who& c) {
         return m.gw.Call(c.secret, &EventStub::ListEvents, EventsOf(""));
       })},
      {"EventService.WatchEvents", "default", A, A, A, U,
       [](Matrix& m, const Who& c) { return m.WatchFirst(c, "default"); }},
      {"EventService.WatchEvents", "other", A, D, A, U,
       [](Matrix& m, const Who& c) { return m.WatchFirst(c, "other"); }},
      {"EventService.WatchEvents", "every namespace", A, D, A, U,
       [](Matrix& m, const Who& c) { return m.WatchFirst(c, ""); }},
  };
}

const std::vector<Row>& Rows() {
  static const auto* const rows = [] {
    auto* all = new std::vector<Row>(CoreRows());
    for (std::vector<Row> more : {matrix::PipelineRows(), matrix::StoreRows(), matrix::RunRows()}) {
      all->insert(all->end(), more.begin(), more.end());
    }
    return all;
  }();
  return *rows;
}

const char* Name(Expect e) {
  switch (e) {
    case Expect::kAllowed:
      return "allowed";
    case Expect::kDenied:
      return "PERMISSION_DENIED";
    case Expect::kUnauthenticated:
      return "UNAUTHENTICATED";
    case Expect::kWithoutReason:
      return "a denial without its reason";
  }
  return "?";
}

Expect Outcome(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kPermissionDenied &&
      testing::ReasonOf(status) == "PERMISSION_DENIED") {
    return Expect::kDenied;
  }
  if (status.code() == absl::StatusCode::kUnauthenticated &&
      testing::ReasonOf(status) == "UNAUTHENTICATED") {
    return Expect::kUnauthenticated;
  }
  if (status.code() == absl::StatusCode::kPermissionDenied ||
      status.code() == absl::StatusCode::kUnauthenticated) {
    return Expect::kWithoutReason;
  }
  // Any other outcome (OK, NOT_FOUND, FAILED_PRECONDITION, ...) passed authorisation.
  return Expect::kAllowed;
}

}  // namespace

TEST_CASE("The matrix lists every RPC of the served services") {
  std::set<std::string> listed;
  for (const Row& row : Rows()) {
    listed.insert(row.method);
  }
  testing::GatewayWithStores env;
  std::set<std::string> served;
  for (const std::string& service : env.gw().served_services()) {
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    INFO(service);
    REQUIRE(descriptor != nullptr);
    for (int i = 0; i < descriptor->method_count(); ++i) {
      served.insert(descriptor->name() + "." + descriptor->method(i)->name());
    }
  }
  CHECK(listed == served);
  // Namespaces, tokens, roles, system, events; pipelines, configs, deployments; objects, secrets;
  // runs, tasks.
  CHECK(served.size() == 5 + 7 + 5 + 3 + 2 + 4 + 6 + 5 + 5 + 4 + 6 + 6);
}

TEST_CASE("Every RPC admits or denies each system role and no token as the matrix says") {
  Matrix m;
  std::vector<Who> callers;
  for (const char* role : {"admin", "user", "read-only"}) {
    const v1::TokenWithSecret token = m.gw.CreateToken({role}, std::string("matrix-") + role);
    callers.push_back({role, token.secret(), token.token().id()});
  }
  callers.push_back({"no token", "", ""});
  for (const Row& row : Rows()) {
    const Expect expected[] = {row.admin, row.user, row.read_only, row.anonymous};
    for (size_t i = 0; i < callers.size(); ++i) {
      const absl::Status status = row.call(m, callers[i]);
      INFO(row.method << " (" << row.variant << ") as " << callers[i].name << ": expected "
                      << Name(expected[i]) << ", got " << status.ToString());
      CHECK(Outcome(status) == expected[i]);
    }
  }
}

TEST_CASE("ListNamespaces shows the user role only the namespaces it may read") {
  Matrix m;
  auto ids_for = [&](const std::string& role) {
    auto listed = m.gw.Call(m.gw.CreateToken({role}).secret(), &NamespaceStub::ListNamespaces,
                            v1::ListNamespacesRequest());
    GOFER_REQUIRE_OK(listed);
    std::vector<std::string> ids;
    for (const v1::Namespace& ns : listed->namespaces()) {
      ids.push_back(ns.id());
    }
    return ids;
  };
  CHECK(ids_for("user") == std::vector<std::string>{"default"});
  CHECK(ids_for("read-only") == std::vector<std::string>{"default", "other"});
  CHECK(ids_for("admin") == std::vector<std::string>{"default", "other"});
}

TEST_CASE("The database holds the system roles the matrix and rbac_test assume") {
  GatewayServer gw;
  const std::vector<std::pair<std::string, const char*>> roles{
      {"admin", testing::kAdminPermissions},
      {"user", testing::kUserPermissions},
      {"read-only", testing::kReadOnlyPermissions}};
  for (const auto& [id, json] : roles) {
    INFO(id);
    const std::string stored =
        gw.QueryText("SELECT permissions::text FROM roles WHERE system_role AND id = '" + id + "'");
    CHECK(access_rows::PermissionsFromJson(nlohmann::json::parse(stored)) ==
          access_rows::PermissionsFromJson(nlohmann::json::parse(json)));
  }
  CHECK(gw.QueryInt("SELECT count(*) FROM roles WHERE system_role") == 3);
}

}  // namespace gofer::api_gateway
