#include "stack.h"

#include <signal.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gofer/pipeline/config_parser.h"
#include "gofer/testing/status.h"

namespace gofer::run_queue::testing {
namespace {

std::string Binary(const std::string& name) {
  return absl::StrCat(GOFER_BINARY_DIR, "/services/", name, "/gofer-", name);
}

std::string Prefix(const std::string& name) {
  std::string p = "GOFER_";
  for (char c : name) {
    p += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return p + "_";
}

std::string ServingAddress(const std::string& line) {
  const std::string marker = "serving on ";
  const size_t at = line.find(marker);
  REQUIRE(at != std::string::npos);
  const size_t start = at + marker.size();
  return line.substr(start, line.find(' ', start) - start);
}

}  // namespace

Stack::Stack(StackOptions options) : options_(std::move(options)) {
  dir_ = "/tmp/gofer-stack.XXXXXX";
  REQUIRE(mkdtemp(dir_.data()) != nullptr);
  std::ofstream(dir_ + "/master-key") << std::string(64, 'b') << "\n";

  std::map<std::string, std::string> sched = {{"BACKEND", options_.backend}};
  if (options_.backend == "noop") {
    sched["NOOP_RUN_TIME"] = options_.noop_run_time;
    sched["NOOP_JOURNAL"] = dir_ + "/journal";
  } else if (options_.backend == "local") {
    sched["LOCAL_ROOT"] = dir_ + "/scheduler";
  } else if (const char* host = std::getenv("GOFER_TEST_DOCKER_HOST")) {
    sched["DOCKER_HOST"] = host;
  }
  scheduler_process_ = Launch("scheduler", sched);
  object_store_ = Launch("object-store", {{"POSTGRES_DSN", objects_schema_.dsn()},
                                          {"POSTGRES_SCHEMA", objects_schema_.name()},
                                          {"POSTGRES_EVENTS_SCHEMA", events_.name()},
                                          {"STORAGE_ROOT", dir_ + "/objects"}});
  secret_store_ = Launch("secret-store", {{"POSTGRES_DSN", secrets_schema_.dsn()},
                                          {"POSTGRES_SCHEMA", secrets_schema_.name()},
                                          {"POSTGRES_EVENTS_SCHEMA", events_.name()},
                                          {"ENCRYPTION_MASTER_KEY_FILE", dir_ + "/master-key"}});
  object_channel_ =
      rpc::Client({.target = object_store_.address, .internal_credential = kCredential}).channel();
  scheduler_ = scheduler::v1::Scheduler::NewStub(
      rpc::Client({.target = scheduler_process_.address, .internal_credential = kCredential})
          .channel());
  replicas_.resize(options_.replicas);
  stubs_.resize(options_.replicas);
  for (int i = 0; i < options_.replicas; ++i) {
    StartReplica(i);
  }
}

Stack::~Stack() {
  // Close this process's connections first: a server with a client connection still open waits
  // its whole drain timeout before it exits.
  stubs_.clear();
  scheduler_.reset();
  object_channel_.reset();
  for (auto& r : replicas_) {
    if (r.process) {
      r.process->Signal(SIGTERM);
      (void)r.process->Wait(absl::Seconds(20));
    }
  }
  for (Service* s : {&scheduler_process_, &object_store_, &secret_store_}) {
    if (s->process) {
      s->process->Signal(SIGTERM);
      (void)s->process->Wait(absl::Seconds(20));
    }
  }
  if (std::getenv("GOFER_TEST_KEEP") == nullptr) {
    (void)std::system(("rm -rf '" + dir_ + "'").c_str());
  }
}

Stack::Service Stack::Launch(const std::string& name, std::map<std::string, std::string> env) {
  const std::string p = Prefix(name);
  std::map<std::string, std::string> full = {{p + "LISTEN_ADDRESS", "127.0.0.1:0"},
                                             {p + "INTERNAL_CREDENTIAL", kCredential},
                                             {p + "LOG_FORMAT", "text"},
                                             {p + "DRAIN_TIMEOUT", "5s"},
                                             {p + "STARTUP_TIMEOUT", "30s"}};
  for (auto& [k, v] : env) {
    full[p + k] = v;
  }
  auto process = gofer::testing::ChildProcess::Start({Binary(name)}, full);
  GOFER_REQUIRE_OK(process);
  auto line = (*process)->WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(60));
  INFO(name << " output:\n" << (*process)->output());
  GOFER_REQUIRE_OK(line);
  return {*std::move(process), ServingAddress(*line)};
}

std::map<std::string, std::string> Stack::RunQueueEnv(int i) const {
  std::map<std::string, std::string> env = {
      {"POSTGRES_DSN", runqueue_.dsn()},
      {"POSTGRES_SCHEMA", runqueue_.name()},
      {"POSTGRES_EVENTS_SCHEMA", events_.name()},
      {"REDIS_ADDRESS", absl::StrCat(redis_.options().host, ":", redis_.options().port)},
      {"REDIS_DB", std::to_string(redis_.db())},
      {"SCHEDULER_ADDRESS", scheduler_process_.address},
      {"OBJECT_STORE_ADDRESS", object_store_.address},
      {"SECRET_STORE_ADDRESS", secret_store_.address},
      {"REPLICA_ID", absl::StrCat("r", i)},
      {"LOGS_FLUSH_INTERVAL", "100ms"},
      {"RETRY_INITIAL_BACKOFF", "100ms"},
      {"RETRY_MAX_BACKOFF", "1s"},
  };
  for (const auto& [k, v] : options_.run_queue) {
    env[k] = v;
  }
  return env;
}

void Stack::StartReplica(int i) {
  dead_.erase(i);
  replicas_[i] = Launch("run-queue", RunQueueEnv(i));
  stubs_[i] = runqueue::v1::RunQueue::NewStub(
      rpc::Client({.target = replicas_[i].address, .internal_credential = kCredential}).channel());
}

void Stack::KillReplica(int i, int signal) {
  replicas_[i].process->Signal(signal);
  (void)replicas_[i].process->Wait(absl::Seconds(30));
  dead_.insert(i);
}

int Stack::LiveReplica() const {
  for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) {
    if (dead_.count(i) == 0) {
      return i;
    }
  }
  FAIL("every replica was killed");
  return 0;
}

std::string Stack::ReplicaOutput(int i) const { return replicas_[i].process->output(); }

runqueue::v1::RunQueue::Stub& Stack::queue(int i) { return *stubs_[i]; }

std::unique_ptr<grpc::ClientContext> Stack::Context(absl::Duration timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", kCredential));
  context->AddMetadata("x-gofer-caller", "token:tester");
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
  return context;
}

runqueue::v1::StartRunRequest Stack::StartRequest(
    const std::string& yaml, const std::map<std::string, std::string>& variables) {
  auto config = pipeline::ParseConfig(yaml);
  GOFER_REQUIRE_OK(config);
  runqueue::v1::StartRunRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(config->id());
  request.set_config_version(1);
  *request.mutable_config() = *config;
  for (const auto& [k, v] : variables) {
    auto* var = request.add_variables();
    var->set_key(k);
    var->set_value(v);
    var->set_source(gofer::v1::VARIABLE_SOURCE_RUN_OPTIONS);
  }
  request.mutable_initiator()->set_kind(gofer::v1::INITIATOR_KIND_HUMAN);
  request.mutable_initiator()->set_name("tester");
  return request;
}

gofer::v1::Run Stack::StartRun(const std::string& yaml,
                               const std::map<std::string, std::string>& variables, int replica) {
  return StartRun(StartRequest(yaml, variables), replica);
}

gofer::v1::Run Stack::StartRun(const runqueue::v1::StartRunRequest& request, int replica) {
  gofer::v1::Run run;
  auto context = Context();
  grpc::Status status = queue(replica).StartRun(context.get(), request, &run);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return run;
}

gofer::v1::Run Stack::GetRun(const std::string& pipeline, int64_t run_id) {
  gofer::v1::GetRunRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(pipeline);
  request.set_run_id(run_id);
  gofer::v1::Run run;
  for (int r = 0; r < replicas(); ++r) {
    if (dead_.count(r) != 0) continue;
    auto context = Context();
    if (queue(r).GetRun(context.get(), request, &run).ok()) {
      return run;
    }
  }
  FAIL("no replica answered GetRun");
  return run;
}

gofer::v1::Run Stack::WaitForRun(const std::string& pipeline, int64_t run_id,
                                 absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  gofer::v1::Run run;
  while (absl::Now() < deadline) {
    run = GetRun(pipeline, run_id);
    if (run.state() == gofer::v1::RUN_STATE_COMPLETE) {
      return run;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  INFO("run " << run_id << " did not complete: " << run.DebugString());
  for (int r = 0; r < replicas(); ++r) {
    if (replicas_[r].process) {
      INFO("replica " << r << ":\n" << ReplicaOutput(r));
    }
  }
  FAIL("timed out waiting for the run");
  return run;
}

std::map<std::string, gofer::v1::TaskExecution> Stack::Tasks(const std::string& pipeline,
                                                             int64_t run_id) {
  gofer::v1::ListTaskExecutionsRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(pipeline);
  request.set_run_id(run_id);
  gofer::v1::ListTaskExecutionsResponse response;
  auto context = Context();
  grpc::Status status = queue(LiveReplica()).ListTaskExecutions(context.get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  std::map<std::string, gofer::v1::TaskExecution> out;
  for (const auto& t : response.task_executions()) {
    out[t.task_id()] = t;
  }
  return out;
}

std::vector<gofer::v1::TaskLogLine> Stack::Logs(const std::string& pipeline, int64_t run_id,
                                                const std::string& task, int attempt) {
  gofer::v1::TaskLogsRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(pipeline);
  request.set_run_id(run_id);
  request.set_task_id(task);
  request.set_attempt(attempt);
  std::vector<gofer::v1::TaskLogLine> lines;
  grpc::Status status = ReadLogs(request, &lines);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return lines;
}

grpc::Status Stack::ReadLogs(const gofer::v1::TaskLogsRequest& request,
                             std::vector<gofer::v1::TaskLogLine>* lines, absl::Duration timeout) {
  auto context = Context(timeout);
  auto reader = queue(LiveReplica()).TaskLogs(context.get(), request);
  gofer::v1::TaskLogsResponse message;
  while (reader->Read(&message)) {
    for (const auto& line : message.lines()) {
      lines->push_back(line);
    }
  }
  return reader->Finish();
}

void Stack::WaitForLogLine(const std::string& pipeline, int64_t run_id, const std::string& task,
                           const std::string& text, absl::Duration timeout) {
  gofer::v1::TaskLogsRequest request;
  request.set_namespace_id(kNamespace);
  request.set_pipeline_id(pipeline);
  request.set_run_id(run_id);
  request.set_task_id(task);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::vector<gofer::v1::TaskLogLine> lines;
    if (ReadLogs(request, &lines).ok()) {
      for (const auto& line : lines) {
        if (line.text() == text) {
          return;
        }
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  INFO("replica 0:\n" << ReplicaOutput(0));
  FAIL("task " << task << " of run " << run_id << " never logged '" << text << "'");
}

gofer::v1::TaskExecution Stack::WaitForTask(
    const std::string& pipeline, int64_t run_id, const std::string& task,
    const std::function<bool(const gofer::v1::TaskExecution&)>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  gofer::v1::TaskExecution last;
  while (absl::Now() < deadline) {
    auto tasks = Tasks(pipeline, run_id);
    if (auto it = tasks.find(task); it != tasks.end()) {
      last = it->second;
      if (done(last)) {
        return last;
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  INFO("task " << task << " of run " << run_id << ": " << last.DebugString());
  INFO("replica 0:\n" << ReplicaOutput(0));
  FAIL("timed out waiting for the task");
  return last;
}

void Stack::PutSecret(const std::string& pipeline, const std::string& key,
                      const std::string& value) {
  auto stub = secrets::v1::SecretStore::NewStub(
      rpc::Client({.target = secret_store_.address, .internal_credential = kCredential}).channel());
  secrets::v1::PutSecretRequest request;
  request.mutable_ref()->set_scope(secrets::v1::SECRET_SCOPE_PIPELINE);
  request.mutable_ref()->set_namespace_id(kNamespace);
  request.mutable_ref()->set_pipeline_id(pipeline);
  request.mutable_ref()->set_key(key);
  request.set_value(value);
  request.set_force(true);
  secrets::v1::PutSecretResponse response;
  auto context = Context();
  grpc::Status status = stub->PutSecret(context.get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

void Stack::PutPipelineObject(const std::string& pipeline, const std::string& key,
                              const std::string& content) {
  auto stub = objects::v1::ObjectStore::NewStub(object_channel_);
  auto context = Context();
  objects::v1::PutObjectResponse response;
  auto writer = stub->PutObject(context.get(), &response);
  objects::v1::PutObjectRequest header;
  auto* ref = header.mutable_header()->mutable_ref();
  ref->set_scope(objects::v1::OBJECT_SCOPE_PIPELINE);
  ref->set_namespace_id(kNamespace);
  ref->set_pipeline_id(pipeline);
  ref->set_key(key);
  header.mutable_header()->set_force(true);
  REQUIRE(writer->Write(header));
  objects::v1::PutObjectRequest chunk;
  chunk.set_chunk(content);
  REQUIRE(writer->Write(chunk));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  INFO(status.error_message());
  REQUIRE(status.ok());
}

std::vector<std::string> Stack::Journal() const {
  std::ifstream in(dir_ + "/journal");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    names.push_back(line);
  }
  return names;
}

}  // namespace gofer::run_queue::testing
