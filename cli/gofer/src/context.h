// What every `gofer` command runs with: the resolved settings (flags > environment > config
// file), a channel to the api-gateway, per-call contexts carrying the token, and paging.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gofer/common/status_macros.h"

namespace gofer::cli {

// How results are printed.
enum class OutputFormat { kTable, kJson, kYaml };

// The global options as given on the command line; empty strings mean "not given".
struct GlobalFlags {
  // --api HOST:PORT.
  std::string api;
  // --token SECRET.
  std::string token;
  // -o/--output: "table", "json" or "yaml".
  std::string output;
  // --config PATH.
  std::string config_path;
  // --exact-times: RFC 3339 instead of "3m ago".
  bool exact_times = false;
  // --limit N: at most N items from a list (0: all).
  int64_t limit = 0;
};

// The keys of the CLI config file (YAML); empty strings mean "not set".
struct FileConfig {
  // `api`: HOST:PORT of the api-gateway.
  std::string api;
  // `token`: the bearer token's secret.
  std::string token;
  // `namespace`: the namespace used when a command is not given -n.
  std::string namespace_id;
};

// The api-gateway address used when nothing else names one.
inline constexpr char kDefaultApi[] = "127.0.0.1:8080";

// $GOFER_CONFIG when set and non-empty, else $HOME/.config/gofer/config.yaml.
std::string DefaultConfigPath();

// Reads the config file at `path`. A missing file is an empty config; a file that is not a
// YAML mapping of strings is INVALID_ARGUMENT naming the file.
absl::StatusOr<FileConfig> LoadConfigFile(const std::string& path);

// Sets the non-empty keys of `update` in the config file at `path`, keeping its other keys,
// creating the file (and its directory) when missing. The file is written with mode 0600 since
// it holds a secret. Fails with the OS error when the file cannot be written.
absl::Status SaveConfigFile(const std::string& path, const FileConfig& update);

// Converts a gRPC status into an absl::Status with its google.rpc details as payloads.
absl::Status FromGrpc(const grpc::Status& status);

// The resolved settings and the connection of one `gofer` invocation. Not thread-safe.
class Context {
 public:
  // Resolves `flags` against the environment (GOFER_API, else GOFER_API_URL as tasks get it;
  // GOFER_TOKEN, GOFER_NAMESPACE) and the config file. Fails with INVALID_ARGUMENT for an unknown
  // output format or an unreadable config file. Does not connect: the channel connects on the first
  // call.
  static absl::StatusOr<std::unique_ptr<Context>> Create(const GlobalFlags& flags);

  // HOST:PORT of the api-gateway.
  const std::string& api() const { return api_; }
  // The token secret; empty when none was configured.
  const std::string& token() const { return token_; }
  // The config file this invocation reads and `token bootstrap --save` writes.
  const std::string& config_path() const { return config_path_; }
  // How to print results.
  OutputFormat format() const { return format_; }
  // True for RFC 3339 times instead of humanised ones.
  bool exact_times() const { return exact_times_; }
  // The most items a list prints (0: all).
  int64_t limit() const { return limit_; }
  // True when stdout is a terminal (and NO_COLOR is unset): colours are allowed.
  bool colour() const { return colour_; }

  // `flag` when non-empty, else GOFER_NAMESPACE, else the config file's namespace, else
  // "default".
  std::string Namespace(const std::string& flag) const;

  // The channel to the api-gateway (created on first use).
  std::shared_ptr<grpc::Channel> channel();

  // A context for one call: deadline `timeout` from now (none when infinite) and, when
  // `with_token` and a token is configured, `authorization: Bearer <token>`.
  std::unique_ptr<grpc::ClientContext> NewCall(absl::Duration timeout = absl::Seconds(30),
                                               bool with_token = true) const;

 private:
  Context() = default;

  std::string api_;
  std::string token_;
  std::string config_path_;
  std::string file_namespace_;
  OutputFormat format_ = OutputFormat::kTable;
  bool exact_times_ = false;
  int64_t limit_ = 0;
  bool colour_ = false;
  std::shared_ptr<grpc::Channel> channel_;
};

// The page size to ask for when at most `limit` items are wanted (0: the server's default).
inline int32_t PageSizeFor(int64_t limit) {
  return limit > 0 && limit < 1000 ? static_cast<int32_t>(limit) : 0;
}

// Collects every item of a paged list: calls `fetch(page_token, &page)` from the first page,
// follows next_page_token until it is empty, repeats, or a page comes back empty, and stops
// early once `limit` items (0: no limit) were collected. `items(response)` returns a pointer to
// the response's repeated item field. Returns one Response holding every item and no page
// token, or the first failed call's status.
template <typename Response, typename Fetch, typename Items>
absl::StatusOr<Response> CollectPages(int64_t limit, Fetch fetch, Items items) {
  Response all;
  std::string token;
  while (true) {
    Response page;
    GOFER_RETURN_IF_ERROR(fetch(token, &page));
    auto* from = items(page);
    auto* to = items(all);
    for (auto& item : *from) {
      if (limit > 0 && to->size() >= limit) {
        return all;
      }
      *to->Add() = std::move(item);
    }
    if (page.next_page_token().empty() || page.next_page_token() == token || from->empty()) {
      return all;
    }
    token = page.next_page_token();
  }
}

}  // namespace gofer::cli
