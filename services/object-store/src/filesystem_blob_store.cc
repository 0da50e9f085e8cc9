#include "filesystem_blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "gofer/common/id_generator.h"

namespace gofer::object_store {
namespace {

absl::Status Errno(const std::string& what) {
  const int e = errno;
  const std::string message = fmt::format("{}: {}", what, std::strerror(e));
  return (e == ENOSPC || e == EDQUOT) ? absl::ResourceExhaustedError(message)
                                      : absl::InternalError(message);
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) {
    return Errno("mkdir " + path);
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Errno("open " + path);
  }
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync " + path);
}

constexpr int64_t kWritebackBytes = int64_t{8} << 20;

class FileWriter final : public BlobWriter {
 public:
  FileWriter(const FilesystemBlobStore& store, std::string tmp_path, int fd)
      : store_(store), tmp_path_(std::move(tmp_path)), fd_(fd), hash_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(hash_, EVP_sha256(), nullptr);
  }

  ~FileWriter() override {
    if (fd_ >= 0) {
      close(fd_);
    }
    unlink(tmp_path_.c_str());  // committed or not: the blob, if committed, is a second link
    EVP_MD_CTX_free(hash_);
  }

  absl::Status Append(std::string_view data) override {
    EVP_DigestUpdate(hash_, data.data(), data.size());
    size_ += static_cast<int64_t>(data.size());
    while (!data.empty()) {
      const ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return Errno("write " + tmp_path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    // Start writing back what has accumulated, without waiting, so the fsync in Finish has
    // little left to do and disk writes overlap the network transfer.
    if (size_ - flushed_ >= kWritebackBytes) {
      sync_file_range(fd_, flushed_, size_ - flushed_, SYNC_FILE_RANGE_WRITE);
      flushed_ = size_;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<BlobDigest> Finish() override {
    if (fsync(fd_) != 0) {
      return Errno("fsync " + tmp_path_);
    }
    close(fd_);
    fd_ = -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(hash_, digest, &length);
    digest_.sha256 =
        absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
    digest_.size = size_;
    return digest_;
  }

  // Links the temporary file into place. Idempotent, and safe to repeat after the blob was
  // collected meanwhile (a retried transaction): the temporary file is kept until destruction.
  absl::Status Commit() override {
    if (digest_.sha256.empty()) {
      return absl::FailedPreconditionError("blob committed before Finish");
    }
    const std::string final_path = store_.PathOf(digest_.sha256);
    const std::string dir = final_path.substr(0, final_path.rfind('/'));
    if (absl::Status s = MakeDir(dir); !s.ok()) {
      return s;
    }
    if (link(tmp_path_.c_str(), final_path.c_str()) != 0 && errno != EEXIST) {
      return Errno("link " + final_path);
    }
    return SyncDir(dir);
  }

 private:
  const FilesystemBlobStore& store_;
  const std::string tmp_path_;
  int fd_;
  EVP_MD_CTX* hash_;
  int64_t size_ = 0;
  int64_t flushed_ = 0;
  BlobDigest digest_;
};

class FileReader final : public BlobReader {
 public:
  FileReader(int fd, int64_t size) : fd_(fd), size_(size) {}
  ~FileReader() override { close(fd_); }

  int64_t size() const override { return size_; }

  absl::Status ReadAt(int64_t offset, size_t max, std::string* out) override {
    if (offset < 0 || offset > size_) {
      return absl::OutOfRangeError(
          fmt::format("offset {} is past the end ({} bytes)", offset, size_));
    }
    const size_t want =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(max), size_ - offset));
    out->resize(want);
    size_t done = 0;
    while (done < want) {
      const ssize_t n =
          pread(fd_, out->data() + done, want - done, offset + static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return Errno("pread");
      }
      if (n == 0) {
        return absl::DataLossError("blob file is shorter than its recorded size");
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

 private:
  int fd_;
  int64_t size_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FilesystemBlobStore>> FilesystemBlobStore::Create(
    const std::string& root) {
  if (root.empty() || root[0] != '/') {
    return absl::InvalidArgumentError(
        fmt::format("blob root must be an absolute path, got '{}'", root));
  }
  for (const std::string& dir : {root, root + "/blobs", root + "/tmp"}) {
    if (absl::Status s = MakeDir(dir); !s.ok()) {
      return s;
    }
  }
  return std::unique_ptr<FilesystemBlobStore>(new FilesystemBlobStore(root));
}

std::string FilesystemBlobStore::PathOf(const std::string& sha256) const {
  return fmt::format("{}/blobs/{}/{}", root_, sha256.substr(0, 2), sha256);
}

absl::StatusOr<std::unique_ptr<BlobWriter>> FilesystemBlobStore::NewBlob() {
  const std::string path =
      fmt::format("{}/tmp/{}", root_, absl::BytesToHexString(SecureRandomBytes(16)));
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Errno("create " + path);
  }
  return std::unique_ptr<BlobWriter>(new FileWriter(*this, path, fd));
}

absl::StatusOr<std::unique_ptr<BlobReader>> FilesystemBlobStore::Open(const std::string& sha256) {
  const std::string path = PathOf(sha256);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(fmt::format("blob {} is not stored", sha256));
    }
    return Errno("open " + path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Errno("stat " + path);
  }
  return std::unique_ptr<BlobReader>(new FileReader(fd, st.st_size));
}

absl::StatusOr<bool> FilesystemBlobStore::Exists(const std::string& sha256) {
  struct stat st;
  if (stat(PathOf(sha256).c_str(), &st) == 0) {
    return true;
  }
  if (errno == ENOENT) {
    return false;
  }
  return Errno("stat " + PathOf(sha256));
}

absl::Status FilesystemBlobStore::Delete(const std::string& sha256) {
  if (unlink(PathOf(sha256).c_str()) != 0 && errno != ENOENT) {
    return Errno("unlink " + PathOf(sha256));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> FilesystemBlobStore::SweepTemporaryFiles(int64_t min_age_seconds) {
  const std::string dir = root_ + "/tmp";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return Errno("opendir " + dir);
  }
  int removed = 0;
  const time_t now = time(nullptr);
  while (const dirent* entry = readdir(d)) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    const std::string path = dir + "/" + entry->d_name;
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && now - st.st_mtime >= min_age_seconds &&
        unlink(path.c_str()) == 0) {
      ++removed;
    }
  }
  closedir(d);
  return removed;
}

}  // namespace gofer::object_store
