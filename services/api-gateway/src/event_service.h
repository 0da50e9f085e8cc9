// gofer.v1.EventService: listing and watching the events outbox.
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gatekeeper.h"
#include "gofer/events/outbox.h"
#include "gofer/pg/pool.h"
#include "gofer/v1/events.grpc.pb.h"

namespace gofer::api_gateway {

// Wakes watchers when events may have become readable: on every NOTIFY of the outbox channel,
// and at least every `tick` (an old transaction ending moves the stable horizon without a
// notification). One thread per gateway process. Thread-safe.
class EventNotifier {
 public:
  EventNotifier(std::string dsn, absl::Duration tick);
  ~EventNotifier();

  // Calls `wake` once, from the notifier thread, at the next wake-up. It must not block.
  void OnNextWake(std::function<void()> wake);

 private:
  void Loop();

  const std::string dsn_;
  const absl::Duration tick_;
  absl::Mutex mu_;
  std::vector<std::function<void()>> waiters_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

class EventService final : public v1::EventService::CallbackService {
 public:
  EventService(pg::Pool& pool, const events::Outbox& outbox, EventNotifier& notifier,
               Gatekeeper& gate)
      : pool_(pool), outbox_(outbox), notifier_(notifier), gate_(gate) {}

  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* ctx,
                                       const v1::ListEventsRequest* req,
                                       v1::ListEventsResponse* resp) override;
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchEvents(
      grpc::CallbackServerContext* ctx, const v1::WatchEventsRequest* req) override;

 private:
  pg::Pool& pool_;
  const events::Outbox& outbox_;
  EventNotifier& notifier_;
  Gatekeeper& gate_;
};

}  // namespace gofer::api_gateway
