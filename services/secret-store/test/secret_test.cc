// Secret names, namespace patterns and the errors every storage returns.
#include "secret.h"

#include <catch2/catch.hpp>

#include "gofer/common/errors.h"

namespace gofer::secret_store {

TEST_CASE("A secret's canonical name spells out its scope and owners") {
  CHECK(CanonicalName(PipelineRef("prod", "build", "db/password")) ==
        "pipeline/prod/build/db/password");
  CHECK(CanonicalName(GlobalRef("deploy.token")) == "global/deploy.token");
}

TEST_CASE("Namespace patterns match with '*' as any run of characters and '?' as one") {
  struct Case {
    std::string pattern, namespace_id;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"*", "anything", true},
      {"prod", "prod", true},
      {"prod", "prod-eu", false},
      {"prod-*", "prod-eu", true},
      {"prod-*", "prod-", true},
      {"prod-*", "prod", false},
      {"*-eu", "prod-eu", true},
      {"*-eu", "prod-us", false},
      {"team-?", "team-a", true},
      {"team-?", "team-ab", false},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"???", "abc", true},
      {"???", "ab", false},
  };
  for (const Case& c : cases) {
    INFO(c.pattern << " vs " << c.namespace_id);
    CHECK(MatchesNamespacePattern(c.pattern, c.namespace_id) == c.matches);
  }
  CHECK(NamespaceAllowed({"dev", "prod-*"}, "prod-eu"));
  CHECK_FALSE(NamespaceAllowed({"dev", "prod-*"}, "staging"));
  CHECK_FALSE(NamespaceAllowed({}, "prod"));
}

TEST_CASE("A namespace pattern is 1 to 64 of [a-z0-9-*?]") {
  CHECK_FALSE(NamespacePatternViolation("*").has_value());
  CHECK_FALSE(NamespacePatternViolation("prod-?"
                                        "?-*")
                  .has_value());
  CHECK(NamespacePatternViolation("").has_value());
  CHECK(NamespacePatternViolation(std::string(65, 'a')).has_value());
  CHECK(NamespacePatternViolation("Prod").has_value());
  CHECK(NamespacePatternViolation("prod.*").has_value());
  CHECK(NamespacePatternViolation("[a-z]").has_value());
}

TEST_CASE("Not-found and already-exists errors name the secret and its owners") {
  const absl::Status missing = SecretNotFoundError(PipelineRef("prod", "build", "db"));
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  CHECK(missing.message() ==
        "pipeline secret 'db' not found in namespace 'prod', pipeline 'build'");
  CHECK(GetErrorDetails(missing).reason == "RESOURCE_NOT_FOUND");
  CHECK(SecretNotFoundError(GlobalRef("tok")).message() == "global secret 'tok' not found");

  const absl::Status exists = SecretExistsError(PipelineRef("prod", "build", "db"));
  CHECK(exists.code() == absl::StatusCode::kAlreadyExists);
  CHECK(exists.message() ==
        "pipeline secret 'db' in namespace 'prod', pipeline 'build' already exists (set force to "
        "replace it)");
  const ErrorDetails details = GetErrorDetails(exists);
  CHECK(details.reason == "RESOURCE_EXISTS");
  CHECK(details.metadata.at("namespace_id") == "prod");
  CHECK(details.metadata.at("pipeline_id") == "build");
  CHECK(details.metadata.at("id") == "db");
}

}  // namespace gofer::secret_store
