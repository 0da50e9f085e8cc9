#include "config.h"

namespace gofer::extension_manager {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7003");
  app::AddPostgresKeys(schema, &postgres, "extensions");
  return schema;
}

}  // namespace gofer::extension_manager
