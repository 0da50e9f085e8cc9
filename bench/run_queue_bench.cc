// Run-queue benchmarks (bench/run runqueue), on the real binaries (services/run-queue/test/
// stack.h) with the noop scheduler backend, so the engine is not what is measured:
//   1. throughput: 3-task DAG runs (fetch → build, fetch → test) pushed as fast as four
//      clients can start them; runs/s from the first start to the last completion, and the
//      dispatch overhead — a task ready (its parent's container exited, or the run admitted)
//      until its start was requested (entered starting) — p50/p99 from the recorded phases;
//   2. takeover: runs with long-running containers spread over two replicas; one is killed
//      with SIGKILL; the time until each of its runs is leased by the survivor (and its
//      container adopted).
// Built as a Catch2 program because the stack reports setup failures through Catch.
#include <signal.h>

#include <catch2/catch.hpp>

#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "gofer/pg/pool.h"
#include "gofer/pg/transaction.h"
#include "gofer/rpc/proto_time.h"
#include "stack.h"

namespace gofer::run_queue::testing {
namespace {

constexpr char kDag[] = R"(
id: bench
tasks:
  - id: fetch
    image: busybox
    command: [fetch]
  - id: build
    image: busybox
    depends_on: {fetch: success}
    command: [build]
  - id: test
    image: busybox
    depends_on: {fetch: success}
    command: [test]
)";

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

struct Latencies {
  std::vector<double> dispatch_ms;  // parent exited -> child start requested
  std::vector<double> ready_ms;     // parent complete (logs stored) -> child start requested
  std::vector<double> root_ms;      // run admitted -> first task start requested
  int successful = 0;
};

Latencies Measure(Stack& stack, int64_t first_run) {
  auto pool = stack.runqueue_schema().MakePool(1);
  Latencies out;
  REQUIRE(pg::Transact(*pool, [&](pqxx::work& tx) {
            for (const auto& r : tx.exec_params(
                     "SELECT extract(epoch FROM (c.leased - p.exited)) * 1000 "
                     "FROM task_executions c JOIN task_executions p USING (namespace_id, "
                     "pipeline_id, run_id) WHERE c.task_id IN ('build', 'test') AND "
                     "p.task_id = 'fetch' AND c.run_id >= $1",
                     first_run)) {
              out.dispatch_ms.push_back(r[0].as<double>());
            }
            for (const auto& r : tx.exec_params(
                     "SELECT extract(epoch FROM (c.leased - p.logs_flushed)) * 1000 "
                     "FROM task_executions c JOIN task_executions p USING (namespace_id, "
                     "pipeline_id, run_id) WHERE c.task_id IN ('build', 'test') AND "
                     "p.task_id = 'fetch' AND c.run_id >= $1",
                     first_run)) {
              out.ready_ms.push_back(r[0].as<double>());
            }
            for (const auto& r : tx.exec_params(
                     "SELECT extract(epoch FROM (t.leased - r.started)) * 1000 "
                     "FROM task_executions t JOIN runs r USING (namespace_id, pipeline_id, "
                     "run_id) WHERE t.task_id = 'fetch' AND r.run_id >= $1",
                     first_run)) {
              out.root_ms.push_back(r[0].as<double>());
            }
            out.successful = tx.exec_params(
                                   "SELECT count(*) FROM runs WHERE status = "
                                   "'successful' AND run_id >= $1",
                                   first_run)[0][0]
                                 .as<int>();
            return absl::OkStatus();
          }).ok());
  return out;
}

void PrintLatencies(const Latencies& l) {
  std::cout << fmt::format(
      "  dispatch overhead, parent complete (its logs stored) -> child start requested: p50 "
      "{:.1f} ms, p99 {:.1f} ms\n",
      Percentile(l.ready_ms, 0.5), Percentile(l.ready_ms, 0.99));
  std::cout << fmt::format(
      "  dispatch overhead, parent exited -> child start requested: p50 {:.1f} ms, p99 {:.1f} "
      "ms (n={})\n",
      Percentile(l.dispatch_ms, 0.5), Percentile(l.dispatch_ms, 0.99), l.dispatch_ms.size());
  std::cout << fmt::format(
      "  dispatch overhead, run admitted -> first task start requested: p50 {:.1f} ms, p99 "
      "{:.1f} ms\n",
      Percentile(l.root_ms, 0.5), Percentile(l.root_ms, 0.99));
}

TEST_CASE("dispatch overhead at a moderate load") {
  const int rate = EnvInt("GOFER_BENCH_RATE", 20);
  const int seconds = EnvInt("GOFER_BENCH_SECONDS", 10);
  Stack stack({.backend = "noop", .replicas = 1});
  for (int i = 0; i < 10; ++i) {
    stack.StartRun(kDag);
  }
  stack.WaitForRun("bench", 10, absl::Seconds(60));
  const absl::Duration gap = absl::Seconds(1) / rate;
  absl::Time next = absl::Now();
  for (int i = 0; i < rate * seconds; ++i) {
    absl::SleepFor(next - absl::Now());
    stack.StartRun(kDag);
    next += gap;
  }
  for (int64_t id = 11; id <= 10 + rate * seconds; ++id) {
    stack.WaitForRun("bench", id, absl::Minutes(5));
  }
  const Latencies l = Measure(stack, 11);
  CHECK(l.successful == rate * seconds);
  std::cout << fmt::format("moderate load: {} runs/s offered for {} s, {} successful\n", rate,
                           seconds, l.successful);
  PrintLatencies(l);
}

TEST_CASE("throughput of 3-task DAG runs and dispatch overhead") {
  const int runs = EnvInt("GOFER_BENCH_RUNS", 600);
  const int workers = EnvInt("GOFER_BENCH_RQ_WORKERS", 8);
  Stack stack({.backend = "noop",
               .replicas = 1,
               .run_queue = {{"WORKERS", std::to_string(workers)},
                             {"POSTGRES_POOL_SIZE", "16"},
                             {"REDIS_POOL_SIZE", "16"}}});
  // Warm up connections and caches.
  for (int i = 0; i < 10; ++i) {
    stack.StartRun(kDag);
  }
  stack.WaitForRun("bench", 10, absl::Seconds(60));
  const absl::Time begin = absl::Now();
  std::atomic<int> next{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      while (next.fetch_add(1) < runs) {
        stack.StartRun(kDag);
      }
    });
  }
  for (auto& t : clients) t.join();
  const absl::Duration submit = absl::Now() - begin;
  const int64_t last = 10 + runs;
  for (int64_t id = 11; id <= last; ++id) {
    stack.WaitForRun("bench", id, absl::Minutes(10));
  }
  const absl::Duration total = absl::Now() - begin;

  const Latencies l = Measure(stack, 11);
  CHECK(l.successful == runs);
  std::cout << fmt::format(
      "saturated: {} runs (3 tasks each) started by 4 clients as fast as they could, done in "
      "{:.2f} s = {:.1f} runs/s ({:.1f} tasks/s); submitting took {:.2f} s; {} successful\n",
      runs, absl::ToDoubleSeconds(total), runs / absl::ToDoubleSeconds(total),
      3 * runs / absl::ToDoubleSeconds(total), absl::ToDoubleSeconds(submit), l.successful);
  std::cout << "  (latencies under saturation are mostly time queued behind other runs)\n";
  PrintLatencies(l);
}

TEST_CASE("end to end: a 1-task run on the local backend, start to complete") {
  Stack stack({.backend = "local"});
  constexpr char kHello[] = R"(
id: hello
tasks:
  - id: hello
    image: busybox
    script: echo hello
)";
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const auto run = stack.StartRun(kHello);
    const auto done = stack.WaitForRun("hello", run.run_id(), absl::Seconds(60));
    REQUIRE(done.status() == gofer::v1::RUN_STATUS_SUCCESSFUL);
    if (i > 0) {  // the first warms up
      ms.push_back(absl::ToDoubleMilliseconds(rpc::FromTimestamp(done.ended()) -
                                              rpc::FromTimestamp(done.queued())));
    }
  }
  std::cout << fmt::format(
      "end to end, 1-task run on the local backend, queued -> complete (recorded times): "
      "p50 {:.1f} ms, p90 {:.1f} ms, max {:.1f} ms (n={})\n",
      Percentile(ms, 0.5), Percentile(ms, 0.9), Percentile(ms, 1.0), ms.size());
}

TEST_CASE("takeover after SIGKILL of a replica") {
  const std::string ttl = std::getenv("GOFER_BENCH_TTL") ? std::getenv("GOFER_BENCH_TTL") : "10s";
  Stack stack({.backend = "noop",
               .noop_run_time = "10m",
               .replicas = 2,
               .run_queue = {{"LEASE_TTL", ttl}}});
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(stack.StartRun(kDag, {}, i % 2).run_id());
  }
  // Every run leased and its first container started.
  for (int64_t id : ids) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (stack.Tasks("bench", id)["fetch"].state() != gofer::v1::TASK_EXECUTION_STATE_RUNNING) {
      REQUIRE(absl::Now() < deadline);
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  std::vector<int64_t> victims;
  for (int64_t id : ids) {
    if (stack.GetRun("bench", id).lease_holder() == "r0") {
      victims.push_back(id);
    }
  }
  REQUIRE(!victims.empty());
  const absl::Time killed = absl::Now();
  stack.KillReplica(0, SIGKILL);
  std::vector<double> seconds;
  for (int64_t id : victims) {
    const absl::Time deadline = killed + absl::Minutes(2);
    while (stack.GetRun("bench", id).lease_holder() != "r1") {
      REQUIRE(absl::Now() < deadline);
      absl::SleepFor(absl::Milliseconds(10));
    }
    seconds.push_back(absl::ToDoubleSeconds(absl::Now() - killed));
  }
  std::cout << fmt::format(
      "takeover with lease.ttl {}: {} runs of the killed replica resumed by the other; after "
      "SIGKILL: first {:.2f} s, median {:.2f} s, last {:.2f} s\n",
      ttl, victims.size(), Percentile(seconds, 0), Percentile(seconds, 0.5),
      Percentile(seconds, 1.0));
}

}  // namespace
}  // namespace gofer::run_queue::testing
