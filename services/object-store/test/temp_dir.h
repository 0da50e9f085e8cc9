// A private temporary directory for one test case, and file counting under it.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace gofer::object_store::testing {

// A fresh directory made with mkdtemp under $TMPDIR (or /tmp), removed with its content when
// destroyed unless GOFER_TEST_KEEP=1.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/gofer-object-store-test.XXXXXX";
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempDir() {
    const char* keep = std::getenv("GOFER_TEST_KEEP");
    if (keep == nullptr || std::string(keep) != "1") {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Regular files under `dir` (recursively); 0 when `dir` does not exist.
inline int CountFiles(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::exists(dir, error)) {
    return 0;
  }
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      ++count;
    }
  }
  return count;
}

}  // namespace gofer::object_store::testing
