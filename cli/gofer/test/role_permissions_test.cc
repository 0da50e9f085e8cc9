// The command-line spelling of role permissions: what parses, what is refused and why, and that
// printing gives back what was parsed.
#include "role_permissions.h"

#include <catch2/catch.hpp>

#include <string>

namespace gofer::cli {
namespace {

// The message of the failure of parsing `text` (REQUIREs that it fails).
std::string Refusal(const std::string& text) {
  auto parsed = ParsePermission(text);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST_CASE("Resources come before the last colon and actions after it") {
  auto parsed = ParsePermission("runs,objects,namespaces:prod-*:read,write");
  REQUIRE(parsed.ok());
  CHECK(std::vector<std::string>(parsed->resources().begin(), parsed->resources().end()) ==
        std::vector<std::string>{"runs", "objects", "namespaces:prod-*"});
  REQUIRE(parsed->actions_size() == 2);
  CHECK(parsed->actions(0) == gofer::v1::ACTION_READ);
  CHECK(parsed->actions(1) == gofer::v1::ACTION_WRITE);
}

TEST_CASE("Spaces around items are ignored and a repeated action counts once") {
  auto parsed = ParsePermission("all : delete, delete");
  REQUIRE(parsed.ok());
  CHECK(parsed->resources(0) == "all");
  CHECK(parsed->actions_size() == 1);
  CHECK(parsed->actions(0) == gofer::v1::ACTION_DELETE);
}

TEST_CASE("A permission prints back in the syntax it was parsed from") {
  const std::string text = "pipelines:api-?,namespaces,secrets:read,write,delete";
  auto parsed = ParsePermission(text);
  REQUIRE(parsed.ok());
  CHECK(FormatPermission(*parsed) == text);
}

TEST_CASE("A permission without actions is refused with the syntax") {
  const std::string why = Refusal("runs");
  CHECK(why.find("no actions") != std::string::npos);
  CHECK(why.find("RESOURCE[,RESOURCE...]:ACTION[,ACTION...]") != std::string::npos);
}

TEST_CASE("Unknown resources and actions are refused naming them") {
  CHECK(Refusal("runz:read").find("unknown resource 'runz'") != std::string::npos);
  CHECK(Refusal("runs:execute").find("unknown action 'execute'") != std::string::npos);
  // A forgotten action list reads the target as an action.
  CHECK(Refusal("namespaces:prod").find("unknown action 'prod'") != std::string::npos);
  CHECK(Refusal("runs,:read").find("an empty resource") != std::string::npos);
  CHECK(Refusal("runs:").find("an empty action") != std::string::npos);
}

TEST_CASE("Only namespaces, pipelines and extensions take a target, a glob of a-z 0-9 - * ?") {
  CHECK(Refusal("runs:x:read").find("'runs' takes no target") != std::string::npos);
  CHECK(Refusal("namespaces:Prod:read").find("may contain only") != std::string::npos);
  CHECK(Refusal("pipelines::read").find("1-64 characters") != std::string::npos);
  CHECK(ParsePermission("extensions:cron,pipelines:*:read").ok());
}

}  // namespace
}  // namespace gofer::cli
