#include "config.h"

namespace gofer::secret_store {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7005");
  app::AddPostgresKeys(schema, &postgres, "secrets");
  schema
      .String("encryption.master_key_file", &encryption.master_key_file,
              {.description =
                   "File holding the primary master key: 32 bytes as 64 hex characters or "
                   "base64 (generate one with `openssl rand -hex 32`). It wraps every new data "
                   "key; the service does not start without a valid one.",
               .required = true})
      .StringList("encryption.previous_master_key_files", &encryption.previous_master_key_files,
                  {.description = "Files of earlier master keys, used only to read secrets "
                                  "still wrapped under them while a rotation is in progress "
                                  "(see docs/secrets.md)."})
      .Int("limits.max_value_bytes", &max_value_bytes,
           {.description = "Largest secret value accepted, in bytes.",
            .default_value = "65536",
            .min = 1,
            .max = 1024 * 1024});
  return schema;
}

}  // namespace gofer::secret_store
