// Scheduler overhead: a 1-task start→exit through a real gofer-scheduler process (docker
// backend: StartContainer, then WaitState until it exited) against a raw
// `docker run --rm --network none IMAGE true` of the same image on the same engine, alternating,
// --runs times each after one warm-up of each. Prints the medians and their ratio (target
// ≤ 1.2), and the scheduler's start→exit→removed for comparison with --rm.
//
//   scheduler_bench --binary build/services/scheduler/gofer-scheduler
//       --docker-host unix:///path/docker.sock --image gofer-test/busybox:1 [--runs N]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "gofer/rpc/channel.h"
#include "gofer/scheduler/v1/scheduler.grpc.pb.h"
#include "gofer/testing/process.h"

namespace {

namespace v1 = gofer::scheduler::v1;
using gofer::testing::ChildProcess;

struct Options {
  std::string binary;
  std::string docker_host;
  std::string image;
  int runs = 20;
};

int Fail(const std::string& what) {
  std::cerr << "scheduler_bench: " << what << "\n";
  return 1;
}

bool Parse(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--binary") {
      o->binary = argv[i + 1];
    } else if (flag == "--docker-host") {
      o->docker_host = argv[i + 1];
    } else if (flag == "--image") {
      o->image = argv[i + 1];
    } else if (flag != "--runs" || !absl::SimpleAtoi(argv[i + 1], &o->runs)) {
      return false;
    }
  }
  return !o->binary.empty() && !o->docker_host.empty() && !o->image.empty() && o->runs > 0;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// One task through the scheduler; returns {start→exit, start→exit→removed} in ms.
std::pair<double, double> ThroughScheduler(const gofer::rpc::Client& client,
                                           v1::Scheduler::Stub& stub, const Options& o, int n) {
  const absl::Time start = absl::Now();
  v1::StartContainerRequest request;
  request.set_name("gofer-bench-" + std::to_string(getpid()) + "-" + std::to_string(n));
  request.set_image(o.image);
  request.add_command("true");
  (*request.mutable_labels())["gofer.bench"] = "scheduler";
  v1::StartContainerResponse started;
  grpc::Status status = stub.StartContainer(client.NewContext().get(), request, &started);
  if (!status.ok()) {
    throw std::runtime_error("StartContainer: " + status.error_message());
  }
  v1::WaitStateRequest wait;
  wait.set_scheduler_id(started.scheduler_id());
  wait.mutable_timeout()->set_seconds(60);
  v1::WaitStateResponse waited;
  status = stub.WaitState(client.NewContext().get(), wait, &waited);
  if (!status.ok() || waited.status().state() != v1::CONTAINER_STATE_EXITED) {
    throw std::runtime_error("WaitState: " + status.error_message());
  }
  const double exited = absl::ToDoubleMilliseconds(absl::Now() - start);
  v1::RemoveContainerRequest remove;
  remove.set_scheduler_id(started.scheduler_id());
  v1::RemoveContainerResponse removed;
  status = stub.RemoveContainer(client.NewContext().get(), remove, &removed);
  if (!status.ok()) {
    throw std::runtime_error("RemoveContainer: " + status.error_message());
  }
  return {exited, absl::ToDoubleMilliseconds(absl::Now() - start)};
}

// One raw `docker run --rm`, in ms.
double RawDockerRun(const Options& o) {
  const absl::Time start = absl::Now();
  auto run = ChildProcess::Start(
      {"docker", "-H", o.docker_host, "run", "--rm", "--network", "none", o.image, "true"});
  if (!run.ok()) {
    throw std::runtime_error(std::string(run.status().message()));
  }
  auto code = (*run)->Wait(absl::Minutes(1));
  if (!code.ok() || *code != 0) {
    throw std::runtime_error("docker run failed: " + (*run)->output());
  }
  return absl::ToDoubleMilliseconds(absl::Now() - start);
}

// Starts gofer-scheduler on a free port with the docker backend; sets its address.
absl::Status StartScheduler(const Options& o, std::unique_ptr<ChildProcess>* server,
                            std::string* address) {
  auto started = ChildProcess::Start({o.binary}, {{"GOFER_SCHEDULER_LISTEN_ADDRESS", "127.0.0.1:0"},
                                                  {"GOFER_SCHEDULER_INTERNAL_CREDENTIAL", "bench"},
                                                  {"GOFER_SCHEDULER_LOG_FORMAT", "text"},
                                                  {"GOFER_SCHEDULER_BACKEND", "docker"},
                                                  {"GOFER_SCHEDULER_DOCKER_HOST", o.docker_host}});
  if (!started.ok()) {
    return started.status();
  }
  *server = *std::move(started);
  auto line = (*server)->WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(30));
  if (!line.ok()) {
    return absl::UnavailableError("the scheduler did not start: " + (*server)->output());
  }
  const size_t at = line->find("serving on ") + 11;
  *address = line->substr(at, line->find(' ', at) - at);
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!Parse(argc, argv, &o)) {
    return Fail(
        "usage: scheduler_bench --binary PATH --docker-host unix://PATH --image IMAGE "
        "[--runs N]");
  }
  std::unique_ptr<ChildProcess> server;
  std::string address;
  if (absl::Status s = StartScheduler(o, &server, &address); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  gofer::rpc::Client client(
      {.target = address, .internal_credential = "bench", .default_timeout = absl::Minutes(2)});
  auto stub = v1::Scheduler::NewStub(client.channel());
  std::vector<double> scheduled, removed, raw;
  try {
    ThroughScheduler(client, *stub, o, 0);  // warm-up: connections, the events stream
    RawDockerRun(o);
    for (int n = 1; n <= o.runs; ++n) {
      if (n % 2 == 0) {
        raw.push_back(RawDockerRun(o));
      }
      const auto [exit_ms, removed_ms] = ThroughScheduler(client, *stub, o, n);
      scheduled.push_back(exit_ms);
      removed.push_back(removed_ms);
      if (n % 2 == 1) {
        raw.push_back(RawDockerRun(o));
      }
    }
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
  server->Signal(SIGTERM);
  (void)server->Wait(absl::Seconds(30));
  const double ratio = Median(scheduled) / Median(raw);
  std::printf("runs                              %d each (after one warm-up)\n", o.runs);
  std::printf("docker run --rm --network none    median %.1f ms\n", Median(raw));
  std::printf("scheduler start->exit             median %.1f ms\n", Median(scheduled));
  std::printf("scheduler start->exit->removed    median %.1f ms\n", Median(removed));
  std::printf("ratio start->exit / docker run    %.2f (target <= 1.2)\n", ratio);
  return 0;
}
