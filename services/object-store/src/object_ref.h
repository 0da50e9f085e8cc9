// Domain types of the object store: no proto, pqxx or gRPC types.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gofer/common/validation.h"

namespace gofer::object_store {

// Where an object lives (values match gofer.objects.v1.ObjectScope and the database).
enum class Scope { kPipeline = 1, kRun = 2, kExtension = 3, kTaskLog = 4 };

// Names one object; see ObjectRef in proto/gofer/objects/v1/object_store.proto for which
// fields each scope uses.
struct ObjectRef {
  Scope scope = Scope::kPipeline;
  std::string namespace_id;
  std::string pipeline_id;
  int64_t run_id = 0;
  std::string extension_id;
  std::string key;

  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};

// What the store knows about an object.
struct ObjectInfo {
  ObjectRef ref;
  int64_t size = 0;
  std::string sha256;
  absl::Time created;
};

// Adds to `v` every rule `ref` breaks, with field paths under `field` ("ref.key", ...).
// With `owner_only` the key must be empty (a list's parent) instead of valid.
void CheckRef(const ObjectRef& ref, const std::string& field, Violations& v,
              bool owner_only = false);

// "pipeline object 'k' of pipeline 'p' in namespace 'n'" and the like, for messages.
std::string Describe(const ObjectRef& ref);

// NOT_FOUND for `ref`, naming it and its owner.
absl::Status ObjectNotFound(const ObjectRef& ref);

// A lowercase-hex SHA-256 (64 characters)?
bool IsSha256Hex(const std::string& s);

}  // namespace gofer::object_store
