// A 1 GiB object through the in-process gRPC server, real Postgres and a blob root: up and back
// down with its SHA-256 checked both ways, while the process's peak RSS grows by less than
// 64 MiB (the service streams chunk by chunk; nothing holds the object in memory). The bytes
// are generated on the fly from a PRNG and hashed as they go, so the test itself stays flat
// too. Throughput is printed for information only (bench/ measures it).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "absl/time/clock.h"
#include "gofer/testing/status.h"
#include "object_store_server.h"
#include "sha256_hasher.h"

namespace gofer::object_store {
namespace {

namespace v1 = objects::v1;
using testing::ObjectStoreServer;
using testing::Sha256Hasher;
using testing::ToProtoRef;

constexpr int64_t kSize = int64_t{1} << 30;
constexpr size_t kChunk = 1 << 20;
constexpr int64_t kMaxGrowthKiB = 64 * 1024;

// The process's peak resident set size so far (VmHWM), in KiB.
int64_t PeakRssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stoll(line.substr(6));
    }
  }
  FAIL("no VmHWM in /proc/self/status");
  return -1;
}

// xoshiro256**: fast, good enough to defeat any accidental compression or dedupe.
class Prng {
 public:
  explicit Prng(uint64_t seed) {
    for (uint64_t& word : s_) {
      seed += 0x9e3779b97f4a7c15ULL;  // splitmix64 seeding
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  // Fills `out` (whose size is a multiple of 8) with the next bytes.
  void Fill(std::string& out) {
    for (size_t i = 0; i + 8 <= out.size(); i += 8) {
      const uint64_t value = Next();
      std::memcpy(out.data() + i, &value, 8);
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  uint64_t s_[4];
};

// Streams kSize pseudo-random bytes to `ref`; returns their SHA-256 after checking the answer.
std::string UploadBig(ObjectStoreServer& server, const v1::ObjectRef& ref) {
  auto context = server.client().NewContext({.timeout = absl::Minutes(9)});
  v1::PutObjectResponse response;
  auto writer = server.stub().PutObject(context.get(), &response);
  v1::PutObjectRequest request;
  *request.mutable_header()->mutable_ref() = ref;
  request.mutable_header()->set_size(kSize);
  REQUIRE(writer->Write(request));
  Prng prng(20260101);
  Sha256Hasher hasher;
  std::string chunk(kChunk, '\0');
  bool open = true;
  for (int64_t sent = 0; open && sent < kSize; sent += static_cast<int64_t>(kChunk)) {
    prng.Fill(chunk);
    hasher.Update(chunk);
    request.set_chunk(chunk);
    open = writer->Write(request);
  }
  if (open) {
    writer->WritesDone();
  }
  const grpc::Status status = writer->Finish();
  INFO(status.error_message());
  REQUIRE(status.ok());
  const std::string sha256 = hasher.HexDigest();
  REQUIRE(response.object().size() == kSize);
  REQUIRE(response.object().sha256() == sha256);
  return sha256;
}

// Streams `ref` back; returns the SHA-256 of what arrived after checking its size.
std::string DownloadBig(ObjectStoreServer& server, const v1::ObjectRef& ref) {
  auto context = server.client().NewContext({.timeout = absl::Minutes(9)});
  v1::GetObjectRequest request;
  *request.mutable_ref() = ref;
  auto reader = server.stub().GetObject(context.get(), request);
  v1::GetObjectResponse response;
  Sha256Hasher hasher;
  int64_t received = 0;
  while (reader->Read(&response)) {
    REQUIRE(response.chunk().size() <= kChunk);
    hasher.Update(response.chunk());
    received += static_cast<int64_t>(response.chunk().size());
  }
  const grpc::Status status = reader->Finish();
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(received == kSize);
  return hasher.HexDigest();
}

}  // namespace

TEST_CASE("A 1 GiB object streams up and back down intact with flat memory") {
  ObjectStoreServer server(Limits{});  // production limits: objects up to 1 GiB
  // Warm up the channel, the server's threads and the pools with a small object, so the
  // baseline includes one-time allocations that do not depend on the object's size.
  const v1::ObjectRef warmup = ToProtoRef(testing::RunRef("warmup.bin"));
  {
    auto context = server.client().NewContext();
    v1::PutObjectResponse response;
    auto writer = server.stub().PutObject(context.get(), &response);
    v1::PutObjectRequest request;
    *request.mutable_header()->mutable_ref() = warmup;
    request.mutable_header()->set_size(kChunk);
    REQUIRE(writer->Write(request));
    request.set_chunk(std::string(kChunk, 'w'));
    REQUIRE(writer->Write(request));
    writer->WritesDone();
    REQUIRE(writer->Finish().ok());
  }
  const int64_t peak_before = PeakRssKiB();

  const v1::ObjectRef ref = ToProtoRef(testing::RunRef("one-gib.bin"));
  const absl::Time up_start = absl::Now();
  const std::string sent_sha = UploadBig(server, ref);
  const double up_seconds = absl::ToDoubleSeconds(absl::Now() - up_start);
  const absl::Time down_start = absl::Now();
  const std::string received_sha = DownloadBig(server, ref);
  const double down_seconds = absl::ToDoubleSeconds(absl::Now() - down_start);
  const int64_t peak_after = PeakRssKiB();

  const double mb = static_cast<double>(kSize) / 1e6;
  std::cout << fmt::format(
      "1 GiB object: upload {:.1f} MB/s, download {:.1f} MB/s, peak RSS {:.1f} MiB -> {:.1f} "
      "MiB (+{:.1f} MiB)\n",
      mb / up_seconds, mb / down_seconds, peak_before / 1024.0, peak_after / 1024.0,
      (peak_after - peak_before) / 1024.0);

  REQUIRE(received_sha == sent_sha);
  auto info = server.env().manager().Stat(testing::RunRef("one-gib.bin"));
  GOFER_REQUIRE_OK(info);
  REQUIRE(info->size == kSize);
  REQUIRE(info->sha256 == sent_sha);
  REQUIRE(server.env().TempFiles() == 0);
  REQUIRE(peak_after - peak_before < kMaxGrowthKiB);
}

}  // namespace gofer::object_store
