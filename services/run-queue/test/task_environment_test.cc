// The environment of a task attempt (task_environment.h): order and precedence of variables,
// interpolations resolved through a fake Resolver, failures naming the variables, and redaction
// of secret values from log lines.
#include "task_environment.h"

#include <catch2/catch.hpp>

#include <map>

#include "gofer/testing/status.h"

namespace gofer::run_queue {
namespace {

using Catch::Matchers::Contains;
using Kind = pipeline::Interpolation::Kind;

// Secrets and objects from maps; records what it was asked for.
class FakeResolver final : public Resolver {
 public:
  std::map<std::string, std::string> secrets;  // "pipeline:k" / "global:k" → value
  std::map<std::string, std::string> objects;  // "pipeline:k" / "run:k" → content
  std::vector<std::vector<pipeline::Interpolation>> secret_calls;
  std::vector<pipeline::Interpolation> object_calls;

  absl::StatusOr<std::vector<std::string>> ResolveSecrets(
      const RunRecord& /*run*/, const std::vector<pipeline::Interpolation>& names) override {
    secret_calls.push_back(names);
    std::vector<std::string> values;
    for (const auto& name : names) {
      const std::string key =
          (name.kind == Kind::kGlobalSecret ? "global:" : "pipeline:") + name.key;
      auto it = secrets.find(key);
      if (it == secrets.end()) {
        return absl::NotFoundError("secret " + key + " not found");
      }
      values.push_back(it->second);
    }
    return values;
  }

  absl::StatusOr<std::string> ReadObject(const RunRecord& /*run*/,
                                         const pipeline::Interpolation& object,
                                         size_t max_bytes) override {
    object_calls.push_back(object);
    const std::string key = (object.kind == Kind::kRunObject ? "run:" : "pipeline:") + object.key;
    auto it = objects.find(key);
    if (it == objects.end()) {
      return absl::NotFoundError("object not found");
    }
    if (it->second.size() > max_bytes) {
      return absl::FailedPreconditionError("too big");
    }
    return it->second;
  }
};

RunRecord MakeRun(std::vector<std::pair<std::string, std::string>> variables = {}) {
  RunRecord run;
  run.key = {"ns", "pipe", 7};
  for (auto& [k, v] : variables) {
    gofer::v1::Variable var;
    var.set_key(k);
    var.set_value(v);
    run.variables.push_back(var);
  }
  return run;
}

gofer::v1::Task MakeTask(std::map<std::string, std::string> variables = {}) {
  gofer::v1::Task task;
  task.set_id("build");
  for (auto& [k, v] : variables) {
    (*task.mutable_variables())[k] = v;
  }
  return task;
}

std::vector<std::string> Keys(const TaskEnvironment& env) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : env.env) {
    keys.push_back(k);
  }
  return keys;
}

std::map<std::string, std::string> AsMap(const TaskEnvironment& env) {
  return {env.env.begin(), env.env.end()};
}

TEST_CASE("The environment lists the GOFER_ variables, then the task's, then the run's") {
  FakeResolver resolver;
  auto env = BuildTaskEnvironment(MakeRun({{"ZETA", "z"}, {"ALPHA", "from run"}}),
                                  MakeTask({{"MIDDLE", "m"}, {"ALPHA", "from task"}}), 3,
                                  "gateway:8080", resolver);
  GOFER_REQUIRE_OK(env);
  CHECK(Keys(*env) == std::vector<std::string>{"GOFER_NAMESPACE", "GOFER_PIPELINE", "GOFER_RUN",
                                               "GOFER_TASK", "GOFER_TASK_ATTEMPT", "GOFER_API_URL",
                                               "ALPHA", "MIDDLE", "ZETA"});
  auto vars = AsMap(*env);
  CHECK(vars["GOFER_NAMESPACE"] == "ns");
  CHECK(vars["GOFER_PIPELINE"] == "pipe");
  CHECK(vars["GOFER_RUN"] == "7");
  CHECK(vars["GOFER_TASK"] == "build");
  CHECK(vars["GOFER_TASK_ATTEMPT"] == "3");
  CHECK(vars["GOFER_API_URL"] == "gateway:8080");
  // The run's value wins, in the task variable's place.
  CHECK(vars["ALPHA"] == "from run");
  CHECK(vars["MIDDLE"] == "m");
  CHECK(env->secret_values.empty());
  CHECK(resolver.secret_calls.empty());
  CHECK(resolver.object_calls.empty());
}

TEST_CASE("Of a run variable given twice, the later value wins") {
  FakeResolver resolver;
  auto env =
      BuildTaskEnvironment(MakeRun({{"X", "first"}, {"X", "second"}}), MakeTask(), 1, "", resolver);
  GOFER_REQUIRE_OK(env);
  CHECK(AsMap(*env)["X"] == "second");
  CHECK(env->env.size() == 7);
}

TEST_CASE(
    "Secrets and objects are resolved into their variables and secret values are listed to "
    "redact") {
  FakeResolver resolver;
  resolver.secrets = {{"pipeline:db/password", "hunter2-password"}, {"global:token", "tok-123"}};
  resolver.objects = {{"pipeline:settings", "a=1\nb=2"}, {"run:version", "1.2.3"}};
  auto env = BuildTaskEnvironment(MakeRun({{"VERSION", "run_object{{version}}"}}),
                                  MakeTask({{"DB", "pipeline_secret{{ db/password }}"},
                                            {"TOKEN", "global_secret{{token}}"},
                                            {"SETTINGS", "pipeline_object{{settings}}"},
                                            {"TEMPLATE", "{{.ID}}"}}),
                                  1, "", resolver);
  GOFER_REQUIRE_OK(env);
  auto vars = AsMap(*env);
  CHECK(vars["DB"] == "hunter2-password");
  CHECK(vars["TOKEN"] == "tok-123");
  CHECK(vars["SETTINGS"] == "a=1\nb=2");
  CHECK(vars["VERSION"] == "1.2.3");
  // Not an interpolation: passed through.
  CHECK(vars["TEMPLATE"] == "{{.ID}}");
  // All secrets in one call; objects one by one.
  REQUIRE(resolver.secret_calls.size() == 1);
  CHECK(resolver.secret_calls[0].size() == 2);
  CHECK(resolver.object_calls.size() == 2);
  // Only secret values are redacted (objects are not secret), longest first.
  CHECK(env->secret_values == std::vector<std::string>{"hunter2-password", "tok-123"});
}

TEST_CASE("A run variable replaces a task variable's interpolation before it is resolved") {
  FakeResolver resolver;  // knows no secret: resolving one would fail
  auto env =
      BuildTaskEnvironment(MakeRun({{"DB", "literal"}}),
                           MakeTask({{"DB", "pipeline_secret{{missing}}"}}), 1, "", resolver);
  GOFER_REQUIRE_OK(env);
  CHECK(AsMap(*env)["DB"] == "literal");
  CHECK(resolver.secret_calls.empty());
}

TEST_CASE("Unresolvable interpolations fail with FAILED_PRECONDITION naming every variable") {
  FakeResolver resolver;
  auto env = BuildTaskEnvironment(MakeRun(),
                                  MakeTask({{"DB_PASSWORD", "pipeline_secret{{db}}"},
                                            {"CONFIG", "pipeline_object{{settings}}"}}),
                                  1, "", resolver);
  GOFER_REQUIRE_CODE(env, absl::StatusCode::kFailedPrecondition);
  const std::string message(env.status().message());
  CHECK_THAT(message, Contains("DB_PASSWORD"));
  CHECK_THAT(message, Contains("secret pipeline:db not found"));
  CHECK_THAT(message, Contains("CONFIG"));
  CHECK_THAT(message, Contains("pipeline_object 'settings'"));
}

TEST_CASE("A malformed interpolation fails the environment without resolving anything") {
  FakeResolver resolver;
  resolver.secrets = {{"pipeline:ok", "value"}};
  auto env = BuildTaskEnvironment(
      MakeRun(), MakeTask({{"BAD", "pipline_secret{{k}}"}, {"GOOD", "pipeline_secret{{ok}}"}}), 1,
      "", resolver);
  GOFER_REQUIRE_CODE(env, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(env.status().message()), Contains("variable BAD"));
  CHECK(resolver.secret_calls.empty());
}

TEST_CASE("An object too large for a variable fails the environment") {
  FakeResolver resolver;
  resolver.objects = {{"pipeline:big", std::string(kMaxObjectVariableBytes + 1, 'x')}};
  auto env = BuildTaskEnvironment(MakeRun(), MakeTask({{"BIG", "pipeline_object{{big}}"}}), 1, "",
                                  resolver);
  GOFER_REQUIRE_CODE(env, absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(env.status().message()), Contains("BIG"));
}

TEST_CASE("Redact replaces every occurrence of every secret, longest first") {
  CHECK(Redact("a hunter2 b hunter2", {"hunter2"}) == "a [redacted] b [redacted]");
  // A secret containing a shorter one is redacted whole.
  CHECK(Redact("key=abcdef", {"abcdef", "abc"}) == "key=[redacted]");
  CHECK(Redact("nothing here", {"secret"}) == "nothing here");
  // Empty secrets are ignored (they would match everywhere).
  CHECK(Redact("text", {""}) == "text");
  CHECK(Redact("text", {"", "ex"}) == "t[redacted]t");
  CHECK(Redact("", {"secret"}).empty());
}

TEST_CASE("The lines of a multi-line secret are redacted where they appear alone") {
  FakeResolver resolver;
  resolver.secrets = {
      {"pipeline:key", "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\nab\n-----END KEY-----"}};
  auto env = BuildTaskEnvironment(MakeRun(), MakeTask({{"KEY", "pipeline_secret{{key}}"}}), 1, "",
                                  resolver);
  GOFER_REQUIRE_OK(env);
  // Logs are redacted line by line: each line of the secret is a value to redact, except lines
  // too short to be told from ordinary text.
  const auto& values = env->secret_values;
  REQUIRE(values.size() == 4);
  CHECK(values[0] == "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\nab\n-----END KEY-----");
  for (size_t i = 1; i < values.size(); ++i) {
    CHECK(values[i - 1].size() >= values[i].size());
  }
  CHECK(Redact("-----BEGIN KEY-----", values) == "[redacted]");
  CHECK(Redact("line: MIIEvQIBADANBgkq", values) == "line: [redacted]");
  CHECK(Redact("-----END KEY-----", values) == "[redacted]");
  CHECK(Redact("ab", values) == "ab");
}

}  // namespace
}  // namespace gofer::run_queue
