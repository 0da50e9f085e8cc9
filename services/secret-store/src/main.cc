// gofer-secret-store: composition root. Loads the master keys (failing fast on a bad key file),
// connects Postgres, and serves SecretStore over PgSecretStorage.
#include "absl/strings/str_join.h"
#include "config.h"
#include "gofer/common/clock.h"
#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "keyring.h"
#include "pg_secret_storage.h"
#include "secret_manager.h"
#include "secret_store_service.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using gofer::secret_store::kInfo;
  namespace ss = gofer::secret_store;
  gofer::app::BlockShutdownSignals();
  ss::Config config;
  gofer::config::Schema schema = config.MakeSchema();
  if (auto exit_code = gofer::app::Init(argc, argv, kInfo, schema, config.common)) {
    return *exit_code;
  }
  auto keyring = ss::Keyring::FromFiles(config.encryption.master_key_file,
                                        config.encryption.previous_master_key_files);
  if (!keyring.ok()) {
    for (const gofer::FieldViolation& v : gofer::GetFieldViolations(keyring.status())) {
      spdlog::critical("cannot start: {}: {}", v.field, v.description);
    }
    return 2;
  }
  spdlog::info("master keys: primary {}, all {}", keyring->primary_key_id(),
               absl::StrJoin(keyring->key_ids(), ","));
  auto postgres = gofer::app::ConnectPostgres(
      kInfo, config.postgres, gofer::SecretStoreMigrations(), config.common.startup_timeout);
  if (!postgres.ok()) {
    spdlog::critical("cannot start: {}", postgres.status().message());
    return 1;
  }
  ss::PgSecretStorage storage(**postgres, config.postgres.events_schema);
  ss::SecretManager manager(storage, *keyring, gofer::SystemClock::Get(),
                            {.max_value_bytes = config.max_value_bytes});
  gofer::rpc::Runtime runtime(gofer::app::RuntimeOptionsFrom(config.common));
  ss::SecretStoreService service(runtime, manager);
  return gofer::app::Serve(kInfo, config.common, runtime, {&service}, {ss::kHealthService});
}
