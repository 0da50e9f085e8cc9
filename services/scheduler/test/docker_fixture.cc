#include "docker_fixture.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gofer/common/id_generator.h"
#include "gofer/testing/eventually.h"
#include "gofer/testing/status.h"

namespace gofer::scheduler::testing {
namespace {

namespace fs = std::filesystem;
using gofer::testing::ChildProcess;

std::string TempDir(const std::string& prefix) {
  std::string path = "/tmp/" + prefix + ".XXXXXX";
  REQUIRE(mkdtemp(path.data()) != nullptr);
  return path;
}

// A port nothing listens on now (the kernel's choice for a socket bound to port 0).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

absl::StatusOr<std::string> Run(const std::vector<std::string>& argv,
                                std::map<std::string, std::string> env = {}) {
  auto process = ChildProcess::Start(argv, std::move(env));
  if (!process.ok()) {
    return process.status();
  }
  auto code = (*process)->Wait(absl::Minutes(2));
  if (!code.ok()) {
    return code.status();
  }
  if (*code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(argv[0], " exited ", *code, ": ", (*process)->output()));
  }
  return (*process)->output();
}

// A rootfs tar of /bin/busybox with a link per applet, and /etc/passwd for root.
std::string BusyboxTar() {
  const std::string dir = TempDir("gofer-test-rootfs");
  const fs::path root = fs::path(dir) / "rootfs";
  for (const char* sub : {"bin", "etc", "tmp", "proc", "sys", "dev", "root"}) {
    fs::create_directories(root / sub);
  }
  fs::copy_file("/bin/busybox", root / "bin" / "busybox");
  auto applets = Run({"/bin/busybox", "--list"});
  GOFER_REQUIRE_OK(applets);
  for (absl::string_view applet : absl::StrSplit(*applets, '\n', absl::SkipWhitespace())) {
    if (applet != "busybox") {
      fs::create_symlink("busybox", root / "bin" / std::string(applet));
    }
  }
  std::ofstream(root / "etc" / "passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  std::ofstream(root / "etc" / "group") << "root:x:0:\n";
  const std::string tar = dir + "/busybox.tar";
  GOFER_REQUIRE_OK(Run({"tar", "-C", root.string(), "-cf", tar, "."}));
  return tar;
}

}  // namespace

std::string DockerHost() {
  const char* host = std::getenv("GOFER_TEST_DOCKER_HOST");
  if (host == nullptr) {
    FAIL("GOFER_TEST_DOCKER_HOST is not set: run the docker tests through scripts/test");
  }
  return host;
}

absl::StatusOr<std::string> Docker(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> env) {
  std::vector<std::string> argv = {"docker", "-H", DockerHost()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, std::move(env));
}

const std::string& TestImage() {
  static const std::string kImage = "gofer-test/busybox:1";
  static std::once_flag once;
  std::call_once(once, [] {
    if (Docker({"image", "inspect", kImage}).ok()) {
      return;
    }
    const std::string tar = BusyboxTar();
    GOFER_REQUIRE_OK(Docker({"import", "-c", "CMD [\"/bin/sh\"]", tar, kImage}));
    fs::remove_all(fs::path(tar).parent_path());
  });
  return kImage;
}

std::string UniqueSuffix() { return absl::BytesToHexString(SecureRandomBytes(6)); }

DockerFixture::DockerFixture() : case_id_(UniqueSuffix()) {
  auto engine = DockerEngine::Create({.host = DockerHost()});
  GOFER_REQUIRE_OK(engine);
  engine_ = *std::move(engine);
}

DockerFixture::~DockerFixture() {
  auto mine = engine_->List({{"gofer.test-case", case_id_}});
  if (mine.ok()) {
    for (const ContainerStatus& status : *mine) {
      (void)engine_->Remove(status.id, /*force=*/true);
    }
  }
}

ContainerEngine& DockerFixture::Restart() {
  engine_.reset();
  auto engine = DockerEngine::Create({.host = DockerHost()});
  GOFER_REQUIRE_OK(engine);
  engine_ = *std::move(engine);
  return *engine_;
}

ContainerSpec DockerFixture::Spec(std::vector<std::string> command) {
  return ContainerSpec{.name = "gofer-test-" + UniqueSuffix(),
                       .image = TestImage(),
                       .command = std::move(command),
                       .labels = {{"gofer.test-case", case_id_}}};
}

RegistryFixture::RegistryFixture() : dir_(TempDir("gofer-test-registry")) {
  const int port = FreePort();
  address_ = absl::StrCat("127.0.0.1:", port);
  GOFER_REQUIRE_OK(Run({"htpasswd", "-Bbc", dir_ + "/htpasswd", kUser, kPassword}));
  std::ofstream(dir_ + "/registry.yml")
      << "version: 0.1\n"
      << "storage: {filesystem: {rootdirectory: " << dir_ << "/data}}\n"
      << "http: {addr: " << address_ << "}\n"
      << "auth: {htpasswd: {realm: gofer, path: " << dir_ << "/htpasswd}}\n"
      << "log: {level: warn}\n";
  auto registry = ChildProcess::Start({"docker-registry", "serve", dir_ + "/registry.yml"});
  GOFER_REQUIRE_OK(registry);
  registry_ = *std::move(registry);
  REQUIRE(gofer::testing::Eventually([&] { return Listening(port); }));
  image_ = absl::StrCat(address_, "/gofer-test/busybox:", UniqueSuffix());
  // The CLI keeps its login in DOCKER_CONFIG, a directory of this fixture.
  const std::map<std::string, std::string> config = {{"DOCKER_CONFIG", dir_ + "/cli"}};
  GOFER_REQUIRE_OK(Docker({"tag", TestImage(), image_}));
  GOFER_REQUIRE_OK(Docker({"login", "-u", kUser, "-p", kPassword, address_}, config));
  GOFER_REQUIRE_OK(Docker({"push", image_}, config));
  GOFER_REQUIRE_OK(Docker({"rmi", image_}));
}

RegistryFixture::~RegistryFixture() {
  (void)Docker({"rmi", image_});
  registry_.reset();  // kills it
  fs::remove_all(dir_);
}

}  // namespace gofer::scheduler::testing
