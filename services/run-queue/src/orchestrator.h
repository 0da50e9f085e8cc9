// The orchestrator of one run-queue replica: claims due runs from the ready queue with their
// leases, and drives each held run to completion with the decision functions (dag_evaluator.h,
// run_state_machine.h, timeouts.h, retry_policy.h), writing every change fenced by the run's
// lease epoch (run_store.h) and running attempts through AttemptWatchers.
//
// Each held run has an actor. A step of an actor reloads the run from Postgres, applies what its
// watchers reported, decides, writes the decisions in one fenced transaction, and repeats until
// nothing is left to decide; then it starts watchers for new attempts and sets a timer for the
// next deadline (retry backoff, timeouts). Steps of one run never overlap; steps of different
// runs run in parallel on the worker threads. Because every step starts from durable state, a
// replica that takes a run over decides exactly what the previous holder would have.
// docs/run-queue.md describes the protocol.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "attempt_watcher.h"
#include "config.h"
#include "lease_manager.h"
#include "ready_queue.h"
#include "retry_policy.h"
#include "run_store.h"

namespace gofer::run_queue {

class Orchestrator {
 public:
  struct Deps {
    RunStore* store = nullptr;
    ReadyQueue* queue = nullptr;
    LeaseManager* leases = nullptr;
    // Its scheduler/object_store/resolver/store/clock; `caller` is set by the orchestrator.
    WatcherContext watcher;
    Clock* clock = nullptr;
    RandomSource* random = nullptr;
    // Deletes the logs and run objects of runs up to `up_to_run_id` of a pipeline (retention).
    std::function<absl::Status(const std::string& namespace_id, const std::string& pipeline_id,
                               int64_t up_to_run_id)>
        delete_run_objects;
    // Revokes the run tokens of a finished run (F-RUN-9).
    std::function<absl::Status(const RunKey& run)> revoke_run_tokens;
  };

  // `replica_id` names this replica in leases and event actors. Nothing runs until Start.
  Orchestrator(const OrchestratorConfig& config, std::string replica_id, Deps deps);
  // Stops (see Stop).
  ~Orchestrator();

  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  // Starts the poller, timer and worker threads.
  void Start();

  // Stops taking runs, abandons every held run — watchers stop, containers keep running —
  // releases their leases and makes them due at once, so another replica adopts them without
  // waiting for the TTL. Idempotent.
  void Stop();

  // Makes a run due now (after StartRun, a cancellation request, ...).
  void Nudge(const RunKey& key);

  // Rebuilds the ready queue from Postgres (every unfinished run, added only if absent).
  absl::Status RebuildQueue();

  // Runs held now (for tests and metrics).
  int held() const;
  const std::string& replica_id() const { return replica_id_; }

 private:
  struct Actor;

  void PollLoop();
  void TimerLoop();
  void WorkerLoop();
  void Wake(const std::shared_ptr<Actor>& actor);
  void WakeAt(const RunKey& key, absl::Time when);
  void OnLeaseLost(const std::string& key);
  void Step(Actor& actor);
  // One pass of decisions; true when it wrote something (the caller reloads and passes again).
  absl::StatusOr<bool> Decide(Actor& actor, const RunRecord& run, std::vector<TaskRecord>& tasks);
  void StartWatchers(Actor& actor, const RunRecord& run, const std::vector<TaskRecord>& tasks);
  void Drop(Actor& actor, bool release);
  void Finish(Actor& actor, const RunRecord& run);
  std::string ActorName(const Actor& actor) const;

  const OrchestratorConfig config_;
  const std::string replica_id_;
  Deps deps_;
  BackoffOptions backoff_;
  std::unique_ptr<LeaseKeeper> keeper_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Actor>> actors_ ABSL_GUARDED_BY(mu_);
  std::deque<std::shared_ptr<Actor>> ready_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, std::string> timers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;

  std::thread poller_;
  std::thread timer_;
  std::vector<std::thread> workers_;
};

}  // namespace gofer::run_queue
