#include "in_memory_secret_storage.h"

namespace gofer::secret_store {
namespace {

// The record as List and ListNotWrappedBy return it: no ciphertext (and, for List, no wrapped
// key), as the Postgres storage does not read them.
SecretRecord WithoutCiphertext(SecretRecord record, bool keep_wrapped_key) {
  record.envelope.ciphertext.clear();
  if (!keep_wrapped_key) {
    record.envelope.wrapped_key.clear();
  }
  return record;
}

}  // namespace

absl::StatusOr<PutOutcome> InMemorySecretStorage::Put(const SecretRecord& record, bool force,
                                                      std::string_view actor) {
  absl::MutexLock lock(&mu_);
  PutOutcome outcome{record, true};
  if (auto it = records_.find(record.ref); it != records_.end()) {
    if (!force) {
      return SecretExistsError(record.ref);
    }
    outcome.record.created = it->second.created;
    outcome.created = false;
  }
  records_[record.ref] = outcome.record;
  events_.push_back({"secret.put", record.ref, std::string(actor)});
  return outcome;
}

absl::StatusOr<SecretRecord> InMemorySecretStorage::Get(const SecretRef& ref) {
  absl::MutexLock lock(&mu_);
  auto it = records_.find(ref);
  if (it == records_.end()) {
    return SecretNotFoundError(ref);
  }
  return it->second;
}

absl::StatusOr<std::vector<std::optional<SecretRecord>>> InMemorySecretStorage::GetMany(
    const std::vector<SecretRef>& refs) {
  absl::MutexLock lock(&mu_);
  std::vector<std::optional<SecretRecord>> out;
  out.reserve(refs.size());
  for (const SecretRef& ref : refs) {
    auto it = records_.find(ref);
    out.push_back(it == records_.end() ? std::nullopt : std::make_optional(it->second));
  }
  return out;
}

absl::StatusOr<std::vector<SecretRecord>> InMemorySecretStorage::List(SecretScope scope,
                                                                      std::string_view namespace_id,
                                                                      std::string_view pipeline_id,
                                                                      std::string_view after_key,
                                                                      int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<SecretRecord> out;
  const SecretRef from{scope, std::string(namespace_id), std::string(pipeline_id),
                       std::string(after_key)};
  for (auto it = records_.upper_bound(from); it != records_.end(); ++it) {
    const SecretRef& ref = it->first;
    if (static_cast<int>(out.size()) >= limit || ref.scope != scope ||
        ref.namespace_id != namespace_id || ref.pipeline_id != pipeline_id) {
      break;
    }
    out.push_back(WithoutCiphertext(it->second, /*keep_wrapped_key=*/false));
  }
  return out;
}

absl::Status InMemorySecretStorage::Delete(const SecretRef& ref, std::string_view actor) {
  absl::MutexLock lock(&mu_);
  if (records_.erase(ref) == 0) {
    return SecretNotFoundError(ref);
  }
  events_.push_back({"secret.deleted", ref, std::string(actor)});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SecretRecord>> InMemorySecretStorage::ListNotWrappedBy(
    std::string_view key_id, const std::optional<SecretRef>& after, int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<SecretRecord> out;
  auto it = after.has_value() ? records_.upper_bound(*after) : records_.begin();
  for (; it != records_.end() && static_cast<int>(out.size()) < limit; ++it) {
    if (it->second.envelope.key_id != key_id) {
      out.push_back(WithoutCiphertext(it->second, /*keep_wrapped_key=*/true));
    }
  }
  return out;
}

absl::StatusOr<int64_t> InMemorySecretStorage::Rewrap(const std::vector<RewrapUpdate>& updates) {
  absl::MutexLock lock(&mu_);
  int64_t applied = 0;
  for (const RewrapUpdate& update : updates) {
    auto it = records_.find(update.ref);
    if (it == records_.end() || it->second.envelope.wrapped_key != update.old_wrapped_key ||
        it->second.envelope.key_id != update.old_key_id) {
      continue;
    }
    it->second.envelope.wrapped_key = update.new_wrapped_key;
    it->second.envelope.key_id = update.new_key_id;
    ++applied;
  }
  return applied;
}

std::vector<RecordedEvent> InMemorySecretStorage::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

absl::Status InMemorySecretStorage::OverwriteEnvelope(const SecretRef& ref,
                                                      const Envelope& envelope) {
  absl::MutexLock lock(&mu_);
  auto it = records_.find(ref);
  if (it == records_.end()) {
    return SecretNotFoundError(ref);
  }
  it->second.envelope = envelope;
  return absl::OkStatus();
}

}  // namespace gofer::secret_store
