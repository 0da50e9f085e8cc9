// The RBAC matrix's shared pieces (see rbac_matrix_test.cc): the expected outcomes, the callers,
// the fixture every row runs against, and the rows of the pipeline, store and run services (in
// rbac_matrix_pipeline_rows.cc, rbac_matrix_store_rows.cc and rbac_matrix_run_rows.cc).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gateway_server.h"
#include "store_servers.h"

namespace gofer::api_gateway::matrix {

// kWithoutReason: PERMISSION_DENIED or UNAUTHENTICATED without the ErrorInfo reason (never
// expected).
enum class Expect { kAllowed, kDenied, kUnauthenticated, kWithoutReason };
inline constexpr Expect A = Expect::kAllowed;
inline constexpr Expect D = Expect::kDenied;
inline constexpr Expect U = Expect::kUnauthenticated;

// A caller of the matrix: a system role's token, or nobody.
struct Who {
  std::string name;
  std::string secret;  // empty: no token
  std::string token_id;
};

// The gateway (with the object-store and secret-store it forwards to) and the matrix's
// fixtures: namespace "other" (created by the admin, so it has an event), an event in
// "default", a custom role "custom", and in both "default" and "other" pipeline "fixed" with
// versions 1 and 2 (1 deployed immediately: deployment 1), object "fixed.txt" and secret
// "fixed" of that pipeline; and global secret "fixed".
struct Matrix {
  testing::GatewayWithStores env;
  testing::GatewayServer& gw = env.gw();
  std::atomic<int> next{0};

  Matrix();

  std::string Unique(const char* prefix) { return prefix + std::to_string(next++); }

  static v1::CreateRoleRequest RoleRequest(const std::string& id);

  // OK once the first event of a WatchEvents stream arrived, or how the stream ended.
  absl::Status WatchFirst(const Who& caller, const std::string& namespace_id);
};

using Call = std::function<absl::Status(Matrix&, const Who&)>;

struct Row {
  std::string method;   // "Service.Method"
  std::string variant;  // what the request targets, when it matters
  Expect admin, user, read_only, anonymous;
  Call call;
};

// Wraps a call returning a StatusOr into one returning its status.
template <typename F>
Call S(F f) {
  return [f](Matrix& m, const Who& c) -> absl::Status { return f(m, c).status(); };
}

// Rows of PipelineService, ConfigService and DeploymentService.
std::vector<Row> PipelineRows();
// Rows of ObjectService and SecretService.
std::vector<Row> StoreRows();
// Rows of RunService and TaskService.
std::vector<Row> RunRows();

}  // namespace gofer::api_gateway::matrix
