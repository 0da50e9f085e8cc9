#include "config.h"

namespace gofer::scheduler {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7001");
  return schema;
}

}  // namespace gofer::scheduler
