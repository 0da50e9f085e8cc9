#include "config.h"

namespace gofer::secret_store {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7005");
  app::AddPostgresKeys(schema, &postgres, "secrets");
  return schema;
}

}  // namespace gofer::secret_store
