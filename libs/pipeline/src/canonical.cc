#include "gofer/pipeline/canonical.h"

#include <openssl/sha.h>

#include <algorithm>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace gofer::pipeline {
namespace {

using gofer::v1::Task;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'; }

// LF line endings, no blank lines before the first line with text, no whitespace at the end.
std::string NormalizeScript(const std::string& script) {
  std::string out;
  out.reserve(script.size());
  for (size_t i = 0; i < script.size(); ++i) {
    if (script[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < script.size() && script[i + 1] == '\n') {
        ++i;
      }
    } else {
      out.push_back(script[i]);
    }
  }
  while (!out.empty() && IsBlank(out.back())) {
    out.pop_back();
  }
  // Drop whole lines of whitespace at the start; the first line with text keeps its indent.
  size_t start = 0;
  for (size_t i = 0; i < out.size() && IsBlank(out[i]); ++i) {
    if (out[i] == '\n') {
      start = i + 1;
    }
  }
  return out.substr(start);
}

void CanonicalizeTask(Task& task) {
  task.set_script(NormalizeScript(task.script()));
  if (task.has_registry_auth() && task.registry_auth().username().empty() &&
      task.registry_auth().password_secret().empty()) {
    task.clear_registry_auth();
  }
  if (task.has_resources() && task.resources().cpu().empty() && task.resources().memory().empty()) {
    task.clear_resources();
  }
  if (task.has_retries() && task.retries().attempts() == 0 &&
      task.retries().on() == gofer::v1::RETRY_ON_UNSPECIFIED) {
    task.clear_retries();
  }
  if (task.has_timeout() && task.timeout().seconds() == 0 && task.timeout().nanos() == 0) {
    task.clear_timeout();
  }
}

}  // namespace

gofer::v1::PipelineConfig Canonicalize(const gofer::v1::PipelineConfig& config) {
  gofer::v1::PipelineConfig out = config;
  out.DiscardUnknownFields();
  if (out.has_run_timeout() && out.run_timeout().seconds() == 0 && out.run_timeout().nanos() == 0) {
    out.clear_run_timeout();
  }
  for (Task& task : *out.mutable_tasks()) {
    CanonicalizeTask(task);
  }
  std::stable_sort(out.mutable_tasks()->begin(), out.mutable_tasks()->end(),
                   [](const Task& a, const Task& b) { return a.id() < b.id(); });
  return out;
}

std::string ConfigHash(const gofer::v1::PipelineConfig& config) {
  const gofer::v1::PipelineConfig canonical = Canonicalize(config);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    canonical.SerializeToCodedStream(&coded);
  }  // The CodedOutputStream flushes into `bytes` when it is destroyed.
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0x0f]);
  }
  return hex;
}

}  // namespace gofer::pipeline
