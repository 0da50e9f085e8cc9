#include "orchestrator.h"

#include <algorithm>

#include <fmt/format.h>

#include "dag_evaluator.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/status_macros.h"
#include "run_plan_config.h"
#include "run_state_machine.h"
#include "spdlog/spdlog.h"
#include "timeouts.h"

namespace gofer::run_queue {

// One held run. Fields without a guard are touched only by the step (one at a time).
struct Orchestrator::Actor {
  RunKey key;
  std::string member;  // key.ToString()
  int64_t epoch = 0;   // 0 until the lease epoch was bumped in Postgres
  std::optional<RunPlan> plan;
  std::map<std::string, std::unique_ptr<AttemptWatcher>> watchers;
  // "<task>/<attempt>" of the attempts this actor moved to starting.
  std::set<std::string> dispatched;

  absl::Mutex mu;
  std::deque<AttemptReport> inbox ABSL_GUARDED_BY(mu);
  bool queued ABSL_GUARDED_BY(mu) = false;   // in ready_ or running a step
  bool again ABSL_GUARDED_BY(mu) = false;    // woken during a step: step once more
  bool lost ABSL_GUARDED_BY(mu) = false;     // the lease was lost
  bool dropped ABSL_GUARDED_BY(mu) = false;  // no longer held
};

namespace {

constexpr absl::Duration kErrorRetry = absl::Seconds(1);
constexpr int kMaxPassesPerStep = 16;

TaskExecutions Executions(const std::vector<TaskRecord>& tasks) {
  TaskExecutions out;
  for (const TaskRecord& t : tasks) {
    out.emplace(t.task_id, t.exec);
  }
  return out;
}

TaskRecord* FindTask(std::vector<TaskRecord>& tasks, const std::string& id) {
  for (TaskRecord& t : tasks) {
    if (t.task_id == id) {
      return &t;
    }
  }
  return nullptr;
}

}  // namespace

Orchestrator::Orchestrator(const OrchestratorConfig& config, std::string replica_id, Deps deps)
    : config_(config), replica_id_(std::move(replica_id)), deps_(std::move(deps)) {
  deps_.watcher.caller = fmt::format("run-queue:{}", replica_id_);
  deps_.watcher.clock = deps_.clock;
  deps_.watcher.store = deps_.store;
  backoff_.initial = config_.retry_initial_backoff;
  backoff_.max = config_.retry_max_backoff;
}

Orchestrator::~Orchestrator() { Stop(); }

std::string Orchestrator::ActorName(const Actor& actor) const {
  return fmt::format("run-queue:{}@epoch-{}", replica_id_, actor.epoch);
}

void Orchestrator::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) {
      return;
    }
    started_ = true;
  }
  keeper_ = std::make_unique<LeaseKeeper>(*deps_.leases, replica_id_, config_.lease_ttl,
                                          [this](const std::string& key) { OnLeaseLost(key); });
  if (absl::Status s = RebuildQueue(); !s.ok()) {
    spdlog::warn("rebuilding the ready queue at start: {} (retried by the poller)", s);
  }
  for (int64_t i = 0; i < config_.workers; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  timer_ = std::thread([this] { TimerLoop(); });
  poller_ = std::thread([this] { PollLoop(); });
}

void Orchestrator::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || stopping_) {
      return;
    }
    stopping_ = true;
  }
  if (poller_.joinable()) poller_.join();
  if (timer_.joinable()) timer_.join();
  for (auto& w : workers_) {
    w.join();
  }
  workers_.clear();
  std::map<std::string, std::shared_ptr<Actor>> actors;
  {
    absl::MutexLock lock(&mu_);
    actors.swap(actors_);
  }
  // Hand every held run over at once.
  for (auto& [member, actor] : actors) {
    actor->watchers.clear();  // abandons: the containers keep running for the next holder
    if (absl::Status s = keeper_->Drop(member); !s.ok()) {
      spdlog::warn("releasing the lease of run {}: {}", member, s);
    }
    (void)deps_.queue->Schedule(member, deps_.clock->Now());
  }
  keeper_.reset();
  spdlog::info("orchestrator stopped; {} runs handed over", actors.size());
}

int Orchestrator::held() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(actors_.size());
}

void Orchestrator::Nudge(const RunKey& key) {
  if (absl::Status s = deps_.queue->Schedule(key.ToString(), deps_.clock->Now()); !s.ok()) {
    // Not lost: the run is durable, and the queue is rebuilt from Postgres.
    spdlog::warn("nudging run {}: {}", key.ToString(), s);
  }
}

absl::Status Orchestrator::RebuildQueue() {
  RunKey after;
  int64_t total = 0;
  const absl::Time now = deps_.clock->Now();
  while (true) {
    auto page = deps_.store->ListUnfinished(after, 1000);
    if (!page.ok()) {
      return page.status();
    }
    std::vector<std::pair<std::string, absl::Time>> runs;
    for (const auto& [key, due] : *page) {
      runs.emplace_back(key.ToString(), std::min(due, now));
    }
    if (absl::Status s = deps_.queue->ScheduleAllIfAbsent(runs); !s.ok()) {
      return s;
    }
    total += static_cast<int64_t>(page->size());
    if (page->size() < 1000) {
      break;
    }
    after = page->back().first;
  }
  spdlog::info("ready queue rebuilt from postgres: {} unfinished runs", total);
  return deps_.queue->MarkBuilt();
}

void Orchestrator::PollLoop() {
  absl::Time next_rebuild = deps_.clock->Now() + config_.rebuild_interval;
  int polls = 0;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), config_.poll_interval)) {
        return;
      }
    }
    const absl::Time now = deps_.clock->Now();
    // Redis may have been flushed or restarted empty: the marker goes with it.
    if (++polls % 10 == 0 || now >= next_rebuild) {
      auto built = deps_.queue->IsBuilt();
      if ((built.ok() && !*built) || now >= next_rebuild) {
        if (built.ok() && !*built) {
          spdlog::warn("the ready queue is gone (Redis flushed or restarted); rebuilding");
        }
        if (absl::Status s = RebuildQueue(); !s.ok()) {
          spdlog::warn("rebuilding the ready queue: {}", s);
        }
        next_rebuild = now + config_.rebuild_interval;
      }
    }
    const int capacity = static_cast<int>(config_.max_held_runs) - held();
    if (capacity <= 0) {
      continue;
    }
    auto claims = deps_.queue->Claim(replica_id_, config_.lease_ttl, now, std::min(capacity, 200));
    if (!claims.ok()) {
      spdlog::warn("polling the ready queue: {}", claims.status());
      continue;
    }
    for (const std::string& member : claims->acquired) {
      auto key = RunKey::Parse(member);
      if (!key.ok()) {
        spdlog::error("dropping malformed ready-queue member '{}'", member);
        (void)deps_.queue->Remove(member);
        continue;
      }
      std::shared_ptr<Actor> actor;
      {
        absl::MutexLock lock(&mu_);
        auto [it, inserted] = actors_.try_emplace(member);
        if (inserted) {
          it->second = std::make_shared<Actor>();
          it->second->key = *key;
          it->second->member = member;
        }
        actor = it->second;
      }
      keeper_->Keep(member);
      Wake(actor);
    }
    for (const std::string& member : claims->nudged) {
      std::shared_ptr<Actor> actor;
      {
        absl::MutexLock lock(&mu_);
        auto it = actors_.find(member);
        if (it != actors_.end()) {
          actor = it->second;
        }
      }
      if (actor) {
        Wake(actor);
      } else {
        // Our lease, but no actor (a step dropped it): let the lease go so the run is taken.
        (void)deps_.leases->Release(member, replica_id_);
      }
    }
  }
}

void Orchestrator::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = deps_.clock->Now();
    std::vector<std::string> due;
    while (!timers_.empty() && timers_.begin()->first <= now) {
      due.push_back(timers_.begin()->second);
      timers_.erase(timers_.begin());
    }
    for (const std::string& member : due) {
      auto it = actors_.find(member);
      if (it != actors_.end()) {
        auto actor = it->second;
        mu_.Unlock();
        Wake(actor);
        mu_.Lock();
      }
    }
    const absl::Duration wait = timers_.empty()
                                    ? absl::Milliseconds(200)
                                    : std::clamp(timers_.begin()->first - deps_.clock->Now(),
                                                 absl::Milliseconds(1), absl::Milliseconds(200));
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
  }
}

void Orchestrator::WakeAt(const RunKey& key, absl::Time when) {
  absl::MutexLock lock(&mu_);
  timers_.emplace(when, key.ToString());
}

void Orchestrator::Wake(const std::shared_ptr<Actor>& actor) {
  {
    absl::MutexLock lock(&actor->mu);
    if (actor->dropped) {
      return;
    }
    if (actor->queued) {
      actor->again = true;
      return;
    }
    actor->queued = true;
  }
  absl::MutexLock lock(&mu_);
  ready_.push_back(actor);
}

void Orchestrator::WorkerLoop() {
  while (true) {
    std::shared_ptr<Actor> actor;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !ready_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (stopping_) {
        return;
      }
      actor = ready_.front();
      ready_.pop_front();
    }
    Step(*actor);
    bool requeue = false;
    {
      absl::MutexLock lock(&actor->mu);
      if (actor->again && !actor->dropped) {
        actor->again = false;
        requeue = true;
      } else {
        actor->queued = false;
        actor->again = false;
      }
    }
    if (requeue) {
      absl::MutexLock lock(&mu_);
      ready_.push_back(actor);
    }
  }
}

void Orchestrator::OnLeaseLost(const std::string& member) {
  std::shared_ptr<Actor> actor;
  {
    absl::MutexLock lock(&mu_);
    auto it = actors_.find(member);
    if (it == actors_.end()) {
      return;
    }
    actor = it->second;
  }
  spdlog::warn("lost the lease of run {}; abandoning it", member);
  {
    absl::MutexLock lock(&actor->mu);
    actor->lost = true;
  }
  Wake(actor);
}

void Orchestrator::Drop(Actor& actor, bool release) {
  actor.watchers.clear();
  {
    absl::MutexLock lock(&actor.mu);
    actor.dropped = true;
  }
  {
    absl::MutexLock lock(&mu_);
    actors_.erase(actor.member);
  }
  if (release) {
    if (absl::Status s = keeper_->Drop(actor.member); !s.ok()) {
      spdlog::warn("releasing the lease of run {}: {}", actor.member, s);
    }
  } else {
    keeper_->Forget(actor.member);
  }
}

void Orchestrator::Finish(Actor& actor, const RunRecord& run) {
  (void)deps_.queue->Remove(actor.member);
  Drop(actor, /*release=*/true);
  const bool minted_tokens =
      std::any_of(run.config.tasks().begin(), run.config.tasks().end(),
                  [](const gofer::v1::Task& t) { return t.inject_api_token(); });
  if (minted_tokens && deps_.revoke_run_tokens) {
    // Tokens also expire on their own; a failure here is logged, not fatal.
    if (absl::Status s = deps_.revoke_run_tokens(run.key); !s.ok()) {
      spdlog::warn("revoking the run tokens of run {}: {}", run.key.ToString(), s);
    }
  }
  // The next runs of the pipeline may be admitted now (without limits, none waits).
  if (run.config.parallelism() > 0 || config_.global_running_limit > 0) {
    const int next = std::max(1, run.config.parallelism());
    if (auto pending = deps_.store->OldestPending(run.key.namespace_id, run.key.pipeline_id, next);
        pending.ok()) {
      for (const RunKey& key : *pending) {
        Nudge(key);
      }
    }
  }
  // Retention: logs and run objects of runs beyond the newest N.
  auto expired = deps_.store->ExpireOldRuns(run.key.namespace_id, run.key.pipeline_id,
                                            static_cast<int>(config_.runs_kept));
  if (expired.ok() && !expired->empty() && deps_.delete_run_objects) {
    if (absl::Status s =
            deps_.delete_run_objects(run.key.namespace_id, run.key.pipeline_id, expired->back());
        !s.ok()) {
      spdlog::warn("deleting objects of expired runs of {}/{}: {}", run.key.namespace_id,
                   run.key.pipeline_id, s);
    }
  }
}

void Orchestrator::Step(Actor& actor) {
  bool lost;
  {
    absl::MutexLock lock(&actor.mu);
    lost = actor.lost;
    if (actor.dropped) {
      return;
    }
  }
  if (lost) {
    Drop(actor, /*release=*/false);
    return;
  }
  if (actor.epoch == 0) {
    auto acquired =
        deps_.store->Acquire(actor.key, replica_id_, fmt::format("run-queue:{}", replica_id_));
    if (absl::IsNotFound(acquired.status())) {
      (void)deps_.queue->Remove(actor.member);
      Drop(actor, true);
      return;
    }
    if (!acquired.ok()) {
      spdlog::warn("taking run {}: {}", actor.member, acquired.status());
      WakeAt(actor.key, deps_.clock->Now() + kErrorRetry);
      return;
    }
    actor.epoch = acquired->lease_epoch;
  }

  for (int pass = 0; pass < kMaxPassesPerStep; ++pass) {
    auto loaded = deps_.store->LoadRun(actor.key);
    if (absl::IsNotFound(loaded.status())) {
      (void)deps_.queue->Remove(actor.member);
      Drop(actor, true);
      return;
    }
    if (!loaded.ok()) {
      spdlog::warn("loading run {}: {}", actor.member, loaded.status());
      WakeAt(actor.key, deps_.clock->Now() + kErrorRetry);
      return;
    }
    auto& [run, tasks] = *loaded;
    if (run.lease_epoch != actor.epoch) {
      spdlog::info("run {} was taken over (epoch {} → {})", actor.member, actor.epoch,
                   run.lease_epoch);
      Drop(actor, false);
      return;
    }
    if (run.state == RunState::kComplete) {
      Finish(actor, run);
      return;
    }
    auto wrote = Decide(actor, run, tasks);
    if (!wrote.ok()) {
      if (IsLeaseLost(wrote.status())) {
        Drop(actor, false);
        return;
      }
      if (absl::IsCancelled(wrote.status())) {
        return;  // dropped by Decide (waiting for admission)
      }
      spdlog::warn("run {}: {}", actor.member, wrote.status());
      WakeAt(actor.key, deps_.clock->Now() + kErrorRetry);
      return;
    }
    if (!*wrote) {
      StartWatchers(actor, run, tasks);
      return;
    }
  }
  // Still deciding after many passes: continue in a fresh step.
  WakeAt(actor.key, deps_.clock->Now());
}

absl::StatusOr<bool> Orchestrator::Decide(Actor& actor, const RunRecord& run,
                                          std::vector<TaskRecord>& tasks) {
  const absl::Time now = deps_.clock->Now();
  const std::string who = ActorName(actor);
  RunStore& store = *deps_.store;

  if (!actor.plan) {
    auto plan = FromConfig(run.config);
    if (!plan.ok()) {
      const RunOutcome outcome = InvalidSnapshotOutcome(plan.status());
      GOFER_RETURN_IF_ERROR(store.Fenced(run.key, actor.epoch, who,
                                         [&](FencedWrites& w) { w.CompleteRun(outcome, now); }));
      return true;
    }
    actor.plan = *std::move(plan);
  }
  const RunPlan& plan = *actor.plan;

  if (run.state == RunState::kPending) {
    if (run.cancellation) {
      GOFER_RETURN_IF_ERROR(store.Fenced(run.key, actor.epoch, who, [&](FencedWrites& w) {
        for (const TaskRecord& t : tasks) {
          if (t.exec.state != TaskState::kComplete) {
            w.CompleteTask({t.task_id, TaskStatus::kCancelled, *run.cancellation}, now);
          }
        }
        w.CompleteRun({RunStatus::kCancelled, *run.cancellation}, now);
      }));
      return true;
    }
    GOFER_ASSIGN_OR_RETURN(Admission admission,
                           store.Admit(run.key, actor.epoch, who, run.config.parallelism(),
                                       static_cast<int>(config_.global_running_limit), now));
    if (admission.admitted) {
      return true;
    }
    // Wait without holding the lease; nudged when a run of the pipeline ends.
    (void)deps_.queue->Schedule(actor.member, now + config_.admission_recheck);
    Drop(actor, true);
    return absl::CancelledError("waiting for admission");
  }

  // Running. First what the watchers reported.
  std::deque<AttemptReport> inbox;
  {
    absl::MutexLock lock(&actor.mu);
    inbox.swap(actor.inbox);
  }
  std::vector<std::string> recorded;
  std::vector<std::string> stale;
  std::vector<std::function<void(FencedWrites&)>> writes;
  for (AttemptReport& report : inbox) {
    TaskRecord* task = FindTask(tasks, report.task_id);
    if (task == nullptr || task->exec.attempt != report.attempt || !IsActive(task->exec.state)) {
      // Stale: already recorded (by us or an earlier holder).
      if (report.kind == AttemptReport::Kind::kEnded) {
        stale.push_back(report.task_id);
      }
      continue;
    }
    if (report.kind == AttemptReport::Kind::kStarted) {
      if (task->exec.state == TaskState::kStarting) {
        writes.push_back([report](FencedWrites& w) {
          w.TaskRunning(report.task_id, report.attempt, report.scheduler_id, report.node,
                        report.image_digest, report.phases);
        });
        task->exec.state = TaskState::kRunning;
        task->node = report.node;
        task->image_digest = report.image_digest;
      }
      continue;
    }
    // Ended. Its start may not have been reported (it ended at once): recorded together.
    if (task->exec.state == TaskState::kStarting && !report.scheduler_id.empty()) {
      writes.push_back([report](FencedWrites& w) {
        w.TaskRunning(report.task_id, report.attempt, report.scheduler_id, report.node,
                      report.image_digest, report.phases);
      });
      task->node = report.node;
      task->image_digest = report.image_digest;
    }
    // A requested stop decides how a stopped attempt counts.
    AttemptResult result = report.result;
    if (task->exec.stop_reason) {
      result.end = task->exec.stop_reason->kind == ReasonKind::kTimeout ? AttemptEnd::kTimeout
                                                                        : AttemptEnd::kCancelled;
      result.detail = task->exec.stop_reason->description;
    }
    const PlannedTask* planned = plan.Find(task->task_id);
    const RetryDecision decision = DecideRetry(
        result, report.attempt, planned ? planned->retry : RetryPolicy{}, backoff_, *deps_.random);
    AttemptOutcome outcome;
    outcome.attempt = {
        .task_id = task->task_id,
        .attempt = report.attempt,
        .status = decision.status,
        .reason = decision.reason,
        .exit_code = report.result.exit_code,
        .node = task->node.empty() ? report.node : task->node,
        .image_digest = task->image_digest.empty() ? report.image_digest : task->image_digest,
        .phases = report.phases};
    outcome.attempt.phases.queued = task->phases.queued;
    outcome.attempt.phases.leased = task->phases.leased;
    outcome.retry = decision.retry;
    outcome.not_before = now + decision.delay;
    writes.push_back(
        [task_id = task->task_id, outcome, chunk = report.last_chunk](FencedWrites& w) {
          if (chunk) {
            w.AddLogChunk(task_id, *chunk);  // indexed before the end is recorded
          }
          w.FinishAttempt(task_id, outcome);
        });
    recorded.push_back(task->task_id);
    // The same change in memory, so the decisions below see it (one transaction for both).
    if (decision.retry) {
      task->exec.state = TaskState::kWaiting;
      task->exec.attempt = decision.next_attempt;
      task->exec.started.reset();
      task->exec.stop_reason.reset();
      task->exec.reason = decision.reason;
      task->not_before = outcome.not_before;
    } else {
      task->exec.state = TaskState::kComplete;
      task->exec.status = decision.status;
      task->exec.reason = decision.reason;
      task->exec.started.reset();
      task->cancel_requested = false;
    }
    task->exit_code = report.result.exit_code;
  }
  for (const std::string& id : stale) {
    if (auto it = actor.watchers.find(id); it != actor.watchers.end() && it->second->done()) {
      actor.watchers.erase(it);
    }
  }

  // Cancellations: of the run (requested, or the run timeout), and of single tasks.
  TaskExecutions execs = Executions(tasks);
  std::optional<StatusReason> cancellation = run.cancellation;
  absl::Duration grace =
      run.cancel_grace > absl::ZeroDuration() ? run.cancel_grace : config_.default_grace;
  const TimeoutCheck timeouts =
      FindTimeouts(plan, run.state, run.started, execs, config_.max_duration, now);
  bool record_cancellation = false;
  if (!cancellation && timeouts.run) {
    cancellation = timeouts.run;
    grace = config_.default_grace;
    record_cancellation = true;
  }
  CancellationPlan stops;
  std::vector<std::string> cleared;
  if (cancellation) {
    GOFER_ASSIGN_OR_RETURN(stops,
                           PlanRunCancellation(plan, run.state, execs, *cancellation, grace));
  }
  for (const TaskRecord& t : tasks) {
    if (!t.cancel_requested) {
      continue;
    }
    cleared.push_back(t.task_id);
    if (t.exec.state == TaskState::kComplete || t.exec.stop_reason) {
      continue;
    }
    const StatusReason reason{ReasonKind::kCancelled, fmt::format("cancelled by {}", t.cancel_by)};
    auto plan_task = PlanTaskCancellation(
        plan, run.state, execs, t.task_id, reason,
        t.cancel_grace > absl::ZeroDuration() ? t.cancel_grace : config_.default_grace);
    if (!plan_task.ok()) {
      continue;  // complete meanwhile
    }
    for (auto& c : plan_task->to_cancel) {
      stops.to_cancel.push_back(std::move(c));
    }
    for (auto& s : plan_task->to_stop) {
      stops.to_stop.push_back(std::move(s));
    }
  }
  // Tasks cancelled now count as complete for the evaluation (so none of them is marked waiting).
  for (const TaskCompletion& c : stops.to_cancel) {
    TaskExecution& e = execs[c.task_id];
    e.state = TaskState::kComplete;
    e.status = c.status;
    e.reason = c.reason;
  }
  std::vector<TimedOutTask> timed_out;
  for (const TimedOutTask& t : timeouts.tasks) {
    if (std::none_of(stops.to_stop.begin(), stops.to_stop.end(),
                     [&](const StopRequest& s) { return s.task_id == t.task_id; })) {
      timed_out.push_back(t);
    }
  }
  const Evaluation evaluation = Evaluate(plan, execs, cancellation);
  // Which waiting tasks may start now.
  std::vector<std::pair<std::string, int>> dispatch;
  std::optional<absl::Time> next_wake = timeouts.next_deadline;
  if (!cancellation) {
    for (const std::string& id : evaluation.to_wait) {
      dispatch.emplace_back(id, execs[id].attempt);  // no backoff before a first dispatch
    }
    for (const TaskRecord& t : tasks) {
      if (t.exec.state != TaskState::kWaiting || t.cancel_requested) {
        continue;
      }
      if (t.not_before && *t.not_before > now) {
        next_wake = next_wake ? std::min(*next_wake, *t.not_before) : *t.not_before;
        continue;
      }
      dispatch.emplace_back(t.task_id, t.exec.attempt);
    }
  }
  const bool any = !writes.empty() || record_cancellation || !stops.to_cancel.empty() ||
                   !stops.to_stop.empty() || !cleared.empty() || !timed_out.empty() ||
                   !evaluation.NoTaskDecisions() || evaluation.run_outcome.has_value() ||
                   !dispatch.empty();
  if (!any) {
    if (next_wake) {
      WakeAt(run.key, *next_wake);
    }
    return false;
  }
  GOFER_RETURN_IF_ERROR(store.Fenced(run.key, actor.epoch, who, [&](FencedWrites& w) {
    for (auto& write : writes) {
      write(w);
    }
    if (record_cancellation) {
      w.RecordCancellation(*cancellation, grace);
    }
    for (const std::string& id : cleared) {
      w.ClearTaskCancelRequest(id);
    }
    for (const TaskCompletion& c : stops.to_cancel) {
      w.CompleteTask(c, now);
    }
    for (const StopRequest& s : stops.to_stop) {
      const TaskRecord* t = FindTask(tasks, s.task_id);
      const StatusReason reason =
          cancellation && t && !t->cancel_requested
              ? *cancellation
              : StatusReason{ReasonKind::kCancelled,
                             fmt::format("cancelled by {}", t ? t->cancel_by : "")};
      w.TaskStopRequested(s.task_id, reason, s.grace);
    }
    for (const TimedOutTask& t : timed_out) {
      w.TaskStopRequested(t.task_id, t.reason, config_.default_grace);
    }
    for (const TaskCompletion& c : evaluation.to_skip) {
      w.CompleteTask(c, now);
    }
    for (const TaskCompletion& c : evaluation.to_cancel) {
      w.CompleteTask(c, now);
    }
    for (const auto& [id, attempt] : dispatch) {
      const bool was_pending = std::find(evaluation.to_wait.begin(), evaluation.to_wait.end(),
                                         id) != evaluation.to_wait.end();
      w.TaskStarting(id, attempt, now, /*from_pending=*/was_pending);
    }
    for (const std::string& id : evaluation.to_wait) {
      if (std::none_of(dispatch.begin(), dispatch.end(),
                       [&](const auto& d) { return d.first == id; })) {
        w.TaskWaiting(id, now);
      }
    }
    if (evaluation.run_outcome) {
      w.CompleteRun(*evaluation.run_outcome, now);
    }
  }));
  for (const std::string& id : recorded) {
    if (auto it = actor.watchers.find(id); it != actor.watchers.end()) {
      it->second->Recorded();
      actor.watchers.erase(it);  // joins once the container is removed
    }
  }
  for (const auto& [id, attempt] : dispatch) {
    actor.dispatched.insert(fmt::format("{}/{}", id, attempt));
  }
  return true;
}

void Orchestrator::StartWatchers(Actor& actor, const RunRecord& run,
                                 const std::vector<TaskRecord>& tasks) {
  for (const TaskRecord& t : tasks) {
    auto it = actor.watchers.find(t.task_id);
    if (!IsActive(t.exec.state)) {
      continue;
    }
    if (it == actor.watchers.end()) {
      // (A watcher that is done has its report queued: it wakes the actor again.)
      WatchSpec spec{.run = run,
                     .epoch = actor.epoch,
                     .actor = ActorName(actor),
                     .task_id = t.task_id,
                     .attempt = t.exec.attempt,
                     .state = t.exec.state,
                     .phases = t.phases};
      // An attempt this actor dispatched has no stored log yet; one taken over may have.
      const bool fresh =
          actor.dispatched.count(fmt::format("{}/{}", t.task_id, t.exec.attempt)) > 0;
      auto chunks = fresh
                        ? absl::StatusOr<std::vector<LogChunkRecord>>(std::vector<LogChunkRecord>{})
                        : deps_.store->ListLogChunks(run.key, t.task_id, t.exec.attempt, 0);
      if (chunks.ok() && !chunks->empty()) {
        spec.log_offset = chunks->back().end_offset;
        spec.next_line = chunks->back().first_line + chunks->back().line_count;
        spec.next_seq = chunks->back().seq + 1;
      }
      std::weak_ptr<Actor> weak;
      {
        absl::MutexLock lock(&mu_);
        auto found = actors_.find(actor.member);
        if (found == actors_.end()) {
          return;
        }
        weak = found->second;
      }
      auto watcher = std::make_unique<AttemptWatcher>(deps_.watcher, std::move(spec),
                                                      [this, weak](AttemptReport report) {
                                                        auto held = weak.lock();
                                                        if (!held) {
                                                          return;
                                                        }
                                                        {
                                                          absl::MutexLock lock(&held->mu);
                                                          held->inbox.push_back(std::move(report));
                                                        }
                                                        Wake(held);
                                                      });
      it = actor.watchers.emplace(t.task_id, std::move(watcher)).first;
    }
    if (t.exec.stop_reason) {
      it->second->RequestStop(t.stop_grace);
    }
  }
}

}  // namespace gofer::run_queue
