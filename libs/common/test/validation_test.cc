#include "gofer/common/validation.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gofer/common/errors.h"

namespace {

struct Case {
  std::string name;
  std::string value;
};

}  // namespace

TEST_CASE("IdentifierViolation accepts 3 to 64 lowercase letters, digits and dashes") {
  const std::vector<Case> valid = {
      {"three letters", "abc"},
      {"letter, dash and digit", "a-1"},
      {"64 characters", "a" + std::string(63, 'z')},
      {"trailing dash", "abc-"},
      {"digits after the first letter", "b42"},
  };
  for (const Case& c : valid) {
    INFO(c.name << ": \"" << c.value << "\"");
    const auto why = gofer::IdentifierViolation(c.value);
    CHECK_FALSE(why.has_value());
  }
}

TEST_CASE("IdentifierViolation rejects identifiers that break the rule") {
  const std::vector<Case> invalid = {
      {"empty", ""},
      {"2 characters", "ab"},
      {"65 characters", "a" + std::string(64, 'z')},
      {"leading digit", "1abc"},
      {"leading dash", "-abc"},
      {"uppercase", "Abc"},
      {"uppercase inside", "aBc"},
      {"underscore", "a_bc"},
      {"unicode", "caf\xC3\xA9"},
      {"space", "ab c"},
      {"dot", "a.bc"},
  };
  for (const Case& c : invalid) {
    INFO(c.name << ": \"" << c.value << "\"");
    const auto why = gofer::IdentifierViolation(c.value);
    REQUIRE(why.has_value());
    CHECK_FALSE(why->empty());
  }
}

TEST_CASE("IdentifierViolation explains what is wrong") {
  CHECK(gofer::IdentifierViolation("") == "is required");
  CHECK(gofer::IdentifierViolation("ab") == "must be 3-64 characters long (got 2)");
  CHECK(gofer::IdentifierViolation("9ab") == "must start with a lowercase letter");
  CHECK(gofer::IdentifierViolation("ab_c") == "may contain only lowercase letters, digits and '-'");
}

TEST_CASE("KeyViolation accepts 1 to 256 path-like characters") {
  const std::vector<Case> valid = {
      {"one letter", "a"},
      {"path with extension", "dir/file.txt"},
      {"every punctuation allowed", "A_b-c.d"},
      {"256 characters", std::string(256, 'k')},
      {"hidden file", "dir/.env"},
      {"three dots is a name", "a/.../b"},
      {"deep path", "a/b/c/d"},
  };
  for (const Case& c : valid) {
    INFO(c.name << ": \"" << c.value << "\"");
    const auto why = gofer::KeyViolation(c.value);
    CHECK_FALSE(why.has_value());
  }
}

TEST_CASE("KeyViolation rejects keys that break the rule") {
  const std::vector<Case> invalid = {
      {"empty", ""},
      {"257 characters", std::string(257, 'k')},
      {"dot-dot alone", ".."},
      {"dot alone", "."},
      {"dot-dot segment", "a/../b"},
      {"dot segment", "./a"},
      {"trailing dot segment", "a/."},
      {"leading slash", "/a"},
      {"trailing slash", "a/"},
      {"empty segment", "a//b"},
      {"space", "a b"},
      {"star", "a*"},
      {"backslash", "a\\b"},
      {"unicode", "caf\xC3\xA9"},
  };
  for (const Case& c : invalid) {
    INFO(c.name << ": \"" << c.value << "\"");
    const auto why = gofer::KeyViolation(c.value);
    REQUIRE(why.has_value());
    CHECK_FALSE(why->empty());
  }
}

TEST_CASE("KeyViolation explains what is wrong") {
  CHECK(gofer::KeyViolation("") == "is required");
  CHECK(gofer::KeyViolation(std::string(257, 'k')) ==
        "must be at most 256 characters long (got 257)");
  CHECK(gofer::KeyViolation("/a") == "must not start or end with '/'");
  CHECK(gofer::KeyViolation("a//b") == "must not contain an empty segment ('//')");
  CHECK(gofer::KeyViolation("a/../b") == "must not contain '.' or '..' segments");
}

TEST_CASE("Violations with nothing recorded is empty and OK") {
  gofer::Violations v;
  v.CheckIdentifier("namespace_id", "prod");
  v.CheckKey("key", "dir/file.txt");
  CHECK(v.empty());
  CHECK(v.list().empty());
  CHECK(v.ToStatus().ok());
}

TEST_CASE("Violations reports every violation in order as one INVALID_ARGUMENT") {
  gofer::Violations v;
  v.CheckIdentifier("namespace_id", "Prod");
  v.CheckIdentifier("pipeline_id", "build");  // valid: not recorded
  v.CheckKey("key", "a/../b");
  v.Add("config.tasks[2].image", "is required");
  REQUIRE_FALSE(v.empty());

  const absl::Status s = v.ToStatus();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  const std::vector<gofer::FieldViolation> got = gofer::GetFieldViolations(s);
  REQUIRE(got.size() == 3);
  CHECK(got[0].field == "namespace_id");
  CHECK(got[0].description == "must start with a lowercase letter");
  CHECK(got[1].field == "key");
  CHECK(got[1].description == "must not contain '.' or '..' segments");
  CHECK(got[2].field == "config.tasks[2].image");
  CHECK(got[2].description == "is required");
  CHECK(got == v.list());
  CHECK(gofer::GetErrorDetails(s).reason == "INVALID_FIELD");
}
