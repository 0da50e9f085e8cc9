// gofer-scheduler: composition root. Behaviour is wired in by the issue that builds it; until
// then the server offers gRPC health and reflection only.
#include "config.h"
#include "gofer/common/fmt_absl.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using gofer::scheduler::kInfo;
  gofer::app::BlockShutdownSignals();
  gofer::scheduler::Config config;
  gofer::config::Schema schema = config.MakeSchema();
  if (auto exit_code = gofer::app::Init(argc, argv, kInfo, schema, config.common)) {
    return *exit_code;
  }
  gofer::rpc::Runtime runtime(gofer::app::RuntimeOptionsFrom(config.common));
  return gofer::app::Serve(kInfo, config.common, runtime, {}, {gofer::scheduler::kHealthService});
}
