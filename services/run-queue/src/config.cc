#include "config.h"

namespace gofer::run_queue {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7002");
  app::AddPostgresKeys(schema, &postgres, "runqueue");
  app::AddRedisKeys(schema, &redis);
  return schema;
}

}  // namespace gofer::run_queue
