#include "secret_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_join.h"
#include "gofer/common/errors.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"

namespace gofer::secret_store {
namespace {

// Names shown in errors are capped so a huge request cannot make a huge message.
constexpr size_t kMaxNamesInMessage = 20;

// Records every violation of `ref` under `prefix` ("ref.").
void CheckRef(Violations& v, std::string_view prefix, const SecretRef& ref) {
  const std::string p(prefix);
  switch (ref.scope) {
    case SecretScope::kPipeline:
      v.CheckIdentifier(p + "namespace_id", ref.namespace_id);
      v.CheckIdentifier(p + "pipeline_id", ref.pipeline_id);
      break;
    case SecretScope::kGlobal:
      if (!ref.namespace_id.empty()) {
        v.Add(p + "namespace_id", "must be empty for a global secret");
      }
      if (!ref.pipeline_id.empty()) {
        v.Add(p + "pipeline_id", "must be empty for a global secret");
      }
      break;
    case SecretScope::kUnspecified:
      v.Add(p + "scope", "must be PIPELINE or GLOBAL");
      break;
  }
  v.CheckKey(p + "key", ref.key);
}

absl::Status ValidateRef(const SecretRef& ref) {
  Violations v;
  CheckRef(v, "ref.", ref);
  return v.ToStatus();
}

void CheckPatterns(Violations& v, const PutSecretRequest& request, int max_patterns) {
  const auto& patterns = request.namespace_patterns;
  if (request.ref.scope == SecretScope::kPipeline && !patterns.empty()) {
    v.Add("namespace_patterns", "only global secrets have namespace patterns");
    return;
  }
  if (request.ref.scope != SecretScope::kGlobal) {
    return;
  }
  if (patterns.empty()) {
    v.Add("namespace_patterns",
          "a global secret needs at least one pattern (\"*\" allows every namespace)");
  } else if (static_cast<int>(patterns.size()) > max_patterns) {
    v.Add("namespace_patterns",
          fmt::format("must have at most {} patterns (got {})", max_patterns, patterns.size()));
  }
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (auto why = NamespacePatternViolation(patterns[i])) {
      v.Add(fmt::format("namespace_patterns[{}]", i), *std::move(why));
    }
  }
}

// "<scope>:<key>", the form of keys in Resolve's ErrorInfo metadata.
std::string Label(const SecretName& name) {
  return fmt::format("{}:{}", ScopeName(name.scope), name.key);
}

// "pipeline secret 'a', global secret 'b'" (at most kMaxNamesInMessage, then "and N more").
std::string Describe(const std::vector<SecretName>& names) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < names.size() && i < kMaxNamesInMessage; ++i) {
    parts.push_back(fmt::format("{} secret '{}'", ScopeName(names[i].scope), names[i].key));
  }
  std::string out = absl::StrJoin(parts, ", ");
  if (names.size() > kMaxNamesInMessage) {
    out += fmt::format(" and {} more", names.size() - kMaxNamesInMessage);
  }
  return out;
}

std::string Labels(const std::vector<SecretName>& names) {
  std::vector<std::string> labels;
  for (const SecretName& name : names) {
    labels.push_back(Label(name));
  }
  return absl::StrJoin(labels, ",");
}

// Adds `name` unless it is already listed (a request may name a secret twice).
void AddOnce(std::vector<SecretName>& names, const SecretName& name) {
  auto same = [&](const SecretName& n) { return n.scope == name.scope && n.key == name.key; };
  if (std::none_of(names.begin(), names.end(), same)) {
    names.push_back(name);
  }
}

absl::Status ResolveError(const ResolveSecretsRequest& request,
                          const std::vector<SecretName>& denied,
                          const std::vector<SecretName>& missing) {
  if (!denied.empty()) {
    std::string message =
        fmt::format("namespace '{}' may not use {}", request.namespace_id, Describe(denied));
    std::map<std::string, std::string> metadata{{"keys", Labels(denied)}};
    if (!missing.empty()) {
      message += fmt::format("; not found either: {}", Describe(missing));
      metadata["missing_keys"] = Labels(missing);
    }
    return WithErrorInfo(absl::PermissionDeniedError(message), ErrorReason::kPermissionDenied,
                         std::move(metadata));
  }
  return WithErrorInfo(absl::NotFoundError(fmt::format(
                           "secrets not found for pipeline '{}' in namespace '{}': {}",
                           request.pipeline_id, request.namespace_id, Describe(missing))),
                       ErrorReason::kResourceNotFound,
                       {{"resource", "secret"},
                        {"keys", Labels(missing)},
                        {"namespace_id", request.namespace_id},
                        {"pipeline_id", request.pipeline_id}});
}

SecretRef RefOf(const ResolveSecretsRequest& request, const SecretName& name) {
  return name.scope == SecretScope::kGlobal
             ? GlobalRef(name.key)
             : PipelineRef(request.namespace_id, request.pipeline_id, name.key);
}

absl::Status ValidateResolve(const ResolveSecretsRequest& request, int max_secrets) {
  Violations v;
  v.CheckIdentifier("namespace_id", request.namespace_id);
  v.CheckIdentifier("pipeline_id", request.pipeline_id);
  if (static_cast<int>(request.secrets.size()) > max_secrets) {
    v.Add("secrets", fmt::format("must name at most {} secrets (got {})", max_secrets,
                                 request.secrets.size()));
  }
  for (size_t i = 0; i < request.secrets.size(); ++i) {
    const SecretName& name = request.secrets[i];
    if (name.scope == SecretScope::kUnspecified) {
      v.Add(fmt::format("secrets[{}].scope", i), "must be PIPELINE or GLOBAL");
    }
    v.CheckKey(fmt::format("secrets[{}].key", i), name.key);
  }
  return v.ToStatus();
}

}  // namespace

SecretManager::SecretManager(SecretStorage& storage, const Keyring& keyring, const Clock& clock,
                             SecretManagerOptions options)
    : storage_(storage), keyring_(keyring), clock_(clock), options_(std::move(options)) {}

absl::StatusOr<PutSecretResult> SecretManager::Put(const PutSecretRequest& request,
                                                   std::string_view actor) {
  Violations v;
  CheckRef(v, "ref.", request.ref);
  if (request.value.empty()) {
    v.Add("value", "must not be empty");
  } else if (static_cast<int64_t>(request.value.size()) > options_.max_value_bytes) {
    v.Add("value", fmt::format("must be at most {} bytes (got {})", options_.max_value_bytes,
                               request.value.size()));
  }
  CheckPatterns(v, request, options_.max_namespace_patterns);
  GOFER_RETURN_IF_ERROR(v.ToStatus());

  GOFER_ASSIGN_OR_RETURN(Envelope envelope,
                         keyring_.Seal(request.value, CanonicalName(request.ref)));
  const absl::Time now = clock_.Now();
  const SecretRecord record{request.ref, request.namespace_patterns, std::move(envelope), now, now};
  GOFER_ASSIGN_OR_RETURN(PutOutcome outcome, storage_.Put(record, request.force, actor));
  return PutSecretResult{MetadataOf(outcome.record), outcome.created};
}

absl::StatusOr<GetSecretResult> SecretManager::Get(const SecretRef& ref, bool include_value) {
  GOFER_RETURN_IF_ERROR(ValidateRef(ref));
  GOFER_ASSIGN_OR_RETURN(SecretRecord record, storage_.Get(ref));
  GetSecretResult result{MetadataOf(record), std::nullopt};
  if (include_value) {
    GOFER_ASSIGN_OR_RETURN(result.value, keyring_.Open(record.envelope, CanonicalName(ref)));
  }
  return result;
}

absl::StatusOr<ListSecretsResult> SecretManager::List(const ListSecretsRequest& request) {
  Violations v;
  // The owner is validated like a ref whose key is a placeholder.
  CheckRef(v, "", {request.scope, request.namespace_id, request.pipeline_id, "placeholder"});
  const std::string fingerprint =
      fmt::format("{}/{}/{}", ScopeName(request.scope), request.namespace_id, request.pipeline_id);
  auto page =
      ParsePageRequest(request.page_size, request.page_token, fingerprint, options_.page_limits);
  for (const FieldViolation& violation : GetFieldViolations(page.status())) {
    v.Add(violation.field, violation.description);
  }
  GOFER_RETURN_IF_ERROR(v.ToStatus());
  GOFER_RETURN_IF_ERROR(page.status());

  GOFER_ASSIGN_OR_RETURN(std::vector<SecretRecord> records,
                         storage_.List(request.scope, request.namespace_id, request.pipeline_id,
                                       page->after, page->limit + 1));
  ListSecretsResult result;
  if (static_cast<int>(records.size()) > page->limit) {
    records.resize(page->limit);
    result.next_page_token = MakePageToken(records.back().ref.key, fingerprint);
  }
  for (const SecretRecord& record : records) {
    result.secrets.push_back(MetadataOf(record));
  }
  return result;
}

absl::Status SecretManager::Delete(const SecretRef& ref, std::string_view actor) {
  GOFER_RETURN_IF_ERROR(ValidateRef(ref));
  return storage_.Delete(ref, actor);
}

absl::StatusOr<std::vector<ResolvedSecret>> SecretManager::Resolve(
    const ResolveSecretsRequest& request) {
  GOFER_RETURN_IF_ERROR(ValidateResolve(request, options_.max_resolve_secrets));
  std::vector<SecretRef> refs;
  for (const SecretName& name : request.secrets) {
    refs.push_back(RefOf(request, name));
  }
  GOFER_ASSIGN_OR_RETURN(auto records, storage_.GetMany(refs));
  std::vector<SecretName> denied, missing;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!records[i].has_value()) {
      AddOnce(missing, request.secrets[i]);
    } else if (records[i]->ref.scope == SecretScope::kGlobal &&
               !NamespaceAllowed(records[i]->namespace_patterns, request.namespace_id)) {
      AddOnce(denied, request.secrets[i]);
    }
  }
  if (!denied.empty() || !missing.empty()) {
    return ResolveError(request, denied, missing);
  }
  std::vector<ResolvedSecret> resolved;
  for (size_t i = 0; i < records.size(); ++i) {
    GOFER_ASSIGN_OR_RETURN(std::string value,
                           keyring_.Open(records[i]->envelope, CanonicalName(refs[i])));
    resolved.push_back({request.secrets[i].scope, request.secrets[i].key, std::move(value)});
  }
  return resolved;
}

absl::StatusOr<int64_t> SecretManager::RewrapBatch(const std::vector<SecretRecord>& batch,
                                                   std::vector<std::string>* unknown_key_ids,
                                                   std::vector<std::string>* corrupt) {
  std::vector<RewrapUpdate> updates;
  for (const SecretRecord& record : batch) {
    absl::StatusOr<Envelope> rewrapped =
        keyring_.Rewrap(record.envelope, CanonicalName(record.ref));
    if (absl::IsFailedPrecondition(rewrapped.status())) {
      unknown_key_ids->push_back(record.envelope.key_id);
      continue;
    }
    if (absl::IsDataLoss(rewrapped.status())) {
      corrupt->push_back(CanonicalName(record.ref));
      continue;
    }
    GOFER_RETURN_IF_ERROR(rewrapped.status());
    updates.push_back({record.ref, record.envelope.wrapped_key, record.envelope.key_id,
                       std::move(rewrapped->wrapped_key), rewrapped->key_id});
  }
  if (updates.empty()) {
    return 0;
  }
  return storage_.Rewrap(updates);
}

absl::StatusOr<RotationResult> SecretManager::RotateMasterKey() {
  RotationResult result{0, keyring_.primary_key_id()};
  std::vector<std::string> unknown_key_ids, corrupt;
  std::optional<SecretRef> after;
  while (true) {
    GOFER_ASSIGN_OR_RETURN(
        std::vector<SecretRecord> batch,
        storage_.ListNotWrappedBy(result.primary_key_id, after, options_.rotation_batch_size));
    if (batch.empty()) {
      break;
    }
    GOFER_ASSIGN_OR_RETURN(int64_t rewrapped, RewrapBatch(batch, &unknown_key_ids, &corrupt));
    result.rewrapped += rewrapped;
    after = batch.back().ref;
  }
  if (!unknown_key_ids.empty()) {
    const std::set<std::string> ids(unknown_key_ids.begin(), unknown_key_ids.end());
    const std::string joined = absl::StrJoin(ids, ",");
    return WithErrorInfo(
        absl::FailedPreconditionError(fmt::format(
            "re-wrapped {} secrets, but {} are wrapped under master keys this replica lacks "
            "({}); add those keys' files to encryption.previous_master_key_files and call "
            "RotateMasterKey again",
            result.rewrapped, unknown_key_ids.size(), joined)),
        ErrorReason::kFailedPrecondition, {{"key_ids", joined}});
  }
  if (!corrupt.empty()) {
    corrupt.resize(std::min(corrupt.size(), kMaxNamesInMessage));
    return WithErrorInfo(
        absl::DataLossError(fmt::format(
            "re-wrapped {} secrets; these failed authentication and were left as they are: {}",
            result.rewrapped, absl::StrJoin(corrupt, ", "))),
        ErrorReason::kInternalError);
  }
  return result;
}

}  // namespace gofer::secret_store
