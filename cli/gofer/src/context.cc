#include "context.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "gofer/rpc/status.h"

namespace gofer::cli {
namespace {

// The environment variable `name`, or "" when unset.
std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// The first non-empty of the arguments.
std::string FirstSet(std::initializer_list<std::string> values) {
  for (const std::string& v : values) {
    if (!v.empty()) {
      return v;
    }
  }
  return "";
}

}  // namespace

std::string DefaultConfigPath() {
  if (std::string path = Env("GOFER_CONFIG"); !path.empty()) {
    return path;
  }
  return Env("HOME") + "/.config/gofer/config.yaml";
}

absl::StatusOr<FileConfig> LoadConfigFile(const std::string& path) {
  FileConfig config;
  if (!std::filesystem::exists(path)) {
    return config;
  }
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (root.IsNull()) {
      return config;
    }
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(fmt::format("config file {}: not a YAML mapping", path));
    }
    if (root["api"]) {
      config.api = root["api"].as<std::string>();
    }
    if (root["token"]) {
      config.token = root["token"].as<std::string>();
    }
    if (root["namespace"]) {
      config.namespace_id = root["namespace"].as<std::string>();
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("config file {}: {}", path, e.what()));
  }
  return config;
}

absl::Status SaveConfigFile(const std::string& path, const FileConfig& update) {
  YAML::Node root;
  try {
    if (std::filesystem::exists(path)) {
      root = YAML::LoadFile(path);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("config file {}: {}", path, e.what()));
  }
  if (!root.IsMap()) {
    root = YAML::Node(YAML::NodeType::Map);
  }
  if (!update.api.empty()) {
    root["api"] = update.api;
  }
  if (!update.token.empty()) {
    root["token"] = update.token;
  }
  if (!update.namespace_id.empty()) {
    root["namespace"] = update.namespace_id;
  }
  YAML::Emitter emitter;
  emitter << root;
  const std::string text = std::string(emitter.c_str()) + "\n";

  const std::filesystem::path file(path);
  std::error_code ec;
  if (file.has_parent_path() && !std::filesystem::exists(file.parent_path())) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message()));
    }
    // The directory holds a secret too: only its owner may list it.
    std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all, ec);
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  // An existing file keeps its mode on open: tighten it before writing the secret.
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    ok = n > 0;
    written += ok ? static_cast<size_t>(n) : 0;
  }
  const int saved_errno = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    return absl::InternalError(
        fmt::format("cannot write {}: {}", path, std::strerror(saved_errno)));
  }
  return absl::OkStatus();
}

absl::Status FromGrpc(const grpc::Status& status) { return rpc::FromGrpcStatus(status); }

absl::StatusOr<std::unique_ptr<Context>> Context::Create(const GlobalFlags& flags) {
  std::unique_ptr<Context> ctx(new Context());
  ctx->config_path_ = flags.config_path.empty() ? DefaultConfigPath() : flags.config_path;
  GOFER_ASSIGN_OR_RETURN(const FileConfig file, LoadConfigFile(ctx->config_path_));
  // GOFER_API_URL is the address a task with inject_api_token gets, next to GOFER_TOKEN.
  ctx->api_ = FirstSet({flags.api, Env("GOFER_API"), Env("GOFER_API_URL"), file.api, kDefaultApi});
  ctx->token_ = FirstSet({flags.token, Env("GOFER_TOKEN"), file.token});
  ctx->file_namespace_ = file.namespace_id;
  const std::string output = FirstSet({flags.output, "table"});
  if (output == "table") {
    ctx->format_ = OutputFormat::kTable;
  } else if (output == "json") {
    ctx->format_ = OutputFormat::kJson;
  } else if (output == "yaml") {
    ctx->format_ = OutputFormat::kYaml;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("unknown output format '{}' (table, json or yaml)", output));
  }
  ctx->exact_times_ = flags.exact_times;
  ctx->limit_ = flags.limit;
  ctx->colour_ = ::isatty(STDOUT_FILENO) == 1 && Env("NO_COLOR").empty();
  return ctx;
}

std::string Context::Namespace(const std::string& flag) const {
  return FirstSet({flag, Env("GOFER_NAMESPACE"), file_namespace_, "default"});
}

std::shared_ptr<grpc::Channel> Context::channel() {
  if (channel_ == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    channel_ = grpc::CreateCustomChannel(api_, grpc::InsecureChannelCredentials(), args);
  }
  return channel_;
}

std::unique_ptr<grpc::ClientContext> Context::NewCall(absl::Duration timeout,
                                                      bool with_token) const {
  auto call = std::make_unique<grpc::ClientContext>();
  if (timeout != absl::InfiniteDuration()) {
    call->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  if (with_token && !token_.empty()) {
    call->AddMetadata("authorization", "Bearer " + token_);
  }
  return call;
}

}  // namespace gofer::cli
