// gofer-secret-store: composition root. Behaviour is wired in by the issue that builds it; until
// then the server offers gRPC health and reflection only.
#include "config.h"
#include "gofer/common/fmt_absl.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using gofer::secret_store::kInfo;
  gofer::app::BlockShutdownSignals();
  gofer::secret_store::Config config;
  gofer::config::Schema schema = config.MakeSchema();
  if (auto exit_code = gofer::app::Init(argc, argv, kInfo, schema, config.common)) {
    return *exit_code;
  }
  auto postgres = gofer::app::ConnectPostgres(
      kInfo, config.postgres, gofer::SecretStoreMigrations(), config.common.startup_timeout);
  if (!postgres.ok()) {
    spdlog::critical("cannot start: {}", postgres.status().message());
    return 1;
  }
  gofer::rpc::Runtime runtime(gofer::app::RuntimeOptionsFrom(config.common));
  return gofer::app::Serve(kInfo, config.common, runtime, {},
                           {gofer::secret_store::kHealthService});
}
