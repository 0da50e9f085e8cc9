// gofer-probe: asks one or more gRPC servers' standard health service whether they serve.
//
//   gofer-probe [--timeout 2s] [--wait 30s] [--service NAME] ADDRESS...
//
// Prints "ADDRESS SERVING" (or the status or error) per address and exits 0 only when every
// address reports SERVING. With --wait it keeps asking until they all do or the time is up.
#include <iostream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/rpc/channel.h"

namespace {

constexpr char kUsage[] =
    "Usage: gofer-probe [--timeout 2s] [--wait 0s] [--service NAME] ADDRESS...\n"
    "Checks the gRPC health service of each ADDRESS (host:port); exits 0 when all are SERVING.\n";

bool ParseFlagDuration(const std::string& text, absl::Duration* out) {
  return absl::ParseDuration(gofer::ToAbsl(text), out);
}

}  // namespace

int main(int argc, char** argv) {
  absl::Duration timeout = absl::Seconds(2);
  absl::Duration wait = absl::ZeroDuration();
  std::string service;
  std::vector<std::string> addresses;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--timeout" && has_value && ParseFlagDuration(argv[i + 1], &timeout)) {
      ++i;
    } else if (arg == "--wait" && has_value && ParseFlagDuration(argv[i + 1], &wait)) {
      ++i;
    } else if (arg == "--service" && has_value) {
      service = argv[++i];
    } else if (!arg.empty() && arg[0] != '-') {
      addresses.push_back(arg);
    } else {
      std::cerr << "gofer-probe: bad argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (addresses.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const absl::Time deadline = absl::Now() + wait;
  while (true) {
    std::vector<std::string> lines;
    bool all_serving = true;
    for (const std::string& address : addresses) {
      auto status = gofer::rpc::CheckHealth(address, service, timeout);
      all_serving = all_serving && status.ok() && *status == "SERVING";
      lines.push_back(address + " " + (status.ok() ? *status : status.status().ToString()));
    }
    if (all_serving || absl::Now() >= deadline) {
      for (const std::string& line : lines) {
        std::cout << line << "\n";
      }
      return all_serving ? 0 : 1;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}
