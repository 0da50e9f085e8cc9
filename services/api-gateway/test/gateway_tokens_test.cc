// Authentication and TokenService through an in-process gateway on real Postgres: the one-time
// bootstrap, how secrets are stored, WhoAmI, the UNAUTHENTICATED cases (none, unknown,
// malformed, disabled, expired), PERMISSION_DENIED, and token creation, listing and deletion.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gateway_server.h"
#include "gofer/common/errors.h"
#include "gofer/testing/status.h"

namespace gofer::api_gateway {
namespace {

using testing::GatewayServer;
using testing::ReasonOf;
using testing::ViolatedFields;
using NamespaceStub = v1::NamespaceService::Stub;
using SystemStub = v1::SystemService::Stub;
using TokenStub = v1::TokenService::Stub;

absl::StatusOr<v1::Token> WhoAmI(GatewayServer& gw, const std::string& secret) {
  return gw.Call(secret, &TokenStub::WhoAmI, v1::WhoAmIRequest());
}

// WhoAmI with the raw authorization header `header`.
absl::Status WhoAmIWithHeader(GatewayServer& gw, const std::string& header) {
  auto context = gw.Context("");
  context->AddMetadata("authorization", header);
  v1::Token token;
  return rpc::FromGrpcStatus(TokenStub(gw.channel()).WhoAmI(context.get(), {}, &token));
}

absl::StatusOr<v1::UpdateTokenResponse> SetDisabled(GatewayServer& gw, const std::string& id,
                                                    bool disabled) {
  v1::UpdateTokenRequest request;
  request.set_id(id);
  request.set_disabled(disabled);
  return gw.Call(gw.admin_secret(), &TokenStub::UpdateToken, request);
}

void RequireUnauthenticated(const absl::Status& status, const std::string& why) {
  INFO(status.ToString());
  REQUIRE(status.code() == absl::StatusCode::kUnauthenticated);
  CHECK(ReasonOf(status) == "UNAUTHENTICATED");
  CHECK_THAT(std::string(status.message()), Catch::Contains(why));
}

}  // namespace

TEST_CASE("BootstrapToken creates an admin token once, then fails with FAILED_PRECONDITION") {
  GatewayServer gw;
  auto first = gw.Call("", &TokenStub::BootstrapToken, v1::BootstrapTokenRequest());
  GOFER_REQUIRE_OK(first);
  CHECK_THAT(first->secret(), Catch::StartsWith("gofer_"));
  CHECK(std::vector<std::string>(first->token().roles().begin(), first->token().roles().end()) ==
        std::vector<std::string>{"admin"});
  CHECK(first->token().metadata().at("bootstrap_token") == "true");
  CHECK_FALSE(first->token().has_expires());

  for (const std::string& secret : {std::string(), first->secret()}) {
    auto again = gw.Call(secret, &TokenStub::BootstrapToken, v1::BootstrapTokenRequest());
    GOFER_REQUIRE_CODE(again, absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOf(again.status()) == "FAILED_PRECONDITION");
  }
  auto me = WhoAmI(gw, first->secret());
  GOFER_REQUIRE_OK(me);
  CHECK(me->id() == first->token().id());
  CHECK(me->user() == "bootstrap");
  CHECK(gw.QueryInt("SELECT count(*) FROM tokens") == 1);
}

TEST_CASE("A token's secret is stored only as its SHA-256 in hex") {
  GatewayServer gw;
  const v1::TokenWithSecret token = gw.CreateToken({"user"}, "alice");
  for (const std::string& secret : {gw.admin_secret(), token.secret()}) {
    INFO(secret);
    CHECK(gw.QueryInt("SELECT count(*) FROM tokens WHERE hash = encode(sha256('" + secret +
                      "'::bytea), 'hex')") == 1);
    CHECK(gw.QueryInt("SELECT count(*) FROM tokens t WHERE row_to_json(t)::text LIKE '%" +
                      secret.substr(6) + "%'") == 0);
    CHECK(gw.QueryInt("SELECT count(*) FROM " + gw.outbox().schema() +
                      ".events e WHERE row_to_json(e)::text LIKE '%" + secret.substr(6) + "%'") ==
          0);
  }
  CHECK(gw.QueryInt("SELECT count(*) FROM tokens WHERE hash !~ '^[0-9a-f]{64}$'") == 0);
}

TEST_CASE("WhoAmI describes the caller's own token") {
  GatewayServer gw;
  v1::CreateTokenRequest request;
  request.set_user("alice");
  request.add_roles("user");
  request.add_roles("read-only");
  (*request.mutable_metadata())["team"] = "payments";
  request.mutable_expires_in()->set_seconds(3600);
  auto created = gw.Call(gw.admin_secret(), &TokenStub::CreateToken, request);
  GOFER_REQUIRE_OK(created);

  auto me = WhoAmI(gw, created->secret());
  GOFER_REQUIRE_OK(me);
  CHECK(me->id() == created->token().id());
  CHECK(me->user() == "alice");
  CHECK(std::vector<std::string>(me->roles().begin(), me->roles().end()) ==
        std::vector<std::string>{"user", "read-only"});
  CHECK(me->metadata().at("team") == "payments");
  CHECK(me->expires().seconds() == absl::ToUnixSeconds(gw.clock().Now() + absl::Hours(1)));
  CHECK_FALSE(me->disabled());
  CHECK(me->created().seconds() > 0);
}

TEST_CASE("A call without a token is UNAUTHENTICATED with reason UNAUTHENTICATED") {
  GatewayServer gw;
  RequireUnauthenticated(WhoAmI(gw, "").status(), "authorization: Bearer");
  RequireUnauthenticated(
      gw.Call("", &SystemStub::GetSystemInfo, v1::GetSystemInfoRequest()).status(),
      "no credentials");
  RequireUnauthenticated(
      gw.Call("", &NamespaceStub::CreateNamespace, v1::CreateNamespaceRequest()).status(),
      "no credentials");
}

TEST_CASE("An unknown or malformed token is UNAUTHENTICATED") {
  GatewayServer gw;
  gw.admin_secret();
  RequireUnauthenticated(WhoAmI(gw, "garbage").status(), "unknown token");
  RequireUnauthenticated(WhoAmI(gw, gw.admin_secret() + "x").status(), "unknown token");
  RequireUnauthenticated(WhoAmIWithHeader(gw, "Basic " + gw.admin_secret()), "Bearer <token>");
  RequireUnauthenticated(WhoAmIWithHeader(gw, "Bearer "), "Bearer <token>");
  RequireUnauthenticated(WhoAmIWithHeader(gw, gw.admin_secret()), "Bearer <token>");
}

TEST_CASE("A disabled token is UNAUTHENTICATED until it is enabled again") {
  GatewayServer gw;
  const v1::TokenWithSecret token = gw.CreateToken({"user"});
  GOFER_REQUIRE_OK(WhoAmI(gw, token.secret()));

  auto disabled = SetDisabled(gw, token.token().id(), true);
  GOFER_REQUIRE_OK(disabled);
  CHECK(disabled->changed());
  CHECK(disabled->token().disabled());
  RequireUnauthenticated(WhoAmI(gw, token.secret()).status(), "disabled");
  auto again = SetDisabled(gw, token.token().id(), true);
  GOFER_REQUIRE_OK(again);
  CHECK_FALSE(again->changed());

  auto enabled = SetDisabled(gw, token.token().id(), false);
  GOFER_REQUIRE_OK(enabled);
  CHECK(enabled->changed());
  CHECK_FALSE(enabled->token().disabled());
  GOFER_REQUIRE_OK(WhoAmI(gw, token.secret()));

  v1::UpdateTokenRequest nothing;
  nothing.set_id(token.token().id());
  auto unchanged = gw.Call(gw.admin_secret(), &TokenStub::UpdateToken, nothing);
  GOFER_REQUIRE_OK(unchanged);
  CHECK_FALSE(unchanged->changed());
  CHECK(gw.CountEvents("token.disabled") == 1);
  CHECK(gw.CountEvents("token.enabled") == 1);
}

TEST_CASE("An expired token is UNAUTHENTICATED") {
  GatewayServer gw;
  gw.admin_secret();
  gw.clock().Set(absl::Now() - absl::Hours(1));  // expiry is computed from the store's clock
  const v1::TokenWithSecret expired = gw.CreateToken({"user"}, "old", absl::Seconds(1));
  const v1::TokenWithSecret forever = gw.CreateToken({"user"}, "forever");
  RequireUnauthenticated(WhoAmI(gw, expired.secret()).status(), "expired");
  GOFER_REQUIRE_OK(WhoAmI(gw, forever.secret()));
}

TEST_CASE("A token without the permission is PERMISSION_DENIED, not UNAUTHENTICATED") {
  GatewayServer gw;
  const v1::TokenWithSecret reader = gw.CreateToken({"read-only"}, "reader");
  v1::CreateNamespaceRequest request;
  request.set_id("team-a");
  auto denied = gw.Call(reader.secret(), &NamespaceStub::CreateNamespace, request);
  INFO(denied.status().ToString());
  REQUIRE(denied.status().code() == absl::StatusCode::kPermissionDenied);
  const ErrorDetails details = GetErrorDetails(denied.status());
  CHECK(details.reason == "PERMISSION_DENIED");
  CHECK(details.metadata.at("kind") == "namespaces");
  CHECK(details.metadata.at("action") == "write");
  CHECK_THAT(std::string(denied.status().message()),
             Catch::Contains("reader") && Catch::Contains("admin only"));
}

TEST_CASE("CreateToken with an unknown role is NOT_FOUND naming the role") {
  GatewayServer gw;
  v1::CreateTokenRequest request;
  request.set_user("bob");
  request.add_roles("user");
  request.add_roles("ghost");
  auto created = gw.Call(gw.admin_secret(), &TokenStub::CreateToken, request);
  GOFER_REQUIRE_CODE(created, absl::StatusCode::kNotFound);
  CHECK(created.status().message() == "role 'ghost' not found");
  CHECK(GetErrorDetails(created.status()).metadata.at("id") == "ghost");
  CHECK(gw.QueryInt("SELECT count(*) FROM tokens") == 1);  // the admin's only
}

TEST_CASE("CreateToken reports every invalid field in one INVALID_ARGUMENT") {
  GatewayServer gw;
  v1::CreateTokenRequest request;
  request.add_roles("Not_A_Role");
  (*request.mutable_metadata())[""] = "x";
  request.mutable_expires_in()->set_seconds(-5);
  auto created = gw.Call(gw.admin_secret(), &TokenStub::CreateToken, request);
  GOFER_REQUIRE_CODE(created, absl::StatusCode::kInvalidArgument);
  CHECK(ReasonOf(created.status()) == "INVALID_FIELD");
  CHECK(ViolatedFields(created.status()) ==
        std::vector<std::string>{"user", "roles[0]", "metadata[]", "expires_in"});

  v1::CreateTokenRequest no_roles;
  no_roles.set_user("bob");
  auto empty = gw.Call(gw.admin_secret(), &TokenStub::CreateToken, no_roles);
  GOFER_REQUIRE_CODE(empty, absl::StatusCode::kInvalidArgument);
  CHECK(ViolatedFields(empty.status()) == std::vector<std::string>{"roles"});
}

TEST_CASE("Tokens are listed newest first across pages, read by id and deleted") {
  GatewayServer gw;
  std::vector<std::string> newest_first;
  newest_first.push_back(WhoAmI(gw, gw.admin_secret())->id());
  for (const char* user : {"a", "b", "c", "d"}) {
    newest_first.insert(newest_first.begin(), gw.CreateToken({"user"}, user).token().id());
  }
  std::vector<std::string> listed;
  v1::ListTokensRequest request;
  request.set_page_size(2);
  int pages = 0;
  do {
    auto page = gw.Call(gw.admin_secret(), &TokenStub::ListTokens, request);
    GOFER_REQUIRE_OK(page);
    REQUIRE(++pages <= 3);
    for (const v1::Token& t : page->tokens()) {
      listed.push_back(t.id());
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  CHECK(listed == newest_first);
  CHECK(pages == 3);

  v1::GetTokenRequest get;
  get.set_id(newest_first[0]);
  auto got = gw.Call(gw.admin_secret(), &TokenStub::GetToken, get);
  GOFER_REQUIRE_OK(got);
  CHECK(got->user() == "d");

  v1::DeleteTokenRequest del;
  del.set_id(newest_first[0]);
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &TokenStub::DeleteToken, del));
  GOFER_REQUIRE_CODE(gw.Call(gw.admin_secret(), &TokenStub::GetToken, get),
                     absl::StatusCode::kNotFound);
  GOFER_REQUIRE_CODE(gw.Call(gw.admin_secret(), &TokenStub::DeleteToken, del),
                     absl::StatusCode::kNotFound);
  CHECK(gw.CountEvents("token.deleted") == 1);
}

TEST_CASE("A deleted token's secret is UNAUTHENTICATED") {
  GatewayServer gw;
  const v1::TokenWithSecret token = gw.CreateToken({"admin"}, "temp");
  GOFER_REQUIRE_OK(WhoAmI(gw, token.secret()));  // authenticated once (and maybe cached)
  v1::DeleteTokenRequest del;
  del.set_id(token.token().id());
  GOFER_REQUIRE_OK(gw.Call(gw.admin_secret(), &TokenStub::DeleteToken, del));
  RequireUnauthenticated(WhoAmI(gw, token.secret()).status(), "unknown token");
}

}  // namespace gofer::api_gateway
