// `gofer secret put|get|list|delete`: pipeline secrets (--pipeline P) and global secrets
// (--global, admin only). Values are read from standard input or a file, never from the command
// line (which shells keep in their history), and printed only when asked (--reveal).
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "commands.h"
#include "gofer/v1/stores.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

namespace sv1 = gofer::secrets::v1;
using gofer::v1::SecretService;

// What `secret put` says to someone who gives the value on the command line.
constexpr char kNoValueArgument[] =
    "a secret's value is never taken from the command line, where the shell history would keep "
    "it: pipe it in (printf %s \"$VALUE\" | gofer secret put ...), type it when asked, or use "
    "--from-file FILE";

// The options of the secret commands, as given.
struct SecretArgs {
  std::string ns;
  std::string pipeline;
  bool global = false;
  std::string key;
  std::string namespaces;  // --global put: comma-separated namespace globs
  std::string from_file;   // put
  bool force = false;      // put
  bool reveal = false;     // get
};

// The secret (for list: the owner, key empty) named by `args`. INVALID_ARGUMENT unless exactly
// one of --pipeline and --global is given, or when --namespaces/-n do not fit the scope.
absl::StatusOr<sv1::SecretRef> Resolve(const Context& ctx, const SecretArgs& args) {
  if (args.global == !args.pipeline.empty()) {
    return absl::InvalidArgumentError(
        "say whose secret it is: --pipeline PIPELINE (a pipeline secret) or --global (an "
        "installation-wide secret, admin only)");
  }
  sv1::SecretRef ref;
  ref.set_key(args.key);
  if (args.global) {
    if (!args.ns.empty()) {
      return absl::InvalidArgumentError(
          "a global secret belongs to no namespace: --namespaces says which may use it");
    }
    ref.set_scope(sv1::SECRET_SCOPE_GLOBAL);
    return ref;
  }
  if (!args.namespaces.empty()) {
    return absl::InvalidArgumentError(
        "--namespaces is for global secrets; a pipeline secret belongs to its pipeline");
  }
  ref.set_scope(sv1::SECRET_SCOPE_PIPELINE);
  ref.set_namespace_id(ctx.Namespace(args.ns));
  ref.set_pipeline_id(args.pipeline);
  return ref;
}

// "pipeline secret 'k' of 'p'" / "global secret 'k'".
std::string Describe(const sv1::SecretRef& ref) {
  if (ref.scope() == sv1::SECRET_SCOPE_GLOBAL) {
    return fmt::format("global secret '{}'", ref.key());
  }
  return fmt::format("pipeline secret '{}' of '{}'", ref.key(), ref.pipeline_id());
}

// One line typed on the terminal without echoing it, after `prompt` on standard error.
absl::StatusOr<std::string> ReadHidden(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool hide = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (hide) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (hide) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  }
  std::cerr << '\n';
  if (!read) {
    return absl::InvalidArgumentError("no value was typed");
  }
  return line;
}

// The value to store: --from-file's bytes exactly, or standard input (typed without echo on a
// terminal; piped input without one trailing newline, which `echo` adds).
absl::StatusOr<std::string> ReadValue(const SecretArgs& args) {
  std::string value;
  if (!args.from_file.empty()) {
    std::ifstream in(args.from_file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(fmt::format("cannot read {}", args.from_file));
    }
    std::ostringstream text;
    text << in.rdbuf();
    value = text.str();
  } else if (::isatty(STDIN_FILENO) == 1) {
    GOFER_ASSIGN_OR_RETURN(value, ReadHidden(fmt::format("value of '{}': ", args.key)));
  } else {
    std::ostringstream text;
    text << std::cin.rdbuf();
    value = text.str();
    if (value.ends_with('\n')) {
      value.pop_back();
      if (value.ends_with('\r')) {
        value.pop_back();
      }
    }
  }
  if (value.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("the value of '{}' is empty: pipe it in or use --from-file FILE", args.key));
  }
  return value;
}

absl::Status Put(Context& ctx, const SecretArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const sv1::SecretRef ref, Resolve(ctx, args));
  sv1::PutSecretRequest request;
  *request.mutable_ref() = ref;
  request.set_force(args.force);
  for (absl::string_view glob : absl::StrSplit(args.namespaces, ',', absl::SkipWhitespace())) {
    request.add_namespace_patterns(std::string(absl::StripAsciiWhitespace(glob)));
  }
  if (args.global && request.namespace_patterns().empty()) {
    return absl::InvalidArgumentError(
        "a global secret needs --namespaces: the namespaces that may use it, as globs "
        "(\"prod-*,dev\"; \"*\" for all)");
  }
  GOFER_ASSIGN_OR_RETURN(*request.mutable_value(), ReadValue(args));
  auto stub = SecretService::NewStub(ctx.channel());
  sv1::PutSecretResponse response;
  auto call = ctx.NewCall();
  if (absl::Status s = FromGrpc(stub->PutSecret(call.get(), request, &response)); !s.ok()) {
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(
          fmt::format("{} already exists (--force replaces it)", Describe(ref)));
    }
    return s;
  }
  absl::Status status;
  if (Structured(ctx, response, &status)) {
    return status;
  }
  std::cout << fmt::format("{} {}\n", response.created() ? "stored" : "replaced", Describe(ref));
  return absl::OkStatus();
}

absl::Status Get(Context& ctx, const SecretArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const sv1::SecretRef ref, Resolve(ctx, args));
  sv1::GetSecretRequest request;
  *request.mutable_ref() = ref;
  request.set_include_value(args.reveal);
  auto stub = SecretService::NewStub(ctx.channel());
  sv1::GetSecretResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->GetSecret(call.get(), request, &response)));
  absl::Status status;
  if (Structured(ctx, response, &status)) {
    return status;
  }
  const sv1::SecretMetadata& m = response.metadata();
  std::cout << fmt::format("key:        {}\n", m.ref().key());
  if (m.ref().scope() == sv1::SECRET_SCOPE_GLOBAL) {
    std::cout << fmt::format("scope:      global\nnamespaces: {}\n",
                             absl::StrJoin(m.namespace_patterns(), ","));
  } else {
    std::cout << fmt::format("scope:      pipeline '{}' (namespace {})\n", m.ref().pipeline_id(),
                             m.ref().namespace_id());
  }
  std::cout << fmt::format("created:    {}\nmodified:   {}\nvalue:      {}\n",
                           FormatTime(m.created(), ctx.exact_times()),
                           FormatTime(m.modified(), ctx.exact_times()),
                           args.reveal ? response.value() : "(hidden; --reveal shows it)");
  return absl::OkStatus();
}

absl::Status List(Context& ctx, const SecretArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const sv1::SecretRef owner, Resolve(ctx, args));
  auto stub = SecretService::NewStub(ctx.channel());
  auto all = CollectPages<sv1::ListSecretsResponse>(
      ctx.limit(),
      [&](const std::string& token, sv1::ListSecretsResponse* page) {
        sv1::ListSecretsRequest request;
        request.set_scope(owner.scope());
        request.set_namespace_id(owner.namespace_id());
        request.set_pipeline_id(owner.pipeline_id());
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListSecrets(call.get(), request, page));
      },
      [](sv1::ListSecretsResponse& r) { return r.mutable_secrets(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  const bool global = owner.scope() == sv1::SECRET_SCOPE_GLOBAL;
  Table table(global ? std::vector<std::string>{"KEY", "NAMESPACES", "CREATED", "MODIFIED"}
                     : std::vector<std::string>{"KEY", "CREATED", "MODIFIED"});
  for (const sv1::SecretMetadata& m : all->secrets()) {
    std::vector<std::string> row = {m.ref().key()};
    if (global) {
      row.push_back(absl::StrJoin(m.namespace_patterns(), ","));
    }
    row.push_back(FormatTime(m.created(), ctx.exact_times()));
    row.push_back(FormatTime(m.modified(), ctx.exact_times()));
    table.AddRow(std::move(row));
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, const SecretArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const sv1::SecretRef ref, Resolve(ctx, args));
  sv1::DeleteSecretRequest request;
  *request.mutable_ref() = ref;
  auto stub = SecretService::NewStub(ctx.channel());
  sv1::DeleteSecretResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->DeleteSecret(call.get(), request, &response)));
  if (ctx.format() == OutputFormat::kTable) {
    std::cout << fmt::format("deleted {}\n", Describe(ref));
  }
  return absl::OkStatus();
}

using Action = std::function<absl::Status(Context&, const SecretArgs&)>;

// Adds `name` with the scope options (--pipeline, --global, -n) and, when `with_key`, KEY.
CLI::App* AddCommand(CLI::App* parent, Cli& cli, const std::string& name, const std::string& help,
                     bool with_key, const std::shared_ptr<SecretArgs>& args, Action action) {
  CLI::App* command = parent->add_subcommand(name, help);
  if (with_key) {
    command->add_option("KEY", args->key, "Secret key (1-256 of A-Z a-z 0-9 . _ / -)")->required();
  }
  command->add_option("--pipeline", args->pipeline, "A secret of PIPELINE");
  command->add_flag("--global", args->global, "A global secret (admin only)");
  command->add_option("-n,--namespace", args->ns,
                      "The pipeline's namespace (default: GOFER_NAMESPACE or default)");
  OnRun(command, cli, [args, action](Context& ctx) { return action(ctx, *args); });
  return command;
}

// The default help, except that hidden positionals (which CLI11 lists as "[]") are left out of
// the usage line.
class HiddenPositionalFormatter final : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    if (const size_t at = usage.find(" []"); at != std::string::npos) {
      usage.erase(at, 3);
    }
    return usage;
  }
};

// Makes `command` refuse a secret value given on the command line (a positional after KEY, or
// --value) with the reason, as a command-line error (exit 2). The options catching it are
// hidden from the help.
void RefuseValueArguments(CLI::App* command) {
  auto value = std::make_shared<std::string>();
  CLI::Option* positional = command->add_option("VALUE", *value)->group("");
  CLI::Option* option = command->add_option("--value", *value)->group("");
  command->formatter(std::make_shared<HiddenPositionalFormatter>());
  command->parse_complete_callback([positional, option, value] {
    if (positional->count() > 0 || option->count() > 0) {
      throw CLI::ValidationError("VALUE", kNoValueArgument);
    }
  });
}

}  // namespace

void AddSecretCommands(CLI::App& root, Cli& cli) {
  CLI::App* secret = root.add_subcommand("secret", "Store and inspect pipeline and global secrets");
  secret->require_subcommand(1);
  secret->footer(
      "Tasks read secrets as pipeline_secret{{KEY}} and global_secret{{KEY}} variables; their "
      "values are\nredacted from task logs. Values are encrypted at rest and shown only by "
      "`secret get --reveal`.");

  auto put = std::make_shared<SecretArgs>();
  CLI::App* put_cmd = AddCommand(
      secret, cli, "put",
      "Store a secret read from standard input (typed unechoed on a terminal) or --from-file", true,
      put, Put);
  put_cmd->add_option("--from-file", put->from_file,
                      "Read the value from FILE, byte for byte (from standard input a trailing "
                      "newline is dropped)");
  put_cmd->add_option("--namespaces", put->namespaces,
                      "Global secrets: namespaces that may use it, comma-separated globs "
                      "(\"prod-*,dev\"; \"*\" for all)");
  put_cmd->add_flag("--force", put->force, "Replace an existing secret");
  RefuseValueArguments(put_cmd);

  auto get = std::make_shared<SecretArgs>();
  AddCommand(secret, cli, "get", "Show a secret's metadata, and its value with --reveal", true, get,
             Get)
      ->add_flag("--reveal", get->reveal,
                 "Also print the value (needs write access; in JSON it is base64)");

  AddCommand(secret, cli, "list", "List a pipeline's secrets, or the global ones, in key order",
             false, std::make_shared<SecretArgs>(), List);
  AddCommand(secret, cli, "delete", "Delete a secret", true, std::make_shared<SecretArgs>(),
             Delete);
}

}  // namespace gofer::cli
