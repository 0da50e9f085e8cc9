#include "local_fixture.h"

#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "gofer/common/id_generator.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler::testing {

LocalFixture::LocalFixture() {
  std::string root = "/tmp/gofer-test-local.XXXXXX";
  REQUIRE(mkdtemp(root.data()) != nullptr);
  options_ = {.root = root, .shim = GOFER_SCHEDULER_SHIM, .cgroup_parent = "gofer-test"};
  auto engine = LocalEngine::Create(options_);
  GOFER_REQUIRE_OK(engine);
  engine_ = *std::move(engine);
}

LocalFixture::~LocalFixture() {
  auto all = engine_->List({});
  if (all.ok()) {
    for (const ContainerStatus& status : *all) {
      (void)engine_->Remove(status.id, /*force=*/true);
    }
  }
  engine_.reset();
  std::error_code error;
  std::filesystem::remove_all(options_.root, error);
}

ContainerEngine& LocalFixture::Restart() {
  engine_.reset();
  auto engine = LocalEngine::Create(options_);
  GOFER_REQUIRE_OK(engine);
  engine_ = *std::move(engine);
  return *engine_;
}

ContainerSpec LocalFixture::Spec(std::vector<std::string> command) {
  return ContainerSpec{.name = "gofer-test-" + absl::BytesToHexString(SecureRandomBytes(6)),
                       .image = "recorded-not-used:1",
                       .command = std::move(command)};
}

}  // namespace gofer::scheduler::testing
