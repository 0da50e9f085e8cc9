#include "config.h"

namespace gofer::api_gateway {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:8080");
  app::AddPostgresKeys(schema, &postgres, "gateway");
  return schema;
}

}  // namespace gofer::api_gateway
