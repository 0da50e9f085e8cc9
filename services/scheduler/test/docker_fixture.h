// Test support for the docker backend against the private dockerd that scripts/test starts
// (GOFER_TEST_DOCKER_HOST): the test image, built here from busybox-static with `docker import`
// (no registry needed), a per-case DockerEngine that removes the case's containers, and a
// local registry (Debian's docker-registry with htpasswd) holding a copy of the test image.
// Everything a test creates carries a gofer label; nothing else on the engine is touched.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "docker_engine.h"
#include "gofer/testing/process.h"

namespace gofer::scheduler::testing {

// The engine socket of the test dockerd; fails the test when GOFER_TEST_DOCKER_HOST is unset.
std::string DockerHost();

// Runs the docker CLI against DockerHost() with `args` (and extra environment); returns its
// output, or FAILED_PRECONDITION with the output when it exits non-zero.
absl::StatusOr<std::string> Docker(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> env = {});

// "gofer-test/busybox:1": /bin/busybox and its applet links, imported once per process.
const std::string& TestImage();

// A random suffix for names and labels.
std::string UniqueSuffix();

// A DockerEngine for one test case. Every spec it makes carries the label gofer.test-case=<id>;
// the destructor removes every container with that label.
class DockerFixture {
 public:
  DockerFixture();
  ~DockerFixture();

  ContainerEngine& engine() { return *engine_; }
  ContainerEngine& Restart();
  ContainerSpec Spec(std::vector<std::string> command);
  const std::string& case_id() const { return case_id_; }

 private:
  std::string case_id_;
  std::unique_ptr<DockerEngine> engine_;
};

// A docker-registry on a free loopback port requiring `username`/`password`, holding the test
// image as image(); stopped (and its storage removed) when destroyed.
class RegistryFixture {
 public:
  static constexpr char kUser[] = "gofer";
  static constexpr char kPassword[] = "s3cret-registry";

  RegistryFixture();
  ~RegistryFixture();

  // "127.0.0.1:PORT/gofer-test/busybox:<unique>", pushed, and absent from the engine's images.
  const std::string& image() const { return image_; }

 private:
  std::string dir_;
  std::string address_;
  std::string image_;
  std::unique_ptr<gofer::testing::ChildProcess> registry_;
};

}  // namespace gofer::scheduler::testing
