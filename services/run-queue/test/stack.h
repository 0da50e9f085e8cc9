// A real run-queue stack for integration tests, chaos tests and benchmarks: the scheduler (noop,
// local or docker backend), object-store, secret-store and any number of run-queue replicas run
// as processes of their built binaries, against the Postgres and Redis that scripts/test starts
// (a fresh schema set and Redis database per stack). Tests drive the RunQueue API directly.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/channel.h"
#include "gofer/runqueue/v1/run_queue.grpc.pb.h"
#include "gofer/scheduler/v1/scheduler.grpc.pb.h"
#include "gofer/secrets/v1/secret_store.grpc.pb.h"
#include "gofer/testing/fixtures.h"
#include "gofer/testing/process.h"

namespace gofer::run_queue::testing {

struct StackOptions {
  // "noop", "local" or "docker".
  std::string backend = "local";
  // noop backend: how long each container runs.
  std::string noop_run_time = "0s";
  int replicas = 1;
  // Extra GOFER_RUN_QUEUE_* settings (key without the prefix, e.g. "LEASE_TTL").
  std::map<std::string, std::string> run_queue;
};

class Stack {
 public:
  explicit Stack(StackOptions options = {});
  ~Stack();

  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // The RunQueue API of replica `i` (any live replica serves every run).
  runqueue::v1::RunQueue::Stub& queue(int i = 0);
  // A context with the internal credential and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(30)) const;

  // Starts a run of `yaml` (a pipeline config) in namespace "test", pipeline = the config's id.
  gofer::v1::Run StartRun(const std::string& yaml,
                          const std::map<std::string, std::string>& variables = {},
                          int replica = 0);
  // The StartRun request of `yaml` with run `variables` (to change before sending it).
  static runqueue::v1::StartRunRequest StartRequest(
      const std::string& yaml, const std::map<std::string, std::string>& variables = {});
  // Sends `request` (REQUIREs success).
  gofer::v1::Run StartRun(const runqueue::v1::StartRunRequest& request, int replica = 0);
  // Polls until the run is complete (REQUIREs it within `timeout`).
  gofer::v1::Run WaitForRun(const std::string& pipeline, int64_t run_id,
                            absl::Duration timeout = absl::Seconds(60));
  gofer::v1::Run GetRun(const std::string& pipeline, int64_t run_id);
  // The run's task executions by task id.
  std::map<std::string, gofer::v1::TaskExecution> Tasks(const std::string& pipeline,
                                                        int64_t run_id);
  // Every log line of a task's attempt (0: latest), without following.
  std::vector<gofer::v1::TaskLogLine> Logs(const std::string& pipeline, int64_t run_id,
                                           const std::string& task, int attempt = 0);
  // Reads a TaskLogs stream to its end into `lines`; returns how the stream ended.
  grpc::Status ReadLogs(const gofer::v1::TaskLogsRequest& request,
                        std::vector<gofer::v1::TaskLogLine>* lines,
                        absl::Duration timeout = absl::Seconds(30));
  // Polls the task's latest attempt's stored log until a line reads `text` (REQUIREs it within
  // `timeout`).
  void WaitForLogLine(const std::string& pipeline, int64_t run_id, const std::string& task,
                      const std::string& text, absl::Duration timeout = absl::Seconds(30));
  // Polls the task until `done` holds for it (REQUIREs it within `timeout`) and returns it.
  gofer::v1::TaskExecution WaitForTask(
      const std::string& pipeline, int64_t run_id, const std::string& task,
      const std::function<bool(const gofer::v1::TaskExecution&)>& done,
      absl::Duration timeout = absl::Seconds(30));

  // Stores a pipeline secret / a pipeline object.
  void PutSecret(const std::string& pipeline, const std::string& key, const std::string& value);
  void PutPipelineObject(const std::string& pipeline, const std::string& key,
                         const std::string& content);

  // Replica processes.
  void StartReplica(int i);
  void KillReplica(int i, int signal);
  int replicas() const { return static_cast<int>(replicas_.size()); }
  // Replica `i`'s host:port, for a client of its own (such as an api-gateway forwarding to the
  // stack), which must present kCredential.
  const std::string& replica_address(int i = 0) const { return replicas_[i].address; }
  // The first replica not killed.
  int LiveReplica() const;
  std::string ReplicaOutput(int i) const;

  // The scheduler's journal (noop backend): every container name started, in order.
  std::vector<std::string> Journal() const;
  // The scheduler, to look at containers.
  scheduler::v1::Scheduler::Stub& scheduler() { return *scheduler_; }
  // The scheduler's host:port, for a client of its own (such as an api-gateway relaying attach
  // sessions), which must present kCredential.
  const std::string& scheduler_address() const { return scheduler_process_.address; }

  // Postgres (the runqueue schema's search_path) and Redis of this stack.
  const gofer::testing::PgTestSchema& runqueue_schema() const { return runqueue_; }
  const gofer::testing::PgTestSchema& events_schema() const { return events_; }
  const gofer::testing::RedisTestDb& redis() const { return redis_; }

 private:
  struct Service {
    std::unique_ptr<gofer::testing::ChildProcess> process;
    std::string address;
  };
  Service Launch(const std::string& name, std::map<std::string, std::string> env);
  std::map<std::string, std::string> RunQueueEnv(int i) const;

  const StackOptions options_;
  gofer::testing::PgTestSchema runqueue_{"rq"};
  gofer::testing::PgTestSchema events_{"ev"};
  gofer::testing::PgTestSchema objects_schema_{"obj"};
  gofer::testing::PgTestSchema secrets_schema_{"sec"};
  gofer::testing::RedisTestDb redis_;
  std::string dir_;
  Service scheduler_process_;
  Service object_store_;
  Service secret_store_;
  std::vector<Service> replicas_;
  std::set<int> dead_;
  std::vector<std::unique_ptr<runqueue::v1::RunQueue::Stub>> stubs_;
  std::shared_ptr<grpc::Channel> object_channel_;
  std::unique_ptr<scheduler::v1::Scheduler::Stub> scheduler_;
};

// The namespace every Stack run uses.
inline constexpr char kNamespace[] = "test";
// The internal credential every process of a stack accepts (and presents to the others).
inline constexpr char kCredential[] = "stack-credential";

}  // namespace gofer::run_queue::testing
