// One task attempt's life on the scheduler, seen from the run-queue replica that holds the run:
// start its container (or adopt the one a previous holder started), capture its logs into the
// object store, wait for it to exit, and report what happened. One thread per active attempt.
//
// The watcher never changes durable task state itself: it reports to the run's actor, which
// decides (retry_policy.h) and writes under the lease (run_store.h). The one durable write it
// makes is the index of each stored log chunk, fenced by the same epoch.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gofer/common/clock.h"
#include "gofer/gateway/v1/gateway.grpc.pb.h"
#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/channel.h"
#include "gofer/scheduler/v1/scheduler.grpc.pb.h"
#include "retry_policy.h"
#include "run_records.h"
#include "run_store.h"
#include "task_environment.h"

namespace gofer::run_queue {

// What a watcher reports to the run's actor.
struct AttemptReport {
  enum class Kind {
    kStarted,  // the container runs (or ran): scheduler_id, node, image_digest, phases
    kEnded,    // the attempt is over: result and phases (and the above when it ran)
  };
  Kind kind = Kind::kStarted;
  std::string task_id;
  int attempt = 1;
  std::string scheduler_id;
  std::string node;
  std::string image_digest;
  PhaseTimes phases;
  // kEnded: how. kExited carries the exit code; kInfrastructure and kFailedPrecondition say why
  // in `detail`; kCancelled means it never started because a stop was requested first.
  AttemptResult result;
  // kEnded: the attempt's last log chunk, stored in the object store but not indexed yet: the
  // actor indexes it in the transaction that records the end (one transaction fewer per task).
  std::optional<LogChunkRecord> last_chunk;
};

// What a watcher needs from its replica. Shared by every watcher; must outlive them.
struct WatcherContext {
  rpc::Client* scheduler = nullptr;
  rpc::Client* object_store = nullptr;
  // The api-gateway's internal API (run tokens, F-RUN-9).
  rpc::Client* gateway = nullptr;
  // How long a run token lives at most (it is revoked when the run completes).
  absl::Duration run_token_ttl = absl::Hours(24);
  Resolver* resolver = nullptr;
  RunStore* store = nullptr;
  Clock* clock = nullptr;
  std::string api_url;
  int64_t log_chunk_bytes = 1 << 20;
  absl::Duration log_flush_interval = absl::Seconds(1);
  // How long the scheduler may stay unreachable while monitoring before the attempt is given
  // up as an infrastructure failure.
  absl::Duration unreachable_limit = absl::Minutes(2);
  // "run-queue:<replica>": the caller identity on internal calls.
  std::string caller;
};

// Which attempt to watch and from where.
struct WatchSpec {
  RunRecord run;  // the run (config snapshot, variables) as the actor loaded it
  int64_t epoch = 0;
  std::string actor;  // "run-queue:<replica>@epoch-<n>"
  std::string task_id;
  int attempt = 1;
  // The task's state when the watcher was made: kStarting (start the container, or adopt it if
  // a previous holder got that far) or kRunning (adopt it).
  TaskState state = TaskState::kStarting;
  PhaseTimes phases;
  // Where log capture resumes (after a takeover): the scheduler's output offset, the next line
  // number and chunk sequence number.
  int64_t log_offset = 0;
  int64_t next_line = 0;
  int next_seq = 0;
};

// The deterministic container name of an attempt: gofer-<namespace>-<pipeline>-<run>-<task>-<n>
// (shortened with a digest when longer than the scheduler allows).
std::string ContainerName(const RunKey& run, const std::string& task_id, int attempt);

class AttemptWatcher {
 public:
  using Report = std::function<void(AttemptReport)>;

  // Starts the watcher's thread. `report` is called from it (never after Abandon returns).
  AttemptWatcher(const WatcherContext& context, WatchSpec spec, Report report);
  // Abandons and joins.
  ~AttemptWatcher();

  AttemptWatcher(const AttemptWatcher&) = delete;
  AttemptWatcher& operator=(const AttemptWatcher&) = delete;

  // Asks the scheduler to stop the container (SIGTERM, SIGKILL after `grace`); when it has not
  // started yet, it never will (reported as kEnded/kCancelled). Idempotent; returns at once.
  void RequestStop(absl::Duration grace);

  // Stops watching without reporting (the lease was lost, or the replica shuts down). The
  // container is left alone for the next holder to adopt. Returns once the thread ended.
  void Abandon();

  // The actor durably recorded the attempt's end: the container may be removed.
  void Recorded() {
    if (!recorded_.HasBeenNotified()) recorded_.Notify();
  }

  // True once the thread ended (after its final report).
  bool done() const { return done_.load(); }

 private:
  void Run();
  // Starts or adopts the container; reports kStarted. False when the attempt ended already
  // (reported).
  bool StartOrAdopt();
  // Mints the attempt's run token (GOFER_TOKEN) when the task asks for one. False when the
  // attempt ended (reported).
  bool MintRunToken(const gofer::v1::Task& task, absl::Time give_up);
  // Captures logs and waits for the exit; reports kEnded.
  void Monitor();
  void Ended(AttemptResult result, std::optional<LogChunkRecord> last_chunk = std::nullopt);
  void Stopper(absl::Duration grace);
  bool abandoned() const { return abandon_.HasBeenNotified(); }

  const WatcherContext& ctx_;
  WatchSpec spec_;
  const Report report_;
  const std::string name_;
  std::unique_ptr<scheduler::v1::Scheduler::Stub> scheduler_;
  std::unique_ptr<objects::v1::ObjectStore::Stub> objects_;
  TaskEnvironment env_;
  std::string scheduler_id_;
  std::string node_;
  std::string image_digest_;
  // The start is not reported yet (see Monitor).
  bool started_pending_ = false;
  absl::Notification abandon_;
  absl::Notification recorded_;
  std::atomic<bool> done_{false};
  mutable absl::Mutex mu_;
  std::optional<absl::Duration> stop_grace_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread stopper_;
  std::thread thread_;
};

}  // namespace gofer::run_queue
