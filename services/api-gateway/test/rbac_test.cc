// Role-based access control as pure logic: glob matching, resource strings, and how the grants
// of a token's roles combine into a decision for one call's Need (rbac.h).
#include "rbac.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "access_store_rows.h"
#include "system_roles.h"

namespace gofer::api_gateway {
namespace {

constexpr Action kRead = Action::kRead;
constexpr Action kWrite = Action::kWrite;
constexpr Action kDelete = Action::kDelete;
const std::vector<Action> kAllActions{kRead, kWrite, kDelete};

std::vector<Permission> Role(const char* json) {
  return access_rows::PermissionsFromJson(nlohmann::json::parse(json));
}

}  // namespace

TEST_CASE("GlobMatch matches * against any run and ? against one character") {
  struct Case {
    const char* pattern;
    const char* text;
    bool matches;
  };
  const std::vector<Case> cases{
      {"", "", true},
      {"", "a", false},
      {"*", "", true},
      {"*", "prod-eu", true},
      {"**", "x", true},
      {"default", "default", true},
      {"default", "defaul", false},
      {"default", "default2", false},
      {"prod-*", "prod-eu", true},
      {"prod-*", "prod-", true},
      {"prod-*", "prod", false},
      {"prod-*", "dev", false},
      {"prod-*", "xprod-eu", false},
      {"*-eu", "prod-eu", true},
      {"*-eu", "prod-us", false},
      {"?", "a", true},
      {"?", "", false},
      {"?", "ab", false},
      {"a?c", "abc", true},
      {"a?c", "ac", false},
      {"a*c", "ac", true},
      {"a*c", "abbbc", true},
      {"a*c", "abcd", false},
      {"a*b*c", "axxbyyc", true},
      {"a*b*c", "axxcyyb", false},
      {"*?", "", false},
      {"*?", "x", true},
      {"b*-?", "build-1", true},
      {"b*-?", "build-12", false},
  };
  for (const Case& c : cases) {
    INFO("pattern '" << c.pattern << "', text '" << c.text << "'");
    CHECK(GlobMatch(c.pattern, c.text) == c.matches);
  }
}

TEST_CASE("ResourceViolation accepts kinds and target globs and explains every broken rule") {
  for (const char* valid : {"all",
                            "namespaces",
                            "namespaces:prod-*",
                            "namespaces:default",
                            "pipelines:*",
                            "pipelines:build-?",
                            "configs",
                            "deployments",
                            "runs",
                            "tasks",
                            "objects",
                            "secrets",
                            "global_secrets",
                            "extensions",
                            "extensions:cron-*",
                            "subscriptions",
                            "tokens",
                            "roles",
                            "events",
                            "system"}) {
    INFO(valid);
    CHECK_FALSE(ResourceViolation(valid).has_value());
  }
  struct Case {
    std::string resource;
    std::string why;  // a part of the explanation
  };
  const std::vector<Case> invalid{
      {"", "unknown resource kind ''"},
      {"run", "unknown resource kind 'run'"},
      {"RUNS", "unknown resource kind 'RUNS'"},
      {"runs:prod", "'runs' takes no target"},
      {"all:prod", "'all' takes no target"},
      {"tokens:x", "'tokens' takes no target"},
      {"namespaces:", "1-64 characters"},
      {"namespaces:" + std::string(65, 'a'), "1-64 characters"},
      {"namespaces:Prod", "only [a-z0-9-]"},
      {"namespaces:a_b", "only [a-z0-9-]"},
      {"pipelines:a:b", "only [a-z0-9-]"},
      {"namespaces:prod eu", "only [a-z0-9-]"},
  };
  for (const Case& c : invalid) {
    INFO("resource '" << c.resource << "'");
    const auto why = ResourceViolation(c.resource);
    REQUIRE(why.has_value());
    CHECK_THAT(*why, Catch::Contains(c.why));
  }
  CHECK_FALSE(ResourceViolation("namespaces:" + std::string(64, 'a')).has_value());
}

TEST_CASE("One permission must grant the kind and the namespace together") {
  // A kind granted by one permission is not usable in a namespace granted only by another.
  const std::vector<Permission> split{{{"runs"}, {kWrite}}, {{"namespaces:prod-*"}, {kWrite}}};
  CHECK_FALSE(Allows(split, {.kind = "runs", .action = kWrite, .namespace_id = "prod-eu"}));
  const std::vector<Permission> joined{{{"runs", "namespaces:prod-*"}, {kWrite}}};
  CHECK(Allows(joined, {.kind = "runs", .action = kWrite, .namespace_id = "prod-eu"}));
  CHECK_FALSE(Allows(joined, {.kind = "runs", .action = kWrite, .namespace_id = "dev"}));
  CHECK_FALSE(Allows(joined, {.kind = "configs", .action = kWrite, .namespace_id = "prod-eu"}));
}

TEST_CASE("Two scoped roles never widen each other's scope") {
  // Team B may write runs, team C may write secrets: the token holding both must not write
  // secrets in team B (the escalation a union of resources would allow).
  std::vector<Permission> combined = Role(
      R"([{"resources": ["namespaces:team-b-*", "pipelines:*", "runs"], "actions": ["write"]}])");
  for (
      Permission& p : Role(
          R"([{"resources": ["namespaces:team-c", "pipelines:*", "secrets"], "actions": ["write"]}])")) {
    combined.push_back(std::move(p));
  }
  const auto need = [](const char* kind, const char* ns) {
    return Need{.kind = kind, .action = kWrite, .namespace_id = ns, .pipeline_id = "build"};
  };
  CHECK(Allows(combined, need("runs", "team-b-eu")));
  CHECK(Allows(combined, need("secrets", "team-c")));
  CHECK_FALSE(Allows(combined, need("secrets", "team-b-eu")));
  CHECK_FALSE(Allows(combined, need("runs", "team-c")));
}

TEST_CASE("A pipeline resource also needs a pipelines grant matching the pipeline") {
  const Need build{
      .kind = "runs", .action = kWrite, .namespace_id = "prod", .pipeline_id = "build"};
  std::vector<Permission> permissions{{{"runs", "namespaces:prod"}, {kWrite}}};
  CHECK_FALSE(Allows(permissions, build));
  permissions[0].resources.push_back("pipelines:b*");
  CHECK(Allows(permissions, build));
  Need deploy = build;
  deploy.pipeline_id = "deploy";
  CHECK_FALSE(Allows(permissions, deploy));
  // Without a pipeline the pipelines grant is not consulted.
  CHECK(Allows({{{"runs", "namespaces:prod"}, {kWrite}}},
               {.kind = "runs", .action = kWrite, .namespace_id = "prod"}));
}

TEST_CASE("The action must be granted on the kind, the namespace and the pipeline alike") {
  // read and write on runs in every namespace, but write only where another grant gives it:
  // writing runs is allowed only by a grant holding write on both.
  const std::vector<Permission> permissions{
      {{"runs", "namespaces:*"}, {kRead}}, {{"runs"}, {kWrite}}, {{"namespaces:*"}, {kWrite}}};
  CHECK(Allows(permissions, {.kind = "runs", .action = kRead, .namespace_id = "prod"}));
  CHECK_FALSE(Allows(permissions, {.kind = "runs", .action = kWrite, .namespace_id = "prod"}));
  CHECK_FALSE(Allows(permissions, {.kind = "runs", .action = kDelete, .namespace_id = "prod"}));
  // read on everything does not grant write or delete.
  const std::vector<Permission> reader{{{"all"}, {kRead}}};
  CHECK(Allows(reader,
               {.kind = "configs", .action = kRead, .namespace_id = "x", .pipeline_id = "y"}));
  CHECK_FALSE(Allows(reader, {.kind = "configs", .action = kWrite, .namespace_id = "x"}));
  CHECK_FALSE(Allows(reader, {.kind = "tokens", .action = kDelete, .admin_only = true}));
}

TEST_CASE("A grant of all allows every need, including admin-only ones") {
  const std::vector<Permission> admin{{{"all"}, kAllActions}};
  for (Action action : kAllActions) {
    CHECK(
        Allows(admin, {.kind = "runs", .action = action, .namespace_id = "a", .pipeline_id = "b"}));
    CHECK(Allows(admin, {.kind = "extensions", .action = action, .target = "cron"}));
    CHECK(Allows(admin, {.kind = "tokens", .action = action, .admin_only = true}));
    CHECK(Allows(admin, {.kind = "events", .action = action, .namespace_id = "*"}));
  }
}

TEST_CASE("Admin-only needs require a grant of all, not of their kind") {
  const std::vector<Permission> almost{
      {{"tokens", "roles", "namespaces:*", "system"}, kAllActions}};
  CHECK_FALSE(Allows(almost, {.kind = "tokens", .action = kWrite, .admin_only = true}));
  CHECK_FALSE(Allows(almost, {.kind = "namespaces", .action = kDelete, .admin_only = true}));
  CHECK(Allows(almost, {.kind = "system", .action = kRead}));
  CHECK(Allows({{{"all"}, {kWrite}}}, {.kind = "tokens", .action = kWrite, .admin_only = true}));
  CHECK_FALSE(
      Allows({{{"all"}, {kRead}}}, {.kind = "tokens", .action = kWrite, .admin_only = true}));
}

TEST_CASE("Extension grants match the extension's id against their target glob") {
  const std::vector<Permission> cron{{{"extensions:cron-*"}, {kRead}}};
  CHECK(Allows(cron, {.kind = "extensions", .target = "cron-daily"}));
  CHECK_FALSE(Allows(cron, {.kind = "extensions", .target = "webhook"}));
  CHECK_FALSE(Allows(cron, {.kind = "extensions", .action = kWrite, .target = "cron-daily"}));
  // A need without a target (listing) is allowed by any grant on the kind.
  CHECK(Allows(cron, {.kind = "extensions"}));
  // A grant without a target covers every extension.
  CHECK(Allows({{{"extensions"}, {kRead}}}, {.kind = "extensions", .target = "webhook"}));
}

TEST_CASE("No permissions allow nothing") {
  CHECK_FALSE(Allows({}, {.kind = "system"}));
  CHECK_FALSE(Allows({{{"runs"}, {}}}, {.kind = "runs"}));
  CHECK_FALSE(Allows({{{}, kAllActions}}, {.kind = "runs"}));
}

TEST_CASE("A need on every namespace is allowed only by a grant matching every namespace") {
  // EventService asks for namespace "*" when a list or watch is not filtered by namespace.
  const Need every{.kind = "events", .namespace_id = "*"};
  CHECK(Allows({{{"events", "namespaces:*"}, {kRead}}}, every));
  CHECK(Allows({{{"events", "namespaces"}, {kRead}}}, every));
  CHECK_FALSE(Allows({{{"events", "namespaces:default"}, {kRead}}}, every));
  CHECK_FALSE(Allows({{{"events", "namespaces:prod-*"}, {kRead}}}, every));
  // "?" matches the one-character text "*", but no namespace id has one character: a grant
  // on no real namespace must not open the events of all of them.
  CHECK_FALSE(Allows({{{"events", "namespaces:?"}, {kRead}}}, every));
}

TEST_CASE("The system roles decide representative needs as documented") {
  const std::vector<Permission> admin = Role(testing::kAdminPermissions);
  const std::vector<Permission> user = Role(testing::kUserPermissions);
  const std::vector<Permission> read_only = Role(testing::kReadOnlyPermissions);
  struct Case {
    Need need;
    bool admin, user, read_only;
  };
  const std::vector<Case> cases{
      {{.kind = "runs", .action = kWrite, .namespace_id = "default", .pipeline_id = "build"},
       true,
       true,
       false},
      {{.kind = "runs", .namespace_id = "default", .pipeline_id = "build"}, true, true, true},
      {{.kind = "runs", .action = kWrite, .namespace_id = "other", .pipeline_id = "build"},
       true,
       false,
       false},
      {{.kind = "runs", .namespace_id = "other", .pipeline_id = "build"}, true, false, true},
      {{.kind = "configs", .action = kDelete, .namespace_id = "default", .pipeline_id = "b"},
       true,
       true,
       false},
      {{.kind = "deployments", .action = kWrite, .namespace_id = "default", .pipeline_id = "b"},
       true,
       true,
       false},
      {{.kind = "tasks", .namespace_id = "default", .pipeline_id = "b"}, true, true, true},
      {{.kind = "objects", .action = kWrite, .namespace_id = "default"}, true, true, false},
      {{.kind = "secrets", .namespace_id = "default"}, true, true, true},
      {{.kind = "secrets", .action = kWrite, .namespace_id = "other"}, true, false, false},
      {{.kind = "global_secrets"}, true, false, false},
      {{.kind = "subscriptions", .action = kWrite, .namespace_id = "default"}, true, true, false},
      {{.kind = "namespaces", .namespace_id = "default"}, true, true, true},
      {{.kind = "namespaces", .namespace_id = "other"}, true, false, true},
      {{.kind = "namespaces", .action = kWrite, .admin_only = true}, true, false, false},
      {{.kind = "events", .namespace_id = "default"}, true, true, true},
      {{.kind = "events", .namespace_id = "other"}, true, false, true},
      {{.kind = "events", .namespace_id = "*"}, true, false, true},
      {{.kind = "extensions", .target = "cron"}, true, true, true},
      {{.kind = "extensions", .action = kWrite, .target = "cron"}, true, false, false},
      {{.kind = "system"}, true, true, true},
      {{.kind = "system", .action = kWrite, .admin_only = true}, true, false, false},
      {{.kind = "tokens", .admin_only = true}, true, false, false},
      {{.kind = "tokens", .action = kWrite, .admin_only = true}, true, false, false},
      {{.kind = "roles", .action = kDelete, .admin_only = true}, true, false, false},
  };
  for (const Case& c : cases) {
    INFO("need: " << DescribeNeed(c.need));
    CHECK(Allows(admin, c.need) == c.admin);
    CHECK(Allows(user, c.need) == c.user);
    CHECK(Allows(read_only, c.need) == c.read_only);
  }
}

TEST_CASE("DescribeNeed names the action, kind, target, namespace and pipeline") {
  CHECK(DescribeNeed(
            {.kind = "runs", .action = kWrite, .namespace_id = "prod", .pipeline_id = "build"}) ==
        "write on runs in namespace 'prod', pipeline 'build'");
  CHECK(DescribeNeed({.kind = "extensions", .target = "cron"}) == "read on extensions 'cron'");
  CHECK(DescribeNeed({.kind = "tokens", .action = kDelete, .admin_only = true}) ==
        "delete on tokens (admin only)");
}

TEST_CASE("Action names parse back to their actions") {
  for (Action action : kAllActions) {
    CHECK(ParseAction(ActionName(action)) == action);
  }
  CHECK_FALSE(ParseAction("admin").has_value());
  CHECK_FALSE(ParseAction("").has_value());
}

}  // namespace gofer::api_gateway
