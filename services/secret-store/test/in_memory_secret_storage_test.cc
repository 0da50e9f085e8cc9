// The SecretStorage conformance suite against the in-memory fake.
#include <tuple>

#include "in_memory_secret_storage.h"

namespace gofer::secret_store {
namespace {

struct InMemoryFixture {
  InMemorySecretStorage fake;
  SecretStorage& storage() { return fake; }
};

}  // namespace

using StorageFixtures = std::tuple<InMemoryFixture>;

}  // namespace gofer::secret_store

#include "secret_storage_conformance.h"  // NOLINT(build/include_order): uses StorageFixtures
