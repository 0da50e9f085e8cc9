// SystemService and the gateway's cross-cutting behaviour through an in-process gateway on real
// Postgres: pausing runs, summary counts, the development mode without authentication, and
// internal errors leaving as opaque error ids.
#include <catch2/catch.hpp>

#include <string>

#include "gateway_server.h"
#include "gofer/common/errors.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway {
namespace {

using testing::GatewayServer;
using NamespaceStub = v1::NamespaceService::Stub;
using SystemStub = v1::SystemService::Stub;
using TokenStub = v1::TokenService::Stub;

absl::StatusOr<v1::UpdateSystemResponse> SetPaused(GatewayServer& gw, bool paused) {
  v1::UpdateSystemRequest request;
  request.set_runs_paused(paused);
  return gw.Call(gw.admin_secret(), &SystemStub::UpdateSystem, request);
}

}  // namespace

TEST_CASE("UpdateSystem pauses and resumes run starts, reporting whether the flag changed") {
  GatewayServer gw;
  auto info = gw.Call(gw.admin_secret(), &SystemStub::GetSystemInfo, v1::GetSystemInfoRequest());
  GOFER_REQUIRE_OK(info);
  CHECK_FALSE(info->runs_paused());
  CHECK_FALSE(info->auth_disabled());
  CHECK_FALSE(info->version().empty());

  auto paused = SetPaused(gw, true);
  GOFER_REQUIRE_OK(paused);
  CHECK(paused->changed());
  CHECK(paused->info().runs_paused());
  auto again = SetPaused(gw, true);
  GOFER_REQUIRE_OK(again);
  CHECK_FALSE(again->changed());
  info = gw.Call(gw.admin_secret(), &SystemStub::GetSystemInfo, v1::GetSystemInfoRequest());
  GOFER_REQUIRE_OK(info);
  CHECK(info->runs_paused());

  auto resumed = SetPaused(gw, false);
  GOFER_REQUIRE_OK(resumed);
  CHECK(resumed->changed());
  CHECK_FALSE(resumed->info().runs_paused());
  auto nothing = gw.Call(gw.admin_secret(), &SystemStub::UpdateSystem, v1::UpdateSystemRequest());
  GOFER_REQUIRE_OK(nothing);
  CHECK_FALSE(nothing->changed());
  CHECK(gw.CountEvents("system.runs_paused") == 1);
  CHECK(gw.CountEvents("system.runs_resumed") == 1);
}

TEST_CASE("GetSummary counts namespaces, pipelines, unexpired tokens and events") {
  GatewayServer gw;
  gw.admin_secret();                  // event 1: token.created
  gw.CreateNamespace("team-a");       // 2: namespace.created
  gw.CreateNamespace("team-b");       // 3
  gw.CreateToken({"user"}, "alice");  // 4
  gw.clock().Set(absl::Now() - absl::Hours(1));
  gw.CreateToken({"user"}, "expired", absl::Seconds(1));  // 5, and expired
  gw.Exec(
      "INSERT INTO pipelines (namespace_id, id) VALUES ('team-a', 'build'), ('team-b', 'test')");
  auto summary = gw.Call(gw.admin_secret(), &SystemStub::GetSummary, v1::GetSummaryRequest());
  GOFER_REQUIRE_OK(summary);
  CHECK(summary->namespaces() == 3);
  CHECK(summary->pipelines() == 2);
  CHECK(summary->tokens() == 2);
  CHECK(summary->events() == 5);
}

TEST_CASE("With dev_no_auth every call is admitted as an admin and SystemInfo says so") {
  GatewayServer gw({.dev_no_auth = true});
  v1::CreateNamespaceRequest create;
  create.set_id("team-a");
  GOFER_REQUIRE_OK(gw.Call("", &NamespaceStub::CreateNamespace, create));
  auto info = gw.Call("", &SystemStub::GetSystemInfo, v1::GetSystemInfoRequest());
  GOFER_REQUIRE_OK(info);
  CHECK(info->auth_disabled());
  auto me = gw.Call("", &TokenStub::WhoAmI, v1::WhoAmIRequest());
  GOFER_REQUIRE_OK(me);
  CHECK(me->user() == "dev-no-auth");
}

TEST_CASE("An internal error reaches the client as an opaque error id without its detail") {
  GatewayServer gw;
  const std::string& admin = gw.admin_secret();
  gw.Exec("DROP TABLE namespaces CASCADE");
  auto listed = gw.Call(admin, &NamespaceStub::ListNamespaces, v1::ListNamespacesRequest());
  GOFER_REQUIRE_CODE(listed, absl::StatusCode::kInternal);
  const std::string message(listed.status().message());
  CHECK_THAT(message, Catch::StartsWith("internal error "));
  CHECK_THAT(message, !Catch::Contains("namespaces") && !Catch::Contains("postgres"));
  const ErrorDetails details = GetErrorDetails(listed.status());
  CHECK(details.reason == "INTERNAL_ERROR");
  REQUIRE(details.metadata.count("error_id") == 1);
  CHECK_THAT(message, Catch::Contains(details.metadata.at("error_id")));
}

}  // namespace gofer::api_gateway
