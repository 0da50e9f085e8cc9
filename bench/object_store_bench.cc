// Object-store throughput: uploads and downloads one object of --size bytes (default 1 GiB)
// through a real gofer-object-store process on loopback, and reports MB/s both ways and the
// server's peak RSS. Needs GOFER_TEST_PG_DSN (bench/run starts Postgres).
//
//   object_store_bench --binary build/services/object-store/gofer-object-store [--size BYTES]
#include <openssl/evp.h>
#include <signal.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "gofer/objects/v1/object_store.grpc.pb.h"
#include "gofer/rpc/channel.h"
#include "gofer/testing/process.h"

namespace {

namespace v1 = gofer::objects::v1;

constexpr size_t kChunk = 1 << 20;

int64_t PeakRssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stoll(line.substr(6));
    }
  }
  return -1;
}

std::string Hex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, digest, &n);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), n));
}

int Fail(const std::string& what) {
  std::cerr << "object_store_bench: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary;
  int64_t size = int64_t{1} << 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--binary") {
      binary = argv[i + 1];
    } else if (flag == "--size" && absl::SimpleAtoi(argv[i + 1], &size)) {
    } else {
      return Fail("usage: object_store_bench --binary PATH [--size BYTES]");
    }
  }
  if (binary.empty()) {
    return Fail("--binary is required");
  }
  const char* dsn = std::getenv("GOFER_TEST_PG_DSN");
  if (dsn == nullptr) {
    return Fail("GOFER_TEST_PG_DSN is not set (bench/run starts Postgres and sets it)");
  }
  // The service creates and migrates its schemas itself; fresh names keep runs apart.
  const std::string schema = "bench_objects_" + std::to_string(getpid());
  const std::string events = "bench_events_" + std::to_string(getpid());
  std::string root = "/tmp/gofer-bench-objects.XXXXXX";
  if (mkdtemp(root.data()) == nullptr) {
    return Fail("mkdtemp failed");
  }
  auto server = gofer::testing::ChildProcess::Start(
      {binary}, {{"GOFER_OBJECT_STORE_LISTEN_ADDRESS", "127.0.0.1:0"},
                 {"GOFER_OBJECT_STORE_INTERNAL_CREDENTIAL", "bench"},
                 {"GOFER_OBJECT_STORE_LOG_FORMAT", "text"},
                 {"GOFER_OBJECT_STORE_POSTGRES_DSN", dsn},
                 {"GOFER_OBJECT_STORE_POSTGRES_SCHEMA", schema},
                 {"GOFER_OBJECT_STORE_POSTGRES_EVENTS_SCHEMA", events},
                 {"GOFER_OBJECT_STORE_STORAGE_ROOT", root},
                 {"GOFER_OBJECT_STORE_LIMITS_RUN_OBJECT_BYTES", std::to_string(size)}});
  if (!server.ok()) {
    return Fail(std::string(server.status().message()));
  }
  auto line = (*server)->WaitForLine(
      [](const std::string& l) { return l.find("serving on ") != std::string::npos; },
      absl::Seconds(60));
  if (!line.ok()) {
    return Fail("server did not start: " + (*server)->output());
  }
  const size_t at = line->find("serving on ") + 11;
  const std::string address = line->substr(at, line->find(' ', at) - at);
  gofer::rpc::Client client(
      {.target = address, .internal_credential = "bench", .default_timeout = absl::Minutes(10)});
  auto stub = v1::ObjectStore::NewStub(client.channel());
  const int64_t rss_before = PeakRssKiB((*server)->pid());

  // Upload: pseudo-random bytes generated on the fly (the bench holds one chunk at a time).
  v1::ObjectRef ref;
  ref.set_scope(v1::OBJECT_SCOPE_RUN);
  ref.set_namespace_id("bench");
  ref.set_pipeline_id("bench");
  ref.set_run_id(1);
  ref.set_key("big.bin");
  EVP_MD_CTX* up_hash = EVP_MD_CTX_new();
  EVP_DigestInit_ex(up_hash, EVP_sha256(), nullptr);
  std::mt19937_64 rng(42);
  const absl::Time up_start = absl::Now();
  {
    auto ctx = client.NewContext();
    v1::PutObjectResponse response;
    auto writer = stub->PutObject(ctx.get(), &response);
    v1::PutObjectRequest request;
    request.mutable_header()->mutable_ref()->CopyFrom(ref);
    request.mutable_header()->set_size(size);
    writer->Write(request);
    std::string chunk(kChunk, '\0');
    for (int64_t sent = 0; sent < size;) {
      const size_t n = static_cast<size_t>(std::min<int64_t>(kChunk, size - sent));
      chunk.resize(n);
      for (size_t i = 0; i + 8 <= n; i += 8) {
        const uint64_t v = rng();
        std::memcpy(chunk.data() + i, &v, 8);
      }
      EVP_DigestUpdate(up_hash, chunk.data(), n);
      request.set_chunk(chunk);
      if (!writer->Write(request)) {
        break;
      }
      sent += static_cast<int64_t>(n);
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) {
      return Fail("upload failed: " + status.error_message());
    }
  }
  const double up_seconds = absl::ToDoubleSeconds(absl::Now() - up_start);
  const std::string up_sha = Hex(up_hash);

  // Download and verify.
  EVP_MD_CTX* down_hash = EVP_MD_CTX_new();
  EVP_DigestInit_ex(down_hash, EVP_sha256(), nullptr);
  int64_t received = 0;
  const absl::Time down_start = absl::Now();
  {
    auto ctx = client.NewContext();
    v1::GetObjectRequest request;
    request.mutable_ref()->CopyFrom(ref);
    auto reader = stub->GetObject(ctx.get(), request);
    v1::GetObjectResponse response;
    while (reader->Read(&response)) {
      EVP_DigestUpdate(down_hash, response.chunk().data(), response.chunk().size());
      received += static_cast<int64_t>(response.chunk().size());
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) {
      return Fail("download failed: " + status.error_message());
    }
  }
  const double down_seconds = absl::ToDoubleSeconds(absl::Now() - down_start);
  const bool intact = received == size && Hex(down_hash) == up_sha;
  const int64_t rss_after = PeakRssKiB((*server)->pid());
  (*server)->Signal(SIGTERM);
  (void)(*server)->Wait(absl::Seconds(30));
  std::system(("rm -rf " + root).c_str());

  const double mb = static_cast<double>(size) / 1e6;
  std::printf("object size            %.0f MB\n", mb);
  std::printf("upload                 %.1f MB/s (%.2f s)\n", mb / up_seconds, up_seconds);
  std::printf("download               %.1f MB/s (%.2f s)\n", mb / down_seconds, down_seconds);
  std::printf("server peak RSS        %.1f MB (%.1f MB before the transfer)\n", rss_after / 1024.0,
              rss_before / 1024.0);
  std::printf("content intact         %s\n", intact ? "yes" : "NO");
  return intact ? 0 : 1;
}
