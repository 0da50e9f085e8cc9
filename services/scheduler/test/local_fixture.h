// A LocalEngine for one test case, on a fresh root directory, with the supervisor built beside
// the tests (GOFER_SCHEDULER_SHIM) and cgroups under "gofer-test". The destructor removes the
// case's containers and its root.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "local_engine.h"

namespace gofer::scheduler::testing {

class LocalFixture {
 public:
  LocalFixture();
  ~LocalFixture();

  LocalEngine& engine() { return *engine_; }
  ContainerEngine& Restart();
  ContainerSpec Spec(std::vector<std::string> command);
  const LocalOptions& options() const { return options_; }

 private:
  LocalOptions options_;
  std::unique_ptr<LocalEngine> engine_;
};

}  // namespace gofer::scheduler::testing
