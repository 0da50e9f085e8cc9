// gofer-object-store: composition root.
#include <malloc.h>

#include "config.h"
#include "filesystem_blob_store.h"
#include "gofer/app/periodic.h"
#include "gofer/common/fmt_absl.h"
#include "object_store_service.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  namespace os = gofer::object_store;
  // Streams allocate 1 MiB chunk buffers on every executor thread; with one malloc arena they
  // reuse the same memory instead of each thread's arena keeping its own (RSS stays flat).
  mallopt(M_ARENA_MAX, 1);
  gofer::app::BlockShutdownSignals();
  os::Config config;
  gofer::config::Schema schema = config.MakeSchema();
  if (auto exit_code = gofer::app::Init(argc, argv, os::kInfo, schema, config.common)) {
    return *exit_code;
  }
  auto blobs = os::FilesystemBlobStore::Create(config.storage_root);
  auto postgres = gofer::app::ConnectPostgres(
      os::kInfo, config.postgres, gofer::ObjectStoreMigrations(), config.common.startup_timeout);
  if (!blobs.ok() || !postgres.ok()) {
    spdlog::critical("cannot start: {}", blobs.ok() ? postgres.status() : blobs.status());
    return 1;
  }
  const gofer::events::Outbox outbox(config.postgres.events_schema);
  os::ObjectCatalog catalog(**postgres, outbox);
  gofer::UuidV7Generator ids;
  os::ObjectManager manager(catalog, **blobs, gofer::SystemClock::Get(), ids, config.limits);
  gofer::app::Periodic gc("object-gc", config.gc_interval, [&] {
    auto stats = manager.CollectGarbage();
    if (!stats.ok()) {
      spdlog::warn("garbage collection: {}", stats.status());
    } else if (stats->blobs_collected + stats->uploads_expired > 0) {
      spdlog::info("garbage collection: {} blobs, {} expired uploads", stats->blobs_collected,
                   stats->uploads_expired);
    }
    (void)(*blobs)->SweepTemporaryFiles(24 * 3600);
  });
  gofer::rpc::Runtime runtime(gofer::app::RuntimeOptionsFrom(config.common));
  os::ObjectStoreService service(manager, runtime);
  return gofer::app::Serve(os::kInfo, config.common, runtime, {&service}, {os::kHealthService});
}
