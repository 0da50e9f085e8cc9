// gofer-scheduler: composition root.
#include "config.h"
#include "gofer/common/fmt_absl.h"
#include "spdlog/spdlog.h"

namespace {

absl::StatusOr<std::unique_ptr<gofer::scheduler::ContainerEngine>> MakeEngine(
    const gofer::scheduler::Config& config) {
  namespace sch = gofer::scheduler;
  if (config.backend == "local") {
    return sch::LocalEngine::Create(config.local);
  }
  if (config.backend == "noop") {
    return sch::NoopEngine::Create(config.noop);
  }
  return sch::DockerEngine::Create(config.docker);
}

}  // namespace

int main(int argc, char** argv) {
  namespace sch = gofer::scheduler;
  gofer::app::BlockShutdownSignals();
  sch::Config config;
  gofer::config::Schema schema = config.MakeSchema();
  if (auto exit_code = gofer::app::Init(argc, argv, sch::kInfo, schema, config.common)) {
    return *exit_code;
  }
  config.Finish();
  auto backend = MakeEngine(config);
  if (!backend.ok()) {
    spdlog::critical("cannot start: {}", backend.status());
    return 1;
  }
  // The engine is the state: an unreachable one is reported, not fatal (calls fail UNAVAILABLE
  // until it answers, and the service stays up to say so).
  if (absl::Status ping = (*backend)->Ping(); !ping.ok()) {
    spdlog::warn("the {} engine does not answer yet: {}", (*backend)->kind(), ping);
  }
  sch::RetryingEngine engine(**backend, config.retry);
  gofer::rpc::Runtime runtime(gofer::app::RuntimeOptionsFrom(config.common));
  sch::SchedulerService service(engine, runtime, config.service);
  return gofer::app::Serve(sch::kInfo, config.common, runtime, {&service}, {sch::kHealthService});
}
