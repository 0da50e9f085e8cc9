// NamespaceService and RoleService through an in-process gateway on real Postgres: each RPC's
// success path and documented errors, changed=false for updates that change nothing (and no
// event then), validation reporting every violation at once, and custom roles taking effect.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gateway_server.h"
#include "gofer/common/errors.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway {
namespace {

using testing::GatewayServer;
using testing::ReasonOf;
using testing::ViolatedFields;
using NamespaceStub = v1::NamespaceService::Stub;
using RoleStub = v1::RoleService::Stub;
using TokenStub = v1::TokenService::Stub;

v1::CreateNamespaceRequest NewNamespace(const std::string& id, const std::string& name = "",
                                        const std::string& description = "") {
  v1::CreateNamespaceRequest request;
  request.set_id(id);
  request.set_name(name);
  request.set_description(description);
  return request;
}

v1::Permission Grant(std::vector<std::string> resources, std::vector<v1::Action> actions) {
  v1::Permission p;
  for (const std::string& r : resources) {
    p.add_resources(r);
  }
  for (v1::Action a : actions) {
    p.add_actions(a);
  }
  return p;
}

template <typename Request>
Request WithId(const std::string& id) {
  Request request;
  request.set_id(id);
  return request;
}

}  // namespace

TEST_CASE("Namespaces are created, read, listed, updated and deleted") {
  GatewayServer gw;
  const std::string& admin = gw.admin_secret();
  auto created =
      gw.Call(admin, &NamespaceStub::CreateNamespace, NewNamespace("team-a", "Team A", "Payments"));
  GOFER_REQUIRE_OK(created);
  CHECK(created->id() == "team-a");
  CHECK(created->name() == "Team A");
  CHECK(created->description() == "Payments");
  CHECK(created->created().seconds() > 0);
  auto unnamed = gw.Call(admin, &NamespaceStub::CreateNamespace, NewNamespace("team-b"));
  GOFER_REQUIRE_OK(unnamed);
  CHECK(unnamed->name() == "team-b");  // the name defaults to the id

  auto got =
      gw.Call(admin, &NamespaceStub::GetNamespace, WithId<v1::GetNamespaceRequest>("team-a"));
  GOFER_REQUIRE_OK(got);
  CHECK(got->SerializeAsString() == created->SerializeAsString());

  auto listed = gw.Call(admin, &NamespaceStub::ListNamespaces, v1::ListNamespacesRequest());
  GOFER_REQUIRE_OK(listed);
  std::vector<std::string> ids;
  for (const v1::Namespace& ns : listed->namespaces()) {
    ids.push_back(ns.id());
  }
  CHECK(ids == std::vector<std::string>{"default", "team-a", "team-b"});
  CHECK(listed->next_page_token().empty());

  auto update = WithId<v1::UpdateNamespaceRequest>("team-a");
  update.set_description("Payments and billing");
  auto updated = gw.Call(admin, &NamespaceStub::UpdateNamespace, update);
  GOFER_REQUIRE_OK(updated);
  CHECK(updated->changed());
  CHECK(updated->namespace_().name() == "Team A");
  CHECK(updated->namespace_().description() == "Payments and billing");

  GOFER_REQUIRE_OK(gw.Call(admin, &NamespaceStub::DeleteNamespace,
                           WithId<v1::DeleteNamespaceRequest>("team-a")));
  GOFER_REQUIRE_CODE(
      gw.Call(admin, &NamespaceStub::GetNamespace, WithId<v1::GetNamespaceRequest>("team-a")),
      absl::StatusCode::kNotFound);
  CHECK(gw.CountEvents("namespace.created") == 2);
  CHECK(gw.CountEvents("namespace.updated") == 1);
  CHECK(gw.CountEvents("namespace.deleted") == 1);
}

TEST_CASE("Creating a namespace whose id is taken is ALREADY_EXISTS") {
  GatewayServer gw;
  auto taken = gw.Call(gw.admin_secret(), &NamespaceStub::CreateNamespace, NewNamespace("default"));
  GOFER_REQUIRE_CODE(taken, absl::StatusCode::kAlreadyExists);
  CHECK(taken.status().message() == "namespace 'default' already exists");
  CHECK(ReasonOf(taken.status()) == "RESOURCE_EXISTS");
}

TEST_CASE("A missing namespace is NOT_FOUND naming it for get, update and delete") {
  GatewayServer gw;
  const std::string& admin = gw.admin_secret();
  auto update = WithId<v1::UpdateNamespaceRequest>("ghost");
  update.set_name("Ghost");
  for (const absl::Status& status :
       {gw.Call(admin, &NamespaceStub::GetNamespace, WithId<v1::GetNamespaceRequest>("ghost"))
            .status(),
        gw.Call(admin, &NamespaceStub::UpdateNamespace, update).status(),
        gw.Call(admin, &NamespaceStub::DeleteNamespace, WithId<v1::DeleteNamespaceRequest>("ghost"))
            .status()}) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kNotFound);
    CHECK(status.message() == "namespace 'ghost' not found");
    CHECK(ReasonOf(status) == "RESOURCE_NOT_FOUND");
  }
}

TEST_CASE("UpdateNamespace with identical values reports changed=false and appends no event") {
  GatewayServer gw;
  const std::string& admin = gw.admin_secret();
  GOFER_REQUIRE_OK(gw.Call(admin, &NamespaceStub::CreateNamespace,
                           NewNamespace("team-a", "Team A", "Payments")));
  auto same = WithId<v1::UpdateNamespaceRequest>("team-a");
  same.set_name("Team A");
  same.set_description("Payments");
  for (const v1::UpdateNamespaceRequest& request :
       {same, WithId<v1::UpdateNamespaceRequest>("team-a")}) {
    auto updated = gw.Call(admin, &NamespaceStub::UpdateNamespace, request);
    GOFER_REQUIRE_OK(updated);
    CHECK_FALSE(updated->changed());
    CHECK(updated->namespace_().name() == "Team A");
    CHECK(updated->namespace_().description() == "Payments");
  }
  CHECK(gw.CountEvents("namespace.updated") == 0);
}

TEST_CASE("UpdateNamespace with a new name reports changed=true and appends an event") {
  GatewayServer gw;
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &NamespaceStub::CreateNamespace,
                           NewNamespace("team-a", "Team A", "Payments")));
  auto rename = WithId<v1::UpdateNamespaceRequest>("team-a");
  rename.set_name("Team Alpha");
  auto updated = gw.Call(gw.admin_secret(), &NamespaceStub::UpdateNamespace, rename);
  GOFER_REQUIRE_OK(updated);
  CHECK(updated->changed());
  CHECK(updated->namespace_().name() == "Team Alpha");
  CHECK(updated->namespace_().description() == "Payments");

  v1::EventFilter filter;
  filter.set_kind("namespace.updated");
  const std::vector<v1::Event> events = gw.ListedEvents(filter, 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].namespace_id() == "team-a");
  CHECK(events[0].actor() == "token:bootstrap");
}

TEST_CASE("Namespace requests report every invalid field at once") {
  GatewayServer gw;
  auto created = gw.Call(gw.admin_secret(), &NamespaceStub::CreateNamespace,
                         NewNamespace("X", std::string(129, 'n'), std::string(1025, 'd')));
  GOFER_REQUIRE_CODE(created, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(created.status()) == std::vector<std::string>{"id", "name", "description"});
  CHECK(ReasonOf(created.status()) == "INVALID_FIELD");

  auto update = WithId<v1::UpdateNamespaceRequest>("no");
  update.set_name("");
  auto updated = gw.Call(gw.admin_secret(), &NamespaceStub::UpdateNamespace, update);
  GOFER_REQUIRE_CODE(updated, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(updated.status()) == std::vector<std::string>{"id", "name"});
}

TEST_CASE("ListNamespaces pages through every namespace once, in id order") {
  GatewayServer gw;
  for (const char* id : {"ns-5", "ns-2", "ns-4", "ns-1", "ns-3"}) {
    gw.CreateNamespace(id);
  }
  std::vector<std::string> ids;
  v1::ListNamespacesRequest request;
  request.set_page_size(2);
  int pages = 0;
  do {
    auto page = gw.Call(gw.admin_secret(), &NamespaceStub::ListNamespaces, request);
    GOFER_REQUIRE_OK(page);
    REQUIRE(++pages <= 3);
    for (const v1::Namespace& ns : page->namespaces()) {
      ids.push_back(ns.id());
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  CHECK(ids == std::vector<std::string>{"default", "ns-1", "ns-2", "ns-3", "ns-4", "ns-5"});

  request.set_page_token("not-a-token");
  auto bad = gw.Call(gw.admin_secret(), &NamespaceStub::ListNamespaces, request);
  GOFER_REQUIRE_CODE(bad, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(bad.status()) == std::vector<std::string>{"page_token"});
}

TEST_CASE("Roles are created, read, listed and updated, with changed=false when nothing changes") {
  GatewayServer gw;
  const std::string& admin = gw.admin_secret();
  v1::CreateRoleRequest create;
  create.mutable_role()->set_id("deployer");
  create.mutable_role()->set_description("Deploys to prod");
  *create.mutable_role()->add_permissions() =
      Grant({"runs", "namespaces:prod-*"}, {v1::ACTION_READ, v1::ACTION_WRITE});
  auto created = gw.Call(admin, &RoleStub::CreateRole, create);
  GOFER_REQUIRE_OK(created);
  CHECK_FALSE(created->system_role());
  auto got = gw.Call(admin, &RoleStub::GetRole, WithId<v1::GetRoleRequest>("deployer"));
  GOFER_REQUIRE_OK(got);
  CHECK(got->SerializeAsString() == created->SerializeAsString());
  CHECK(got->permissions(0).SerializeAsString() ==
        create.role().permissions(0).SerializeAsString());
  GOFER_REQUIRE_CODE(gw.Call(admin, &RoleStub::CreateRole, create),
                     absl::StatusCode::kAlreadyExists);

  auto listed = gw.Call(admin, &RoleStub::ListRoles, v1::ListRolesRequest());
  GOFER_REQUIRE_OK(listed);
  std::vector<std::string> ids;
  for (const v1::Role& r : listed->roles()) {
    ids.push_back(r.id());
    CHECK(r.system_role() == (r.id() != "deployer"));
  }
  CHECK(ids == std::vector<std::string>{"admin", "deployer", "read-only", "user"});

  auto same = WithId<v1::UpdateRoleRequest>("deployer");
  same.set_description("Deploys to prod");
  same.set_update_permissions(true);
  *same.add_permissions() = create.role().permissions(0);
  auto unchanged = gw.Call(admin, &RoleStub::UpdateRole, same);
  GOFER_REQUIRE_OK(unchanged);
  CHECK_FALSE(unchanged->changed());
  CHECK(gw.CountEvents("role.updated") == 0);

  auto change = WithId<v1::UpdateRoleRequest>("deployer");
  change.set_update_permissions(true);
  *change.add_permissions() = Grant({"runs", "namespaces:*"}, {v1::ACTION_READ});
  auto changed = gw.Call(admin, &RoleStub::UpdateRole, change);
  GOFER_REQUIRE_OK(changed);
  CHECK(changed->changed());
  CHECK(changed->role().description() == "Deploys to prod");
  REQUIRE(changed->role().permissions_size() == 1);
  CHECK(changed->role().permissions(0).resources(1) == "namespaces:*");
  CHECK(gw.CountEvents("role.updated") == 1);
  GOFER_REQUIRE_CODE(gw.Call(admin, &RoleStub::GetRole, WithId<v1::GetRoleRequest>("ghost")),
                     absl::StatusCode::kNotFound);
}

TEST_CASE("A custom role's permissions decide what its tokens may do") {
  GatewayServer gw;
  gw.CreateNamespace("prod-eu");
  v1::CreateRoleRequest create;
  create.mutable_role()->set_id("prod-reader");
  *create.mutable_role()->add_permissions() = Grant({"namespaces:prod-*"}, {v1::ACTION_READ});
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RoleStub::CreateRole, create));
  const std::string secret = gw.CreateToken({"prod-reader"}).secret();
  GOFER_REQUIRE_OK(
      gw.Call(secret, &NamespaceStub::GetNamespace, WithId<v1::GetNamespaceRequest>("prod-eu")));
  GOFER_REQUIRE_CODE(
      gw.Call(secret, &NamespaceStub::GetNamespace, WithId<v1::GetNamespaceRequest>("default")),
      absl::StatusCode::kPermissionDenied);

  // A change of the role applies to the next call (the store's clock is frozen, so only the
  // invalidation of cached authentications can make it visible).
  auto narrow = WithId<v1::UpdateRoleRequest>("prod-reader");
  narrow.set_update_permissions(true);
  *narrow.add_permissions() = Grant({"namespaces:staging-*"}, {v1::ACTION_READ});
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RoleStub::UpdateRole, narrow));
  GOFER_REQUIRE_CODE(
      gw.Call(secret, &NamespaceStub::GetNamespace, WithId<v1::GetNamespaceRequest>("prod-eu")),
      absl::StatusCode::kPermissionDenied);
}

TEST_CASE("CreateRole with invalid fields reports each one") {
  GatewayServer gw;
  v1::CreateRoleRequest create;
  create.mutable_role()->set_id("X");
  *create.mutable_role()->add_permissions() =
      Grant({"runs:prod", "bogus", "namespaces:Prod"}, {v1::ACTION_UNSPECIFIED});
  *create.mutable_role()->add_permissions() = Grant({}, {});
  auto created = gw.Call(gw.admin_secret(), &RoleStub::CreateRole, create);
  GOFER_REQUIRE_CODE(created, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(created.status()) ==
        std::vector<std::string>{"role.id", "permissions[0].resources[0]",
                                 "permissions[0].resources[1]", "permissions[0].resources[2]",
                                 "permissions[0].actions", "permissions[1].resources",
                                 "permissions[1].actions"});
  CHECK(gw.QueryInt("SELECT count(*) FROM roles") == 3);
}

TEST_CASE("System roles cannot be updated or deleted") {
  GatewayServer gw;
  for (const char* id : {"admin", "user", "read-only"}) {
    INFO(id);
    auto update = WithId<v1::UpdateRoleRequest>(id);
    update.set_description("mine now");
    auto updated = gw.Call(gw.admin_secret(), &RoleStub::UpdateRole, update);
    GOFER_REQUIRE_CODE(updated, absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(std::string(updated.status().message()), Catch::Contains("system role"));
    auto deleted =
        gw.Call(gw.admin_secret(), &RoleStub::DeleteRole, WithId<v1::DeleteRoleRequest>(id));
    GOFER_REQUIRE_CODE(deleted, absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOf(deleted.status()) == "FAILED_PRECONDITION");
  }
  CHECK(gw.QueryInt("SELECT count(*) FROM roles WHERE system_role") == 3);
}

TEST_CASE("A role held by a token cannot be deleted until the token is gone") {
  GatewayServer gw;
  v1::CreateRoleRequest create;
  create.mutable_role()->set_id("ops");
  *create.mutable_role()->add_permissions() = Grant({"system"}, {v1::ACTION_READ});
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RoleStub::CreateRole, create));
  const v1::TokenWithSecret holder = gw.CreateToken({"ops"});

  const auto del = WithId<v1::DeleteRoleRequest>("ops");
  auto in_use = gw.Call(gw.admin_secret(), &RoleStub::DeleteRole, del);
  GOFER_REQUIRE_CODE(in_use, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(in_use.status().message()), Catch::Contains("held by 1 token"));

  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &TokenStub::DeleteToken,
                           WithId<v1::DeleteTokenRequest>(holder.token().id())));
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &RoleStub::DeleteRole, del));
  GOFER_REQUIRE_CODE(
      gw.Call(gw.admin_secret(), &RoleStub::GetRole, WithId<v1::GetRoleRequest>("ops")),
      absl::StatusCode::kNotFound);
  auto again = gw.Call(gw.admin_secret(), &RoleStub::DeleteRole, del);
  GOFER_REQUIRE_CODE(again, absl::StatusCode::kNotFound);
  CHECK(again.status().message() == "role 'ops' not found");
}

}  // namespace gofer::api_gateway
