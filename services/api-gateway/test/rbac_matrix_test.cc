// The RBAC matrix: every RPC of the served services called with a token of each system role
// (admin, user, read-only) and with no token, against an in-process gateway on real Postgres.
// The expectations are data (kMatrix below), derived from the system roles of
// migrations/0001_gateway.sql and the Need each handler declares:
//   admin-only needs (token, role, namespace and system writes) → only admin;
//   namespaced needs → user only in "default", read-only for reads everywhere;
//   authenticated-only calls (WhoAmI, own GetToken, GetRole, ListRoles, GetSystemInfo,
//   ListNamespaces, which filters) → every role; BootstrapToken → anyone (it then fails
//   FAILED_PRECONDITION, which is not a denial).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "access_store_rows.h"
#include "gateway_server.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"
#include "google/protobuf/descriptor.h"
#include "system_roles.h"

namespace gofer::api_gateway {
namespace {

using testing::GatewayServer;
using NamespaceStub = v1::NamespaceService::Stub;
using RoleStub = v1::RoleService::Stub;
using SystemStub = v1::SystemService::Stub;
using TokenStub = v1::TokenService::Stub;
using EventStub = v1::EventService::Stub;

// kWithoutReason: PERMISSION_DENIED or UNAUTHENTICATED without the ErrorInfo reason (never
// expected).
enum class Expect { kAllowed, kDenied, kUnauthenticated, kWithoutReason };
constexpr Expect A = Expect::kAllowed;
constexpr Expect D = Expect::kDenied;
constexpr Expect U = Expect::kUnauthenticated;

// A caller of the matrix: a system role's token, or nobody.
struct Who {
  std::string name;
  std::string secret;  // empty: no token
  std::string token_id;
};

// The gateway with the matrix's fixtures: namespace "other" (created by the admin, so it has
// an event), an event in "default", and a custom role "custom".
struct Matrix {
  GatewayServer gw;
  std::atomic<int> next{0};

  Matrix() {
    gw.CreateNamespace("other");
    v1::UpdateNamespaceRequest touch;
    touch.set_id("default");
    touch.set_description("touched by the matrix");
    GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &NamespaceStub::UpdateNamespace, touch));
    GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RoleStub::CreateRole, RoleRequest("custom")));
  }

  std::string Unique(const char* prefix) { return prefix + std::to_string(next++); }

  static v1::CreateRoleRequest RoleRequest(const std::string& id) {
    v1::CreateRoleRequest request;
    request.mutable_role()->set_id(id);
    v1::Permission* p = request.mutable_role()->add_permissions();
    p->add_resources("system");
    p->add_actions(v1::ACTION_READ);
    return request;
  }

  // OK once the first event of a WatchEvents stream arrived, or how the stream ended.
  absl::Status WatchFirst(const Who& caller, const std::string& namespace_id) {
    v1::WatchEventsRequest request;
    request.mutable_filter()->set_namespace_id(namespace_id);
    testing::EventWatch watch(gw, caller.secret, request);
    REQUIRE(gofer::testing::Eventually([&] { return !watch.received().empty() || watch.ended(); }));
    return watch.received().empty() ? watch.WaitForEnd() : absl::OkStatus();
  }
};

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

using Call = std::function<absl::Status(Matrix&, const Who&)>;

struct Row {
  std::string method;   // "Service.Method"
  std::string variant;  // what the request targets, when it matters
  Expect admin, user, read_only, anonymous;
  Call call;
};

// Wraps a Call's StatusOr into its status.
template <typename F>
Call S(F f) {
  return [f](Matrix& m, const Who& c) -> absl::Status { return f(m, c).status(); };
}

const std::vector<Row>& Rows() {
  static const auto* const rows = new std::vector<Row>{
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
      {"RoleService.GetRole", "", A, A, A, U, S([](Matrix& m, const Who& c) {
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
  std::set<std::string> served;
  for (const char* service :
       {"gofer.v1.NamespaceService", "gofer.v1.TokenService", "gofer.v1.RoleService",
        "gofer.v1.SystemService", "gofer.v1.EventService"}) {
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    REQUIRE(descriptor != nullptr);
    for (int i = 0; i < descriptor->method_count(); ++i) {
      served.insert(descriptor->name() + "." + descriptor->method(i)->name());
    }
  }
  CHECK(listed == served);
  CHECK(served.size() == 5 + 7 + 5 + 3 + 2);
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
