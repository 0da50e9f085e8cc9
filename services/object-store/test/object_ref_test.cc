// ObjectRef rules: which fields each scope requires and forbids (every broken field named),
// the human descriptions used in messages, NOT_FOUND details and the SHA-256 format check.
#include "object_ref.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "gofer/common/errors.h"
#include "gofer/common/validation.h"

namespace gofer::object_store {
namespace {

ObjectRef PipelineRef() { return {Scope::kPipeline, "team-a", "build", 0, "", "dist/app.tar"}; }
ObjectRef RunRef(Scope scope = Scope::kRun) { return {scope, "team-a", "build", 7, "", "out.txt"}; }
ObjectRef ExtensionRef() { return {Scope::kExtension, "", "", 0, "ext-cron", "state.json"}; }

// The fields named by the violations of `ref` checked under `field`.
std::set<std::string> ViolatedFields(const ObjectRef& ref, const std::string& field = "ref",
                                     bool owner_only = false) {
  Violations v;
  CheckRef(ref, field, v, owner_only);
  std::set<std::string> fields;
  for (const FieldViolation& violation : v.list()) {
    fields.insert(violation.field);
  }
  return fields;
}

using Fields = std::set<std::string>;

}  // namespace

TEST_CASE("A well-formed ref of every scope passes the checks") {
  REQUIRE(ViolatedFields(PipelineRef()).empty());
  REQUIRE(ViolatedFields(RunRef()).empty());
  REQUIRE(ViolatedFields(RunRef(Scope::kTaskLog)).empty());
  REQUIRE(ViolatedFields(ExtensionRef()).empty());
}

TEST_CASE("An unknown scope is the only violation reported") {
  ObjectRef ref = PipelineRef();
  ref.scope = static_cast<Scope>(0);
  ref.key = "";
  REQUIRE(ViolatedFields(ref) == Fields{"ref.scope"});
  ref.scope = static_cast<Scope>(9);
  REQUIRE(ViolatedFields(ref) == Fields{"ref.scope"});
}

TEST_CASE("A pipeline ref needs namespace, pipeline and key and forbids run and extension") {
  REQUIRE(ViolatedFields({Scope::kPipeline, "", "", 0, "", ""}) ==
          Fields{"ref.namespace_id", "ref.pipeline_id", "ref.key"});
  REQUIRE(ViolatedFields({Scope::kPipeline, "team-a", "build", 3, "ext-x", "k"}) ==
          Fields{"ref.run_id", "ref.extension_id"});
  REQUIRE(ViolatedFields({Scope::kPipeline, "Team_A", "b", 0, "", "k"}) ==
          Fields{"ref.namespace_id", "ref.pipeline_id"});
}

TEST_CASE("Run and task-log refs need a run number and forbid an extension") {
  for (Scope scope : {Scope::kRun, Scope::kTaskLog}) {
    ObjectRef ref = RunRef(scope);
    ref.run_id = 0;
    REQUIRE(ViolatedFields(ref) == Fields{"ref.run_id"});
    ref.run_id = -4;
    ref.extension_id = "ext-x";
    REQUIRE(ViolatedFields(ref) == Fields{"ref.run_id", "ref.extension_id"});
    REQUIRE(ViolatedFields({scope, "", "", 1, "", "k"}) ==
            Fields{"ref.namespace_id", "ref.pipeline_id"});
  }
}

TEST_CASE("An extension ref needs its extension and forbids namespace, pipeline and run") {
  REQUIRE(ViolatedFields({Scope::kExtension, "", "", 0, "", "k"}) == Fields{"ref.extension_id"});
  REQUIRE(ViolatedFields({Scope::kExtension, "team-a", "", 0, "ext-cron", "k"}) ==
          Fields{"ref.namespace_id"});
  REQUIRE(ViolatedFields({Scope::kExtension, "", "build", 0, "ext-cron", "k"}) ==
          Fields{"ref.pipeline_id"});
  REQUIRE(ViolatedFields({Scope::kExtension, "team-a", "build", 2, "ext-cron", "k"}) ==
          Fields{"ref.namespace_id", "ref.pipeline_id", "ref.run_id"});
}

TEST_CASE("An object key follows the key rules") {
  for (const std::string key : {"", "/a", "a/", "a//b", "a/../b", "./a", "a b", "ä"}) {
    ObjectRef ref = PipelineRef();
    ref.key = key;
    INFO("key '" << key << "'");
    REQUIRE(ViolatedFields(ref) == Fields{"ref.key"});
  }
  ObjectRef ref = PipelineRef();
  ref.key = std::string(257, 'k');
  REQUIRE(ViolatedFields(ref) == Fields{"ref.key"});
  ref.key = "dir/sub.dir/file-1_2.TXT";
  REQUIRE(ViolatedFields(ref).empty());
}

TEST_CASE("An owner ref must have an empty key and names fields under its own path") {
  ObjectRef owner = RunRef();
  owner.key = "";
  REQUIRE(ViolatedFields(owner, "parent", /*owner_only=*/true).empty());
  owner.key = "out.txt";
  REQUIRE(ViolatedFields(owner, "parent", true) == Fields{"parent.key"});
  owner.run_id = 0;
  owner.key = "";
  REQUIRE(ViolatedFields(owner, "parent", true) == Fields{"parent.run_id"});
}

TEST_CASE("Describe names an object and its owner for every scope") {
  REQUIRE(Describe(PipelineRef()) ==
          "pipeline object 'dist/app.tar' of pipeline 'build' in namespace 'team-a'");
  REQUIRE(Describe(RunRef()) ==
          "run object 'out.txt' of run 7 of pipeline 'build' in namespace "
          "'team-a'");
  REQUIRE(Describe(RunRef(Scope::kTaskLog)) ==
          "task log object 'out.txt' of run 7 of pipeline 'build' in namespace 'team-a'");
  REQUIRE(Describe(ExtensionRef()) == "extension object 'state.json' of extension 'ext-cron'");
}

TEST_CASE("ObjectNotFound is NOT_FOUND naming the object, with its ErrorInfo") {
  const absl::Status status = ObjectNotFound(RunRef());
  REQUIRE(status.code() == absl::StatusCode::kNotFound);
  REQUIRE(std::string(status.message()) ==
          "run object 'out.txt' of run 7 of pipeline 'build' in namespace 'team-a' not found");
  const ErrorDetails details = GetErrorDetails(status);
  REQUIRE(details.reason == "RESOURCE_NOT_FOUND");
  REQUIRE(details.metadata.at("resource") == "object");
  REQUIRE(details.metadata.at("key") == "out.txt");
  REQUIRE(details.metadata.at("scope") == "run");
  REQUIRE(details.metadata.at("run_id") == "7");
}

TEST_CASE("IsSha256Hex accepts exactly 64 lowercase hex characters") {
  const std::string valid = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  REQUIRE(IsSha256Hex(valid));
  REQUIRE(IsSha256Hex(std::string(64, '0')));
  REQUIRE_FALSE(IsSha256Hex(""));
  REQUIRE_FALSE(IsSha256Hex(valid.substr(1)));
  REQUIRE_FALSE(IsSha256Hex(valid + "0"));
  std::string upper = valid;
  upper[0] = 'E';
  REQUIRE_FALSE(IsSha256Hex(upper));
  std::string non_hex = valid;
  non_hex[10] = 'g';
  REQUIRE_FALSE(IsSha256Hex(non_hex));
}

}  // namespace gofer::object_store
