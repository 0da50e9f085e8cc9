#include "task_environment.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "gofer/common/fmt_absl.h"

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace gofer::run_queue {
namespace {

// The GOFER_* variables come first in `ordered`.
constexpr size_t kSystemVariables = 6;

struct Pending {
  std::string variable;
  pipeline::Interpolation interpolation;
};

bool IsSecret(pipeline::Interpolation::Kind kind) {
  return kind == pipeline::Interpolation::Kind::kPipelineSecret ||
         kind == pipeline::Interpolation::Kind::kGlobalSecret;
}

}  // namespace

absl::StatusOr<TaskEnvironment> BuildTaskEnvironment(const RunRecord& run,
                                                     const gofer::v1::Task& task, int attempt,
                                                     const std::string& api_url,
                                                     Resolver& resolver) {
  // Later sources win: system, then the task's variables, then the run's.
  std::vector<std::pair<std::string, std::string>> ordered = {
      {"GOFER_NAMESPACE", run.key.namespace_id},       {"GOFER_PIPELINE", run.key.pipeline_id},
      {"GOFER_RUN", std::to_string(run.key.run_id)},   {"GOFER_TASK", task.id()},
      {"GOFER_TASK_ATTEMPT", std::to_string(attempt)}, {"GOFER_API_URL", api_url},
  };
  std::map<std::string, std::string> task_vars(task.variables().begin(), task.variables().end());
  for (const auto& [key, value] : task_vars) {
    ordered.emplace_back(key, value);
  }
  for (const auto& v : run.variables) {
    ordered.emplace_back(v.key(), v.value());
  }
  std::map<std::string, size_t> index;
  TaskEnvironment out;
  for (auto& [key, value] : ordered) {
    auto [it, inserted] = index.emplace(key, out.env.size());
    if (inserted) {
      out.env.emplace_back(key, value);
    } else {
      out.env[it->second].second = value;
    }
  }

  std::vector<std::string> problems;
  std::vector<Pending> secrets;
  std::vector<Pending> objects;
  for (size_t i = 0; i < out.env.size(); ++i) {
    const auto& [key, value] = out.env[i];
    if (i < kSystemVariables) {
      continue;  // system values are never interpolated
    }
    auto parsed = pipeline::ParseInterpolation(value);
    if (!parsed.ok()) {
      problems.push_back(fmt::format("variable {}: {}", key, parsed.status().message()));
      continue;
    }
    if (!parsed->has_value()) {
      continue;
    }
    (IsSecret((*parsed)->kind) ? secrets : objects).push_back({key, **parsed});
  }
  std::map<std::string, std::string> resolved;
  if (!secrets.empty() && problems.empty()) {
    std::vector<pipeline::Interpolation> names;
    for (const Pending& p : secrets) {
      names.push_back(p.interpolation);
    }
    auto values = resolver.ResolveSecrets(run, names);
    if (!values.ok()) {
      std::vector<std::string> vars;
      for (const Pending& p : secrets) {
        vars.push_back(p.variable);
      }
      problems.push_back(
          fmt::format("variables {}: {}", absl::StrJoin(vars, ", "), values.status().message()));
    } else {
      for (size_t i = 0; i < secrets.size() && i < values->size(); ++i) {
        const std::string& value = (*values)[i];
        resolved[secrets[i].variable] = value;
        out.secret_values.push_back(value);
        // Logs are redacted line by line: a multi-line secret is redacted by its lines too.
        if (value.find('\n') != std::string::npos) {
          for (absl::string_view line : absl::StrSplit(value, '\n')) {
            if (line.size() >= 4) {
              out.secret_values.emplace_back(line.data(), line.size());
            }
          }
        }
      }
    }
  }
  for (const Pending& p : objects) {
    auto content = resolver.ReadObject(run, p.interpolation, kMaxObjectVariableBytes);
    if (!content.ok()) {
      problems.push_back(fmt::format("variable {}: {} '{}': {}", p.variable,
                                     pipeline::InterpolationKindName(p.interpolation.kind),
                                     p.interpolation.key, content.status().message()));
      continue;
    }
    resolved[p.variable] = *std::move(content);
  }
  if (!problems.empty()) {
    return absl::FailedPreconditionError(absl::StrJoin(problems, "; "));
  }
  for (auto& [key, value] : out.env) {
    if (auto it = resolved.find(key); it != resolved.end()) {
      value = it->second;
    }
  }
  std::sort(out.secret_values.begin(), out.secret_values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty() || text.find(secret) == std::string::npos) {
      continue;
    }
    text = absl::StrReplaceAll(text, {{secret, "[redacted]"}});
  }
  return text;
}

}  // namespace gofer::run_queue
