#include "config.h"

namespace gofer::object_store {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7004");
  app::AddPostgresKeys(schema, &postgres, "objects");
  return schema;
}

}  // namespace gofer::object_store
