// API throughput and latency: authenticated reads through a real gofer-api-gateway process
// (Postgres-backed) against a bare gRPC echo server process, with the same client, in one run.
//
//   gateway_bench --gateway PATH --echo PATH [--seconds 5] [--threads 8]
//
// For each target it reports closed-loop throughput with --threads concurrent callers, and
// the latency percentiles of an open-loop run paced at 1,000 requests per second.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "gofer/rpc/channel.h"
#include "gofer/testing/process.h"
#include "gofer/testing/v1/echo.grpc.pb.h"
#include "gofer/v1/pipelines.grpc.pb.h"
#include "gofer/v1/tokens.grpc.pb.h"

namespace {

using gofer::testing::ChildProcess;
using Call = std::function<bool(gofer::rpc::Client&)>;

struct Result {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
};

std::string Address(ChildProcess& process) {
  auto line = process.WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(60));
  if (!line.ok()) {
    std::cerr << "did not start:\n" << process.output() << "\n";
    std::exit(1);
  }
  const size_t at = line->find("serving on ") + 11;
  return line->substr(at, line->find(' ', at) - at);
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Closed loop: `threads` callers as fast as they can for `seconds`.
Result Throughput(gofer::rpc::Client& client, const Call& call, int threads,
                  absl::Duration duration) {
  std::atomic<int64_t> done{0}, errors{0};
  const absl::Time end = absl::Now() + duration;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (absl::Now() < end) {
        (call(client) ? done : errors).fetch_add(1);
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  return {static_cast<double>(done) / absl::ToDoubleSeconds(duration), 0, 0, errors};
}

// Open loop at `rate` requests per second, spread over 4 senders; latency per call.
Result Paced(gofer::rpc::Client& client, const Call& call, int rate, absl::Duration duration) {
  constexpr int kSenders = 4;
  std::vector<std::vector<double>> latencies(kSenders);
  std::atomic<int64_t> errors{0};
  const absl::Duration interval = absl::Seconds(1) * kSenders / rate;
  const absl::Time start = absl::Now();
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      absl::Time next = start + interval * s / kSenders;
      while (next < start + duration) {
        absl::SleepFor(next - absl::Now());
        const absl::Time t0 = absl::Now();
        if (!call(client)) {
          errors.fetch_add(1);
        }
        latencies[s].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        next += interval;
      }
    });
  }
  for (auto& t : senders) {
    t.join();
  }
  std::vector<double> all;
  for (auto& l : latencies) {
    all.insert(all.end(), l.begin(), l.end());
  }
  Result r;
  r.rps = static_cast<double>(all.size()) / absl::ToDoubleSeconds(duration);
  r.p50_ms = Percentile(all, 0.50);
  r.p99_ms = Percentile(all, 0.99);
  r.errors = errors;
  return r;
}

void Report(const char* name, const Result& closed, const Result& paced) {
  std::printf("%-34s %9.0f req/s   at 1k req/s: p50 %.2f ms  p99 %.2f ms   errors %lld\n", name,
              closed.rps, paced.p50_ms, paced.p99_ms,
              static_cast<long long>(closed.errors + paced.errors));
}

}  // namespace

int main(int argc, char** argv) {
  std::string gateway_bin, echo_bin;
  int seconds = 5, threads = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--gateway")
      gateway_bin = argv[i + 1];
    else if (flag == "--echo")
      echo_bin = argv[i + 1];
    else if (flag == "--seconds")
      (void)absl::SimpleAtoi(argv[i + 1], &seconds);
    else if (flag == "--threads")
      (void)absl::SimpleAtoi(argv[i + 1], &threads);
  }
  const char* dsn = std::getenv("GOFER_TEST_PG_DSN");
  if (gateway_bin.empty() || echo_bin.empty() || dsn == nullptr) {
    std::cerr << "usage: GOFER_TEST_PG_DSN=... gateway_bench --gateway PATH --echo PATH\n";
    return 2;
  }
  const std::string suffix = std::to_string(getpid());
  auto gateway = ChildProcess::Start(
      {gateway_bin}, {{"GOFER_API_GATEWAY_LISTEN_ADDRESS", "127.0.0.1:0"},
                      {"GOFER_API_GATEWAY_INTERNAL_CREDENTIAL", "bench"},
                      {"GOFER_API_GATEWAY_LOG_FORMAT", "text"},
                      {"GOFER_API_GATEWAY_POSTGRES_DSN", dsn},
                      {"GOFER_API_GATEWAY_POSTGRES_SCHEMA", "bench_gateway_" + suffix},
                      {"GOFER_API_GATEWAY_POSTGRES_EVENTS_SCHEMA", "bench_events_" + suffix}});
  auto echo = ChildProcess::Start({echo_bin});
  if (!gateway.ok() || !echo.ok()) {
    std::cerr << "cannot start the servers\n";
    return 1;
  }
  gofer::rpc::Client echo_client({.target = Address(**echo)});
  const std::string gateway_address = Address(**gateway);
  gofer::rpc::Client setup({.target = gateway_address});

  // Bootstrap a token and register a pipeline to read.
  auto tokens = gofer::v1::TokenService::NewStub(setup.channel());
  gofer::v1::TokenWithSecret token;
  auto ctx = setup.NewContext();
  if (!tokens->BootstrapToken(ctx.get(), {}, &token).ok()) {
    std::cerr << "bootstrap failed\n";
    return 1;
  }
  gofer::rpc::Client gateway_client(
      {.target = gateway_address, .internal_credential = token.secret()});
  gofer::v1::RegisterConfigRequest reg;
  reg.set_namespace_id("default");
  reg.mutable_config()->set_id("bench");
  auto* task = reg.mutable_config()->add_tasks();
  task->set_id("build");
  task->set_image("busybox");
  gofer::v1::RegisterConfigResponse registered;
  auto configs = gofer::v1::ConfigService::NewStub(gateway_client.channel());
  auto rctx = gateway_client.NewContext();
  if (grpc::Status s = configs->RegisterConfig(rctx.get(), reg, &registered); !s.ok()) {
    std::cerr << "register failed: code " << s.error_code() << ": " << s.error_message() << "\n";
    return 1;
  }

  auto echo_stub = gofer::testing::v1::Echo::NewStub(echo_client.channel());
  auto pipelines = gofer::v1::PipelineService::NewStub(gateway_client.channel());
  const Call echo_call = [&](gofer::rpc::Client& c) {
    gofer::testing::v1::EchoRequest req;
    req.set_message("bench");
    gofer::testing::v1::EchoResponse resp;
    auto context = c.NewContext();
    return echo_stub->Echo(context.get(), req, &resp).ok();
  };
  const Call get_pipeline = [&](gofer::rpc::Client& c) {
    gofer::v1::GetPipelineRequest req;
    req.set_namespace_id("default");
    req.set_pipeline_id("bench");
    gofer::v1::Pipeline resp;
    auto context = c.NewContext();
    return pipelines->GetPipeline(context.get(), req, &resp).ok();
  };
  const Call list_pipelines = [&](gofer::rpc::Client& c) {
    gofer::v1::ListPipelinesRequest req;
    req.set_namespace_id("default");
    req.set_page_size(50);
    gofer::v1::ListPipelinesResponse resp;
    auto context = c.NewContext();
    return pipelines->ListPipelines(context.get(), req, &resp).ok();
  };
  const absl::Duration duration = absl::Seconds(seconds);
  std::printf("%d closed-loop callers for %d s each; paced runs at 1,000 req/s\n", threads,
              seconds);
  const Result echo_closed = Throughput(echo_client, echo_call, threads, duration);
  Report("bare echo server", echo_closed, Paced(echo_client, echo_call, 1000, duration));
  const Result get_closed = Throughput(gateway_client, get_pipeline, threads, duration);
  Report("gateway GetPipeline (authenticated)", get_closed,
         Paced(gateway_client, get_pipeline, 1000, duration));
  const Result list_closed = Throughput(gateway_client, list_pipelines, threads, duration);
  Report("gateway ListPipelines (list read)", list_closed,
         Paced(gateway_client, list_pipelines, 1000, duration));
  std::printf("GetPipeline throughput = %.0f%% of echo; ListPipelines = %.0f%% of echo\n",
              100.0 * get_closed.rps / echo_closed.rps, 100.0 * list_closed.rps / echo_closed.rps);
  (*gateway)->Signal(SIGTERM);
  (*echo)->Signal(SIGTERM);
  (void)(*gateway)->Wait(absl::Seconds(30));
  (void)(*echo)->Wait(absl::Seconds(30));
  return 0;
}
