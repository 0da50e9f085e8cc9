// `gofer object put|get|list|stat|delete`: pipeline objects (--pipeline P) and run objects
// (--run PIPELINE/RUN, or --pipeline P --run N). Bytes travel in streams of chunks of at most
// 1 MiB, so objects of any size pass without being held in memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "commands.h"
#include "gofer/common/string_view_bridge.h"
#include "gofer/v1/stores.grpc.pb.h"
#include "output.h"

namespace gofer::cli {
namespace {

namespace ov1 = gofer::objects::v1;
using gofer::v1::ObjectService;

// The most bytes one message of a stream carries.
constexpr size_t kChunkBytes = 1 << 20;
// Uploads and downloads may be large: they get hours, not the 30 s of other calls.
constexpr absl::Duration kTransferTimeout = absl::Hours(6);

// The options of the object commands, as given.
struct ObjectArgs {
  std::string ns;
  std::string pipeline;
  std::string run;  // "PIPELINE/RUN", or "RUN" with --pipeline
  std::string key;
  std::string file;    // put/get: FILE; empty or "-" for stdin/stdout
  std::string prefix;  // list
  bool force = false;  // put
};

// The object (or, for list, the owner: an empty key) named by `args`. INVALID_ARGUMENT when
// neither or a malformed --run is given, or --run's pipeline contradicts --pipeline.
absl::StatusOr<ov1::ObjectRef> Resolve(const Context& ctx, const ObjectArgs& args) {
  ov1::ObjectRef ref;
  ref.set_namespace_id(ctx.Namespace(args.ns));
  ref.set_key(args.key);
  if (args.run.empty()) {
    if (args.pipeline.empty()) {
      return absl::InvalidArgumentError(
          "say whose object it is: --pipeline PIPELINE (a pipeline object) or --run "
          "PIPELINE/RUN (a run object)");
    }
    ref.set_scope(ov1::OBJECT_SCOPE_PIPELINE);
    ref.set_pipeline_id(args.pipeline);
    return ref;
  }
  std::string pipeline = args.pipeline;
  std::string number = args.run;
  if (const size_t slash = args.run.find('/'); slash != std::string::npos) {
    pipeline = args.run.substr(0, slash);
    number = args.run.substr(slash + 1);
    if (!args.pipeline.empty() && args.pipeline != pipeline) {
      return absl::InvalidArgumentError(
          fmt::format("--run {} names pipeline '{}' but --pipeline says '{}'", args.run, pipeline,
                      args.pipeline));
    }
  }
  int64_t run_id = 0;
  if (pipeline.empty() || !absl::SimpleAtoi(ToAbsl(number), &run_id) || run_id < 1) {
    return absl::InvalidArgumentError(fmt::format(
        "--run '{}': write PIPELINE/RUN (e.g. build/42), or RUN with --pipeline", args.run));
  }
  ref.set_scope(ov1::OBJECT_SCOPE_RUN);
  ref.set_pipeline_id(pipeline);
  ref.set_run_id(run_id);
  return ref;
}

// "pipeline object 'k' of 'p'" / "run object 'k' of run 3 of 'p'".
std::string Describe(const ov1::ObjectRef& ref) {
  if (ref.scope() == ov1::OBJECT_SCOPE_RUN) {
    return fmt::format("run object '{}' of run {} of '{}'", ref.key(), ref.run_id(),
                       ref.pipeline_id());
  }
  return fmt::format("pipeline object '{}' of '{}'", ref.key(), ref.pipeline_id());
}

// `bytes` for people: "512 B", "1.5 KiB", "3.0 MiB".
std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  double value = static_cast<double>(bytes) / 1024;
  for (const char* unit : {"KiB", "MiB", "GiB"}) {
    if (value < 1024) {
      return fmt::format("{:.1f} {}", value, unit);
    }
    value /= 1024;
  }
  return fmt::format("{:.1f} TiB", value);
}

bool IsStdio(const std::string& file) { return file.empty() || file == "-"; }

// Reads up to `buffer.size()` bytes (fewer only at the end of the input); sets `buffer` to what
// was read. Fails with the OS error.
absl::Status ReadChunk(int fd, const std::string& name, std::string& buffer) {
  size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return absl::FailedPreconditionError(
          fmt::format("cannot read {}: {}", name, std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    filled += static_cast<size_t>(n);
  }
  buffer.resize(filled);
  return absl::OkStatus();
}

absl::Status Put(Context& ctx, const ObjectArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const ov1::ObjectRef ref, Resolve(ctx, args));
  const bool from_stdin = IsStdio(args.file);
  if (from_stdin && ::isatty(STDIN_FILENO) == 1) {
    return absl::InvalidArgumentError(
        "give FILE, or pipe the content in (gofer object put ... KEY - < FILE)");
  }
  const int fd = from_stdin ? STDIN_FILENO : ::open(args.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(fmt::format("cannot open {}: {}", args.file, std::strerror(errno)));
  }
  const std::string name = from_stdin ? "standard input" : args.file;
  ov1::PutObjectRequest header;
  *header.mutable_header()->mutable_ref() = ref;
  header.mutable_header()->set_force(args.force);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    header.mutable_header()->set_size(st.st_size);  // the store checks it as bytes arrive
  }

  auto stub = ObjectService::NewStub(ctx.channel());
  auto call = ctx.NewCall(kTransferTimeout);
  ov1::PutObjectResponse response;
  auto writer = stub->PutObject(call.get(), &response);
  absl::Status read_status;
  if (writer->Write(header)) {
    ov1::PutObjectRequest message;
    std::string buffer;
    while (true) {
      buffer.resize(kChunkBytes);
      read_status = ReadChunk(fd, name, buffer);
      if (!read_status.ok() || buffer.empty()) {
        break;
      }
      message.set_chunk(std::move(buffer));
      if (!writer->Write(message)) {
        break;  // the server ended the call: Finish says why
      }
      buffer = std::move(*message.mutable_chunk());
    }
  }
  if (!from_stdin) {
    ::close(fd);
  }
  if (!read_status.ok()) {
    call->TryCancel();  // nothing is stored from an incomplete stream
    (void)writer->Finish();
    return read_status;
  }
  writer->WritesDone();
  if (absl::Status s = FromGrpc(writer->Finish()); !s.ok()) {
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
  const ov1::ObjectInfo& info = response.object();
  std::cout << fmt::format("stored {} ({}, sha256 {})\n", Describe(info.ref()),
                           FormatBytes(info.size()), info.sha256().substr(0, 12));
  for (const ov1::ObjectRef& evicted : response.evicted()) {
    std::cout << fmt::format("evicted {} (the pipeline's object limit)\n", Describe(evicted));
  }
  return absl::OkStatus();
}

// Writes all of `data` to `fd`; fails with the OS error.
absl::Status WriteAll(int fd, const std::string& name, const std::string& data) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return absl::FailedPreconditionError(
          fmt::format("cannot write {}: {}", name, std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Streams the object `ref` into `fd`; returns its metadata. Fails with the server's status, the
// OS error of a write, or DATA_LOSS when fewer or more bytes arrived than the object has.
absl::StatusOr<ov1::ObjectInfo> Download(Context& ctx, const ov1::ObjectRef& ref, int fd,
                                         const std::string& name) {
  ov1::GetObjectRequest request;
  *request.mutable_ref() = ref;
  auto stub = ObjectService::NewStub(ctx.channel());
  auto call = ctx.NewCall(kTransferTimeout);
  auto reader = stub->GetObject(call.get(), request);
  ov1::GetObjectResponse message;
  ov1::ObjectInfo info;
  int64_t received = 0;
  while (reader->Read(&message)) {
    if (message.has_object()) {
      info = message.object();
    }
    if (absl::Status s = WriteAll(fd, name, message.chunk()); !s.ok()) {
      call->TryCancel();
      (void)reader->Finish();
      return s;
    }
    received += static_cast<int64_t>(message.chunk().size());
  }
  GOFER_RETURN_IF_ERROR(FromGrpc(reader->Finish()));
  if (received != info.size()) {
    return absl::DataLossError(
        fmt::format("{}: received {} bytes of {}", Describe(ref), received, info.size()));
  }
  return info;
}

absl::Status Get(Context& ctx, const ObjectArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const ov1::ObjectRef ref, Resolve(ctx, args));
  if (IsStdio(args.file)) {
    std::cout.flush();
    return Download(ctx, ref, STDOUT_FILENO, "standard output").status();
  }
  // Into a file beside the target, renamed over it once complete: a failed download leaves
  // neither a truncated file nor a clobbered one.
  const std::string partial = args.file + ".gofer-partial";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot write {}: {}", partial, std::strerror(errno)));
  }
  auto info = Download(ctx, ref, fd, args.file);
  const bool closed = ::close(fd) == 0;
  if (info.ok() && (!closed || std::rename(partial.c_str(), args.file.c_str()) != 0)) {
    info = absl::FailedPreconditionError(
        fmt::format("cannot write {}: {}", args.file, std::strerror(errno)));
  }
  if (!info.ok()) {
    ::unlink(partial.c_str());
    return info.status();
  }
  absl::Status status;
  if (Structured(ctx, *info, &status)) {
    return status;
  }
  std::cout << fmt::format("wrote {} to {} ({})\n", Describe(ref), args.file,
                           FormatBytes(info->size()));
  return absl::OkStatus();
}

absl::Status List(Context& ctx, const ObjectArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const ov1::ObjectRef parent, Resolve(ctx, args));
  auto stub = ObjectService::NewStub(ctx.channel());
  auto all = CollectPages<ov1::ListObjectsResponse>(
      ctx.limit(),
      [&](const std::string& token, ov1::ListObjectsResponse* page) {
        ov1::ListObjectsRequest request;
        *request.mutable_parent() = parent;
        request.set_key_prefix(args.prefix);
        request.set_page_size(PageSizeFor(ctx.limit()));
        request.set_page_token(token);
        auto call = ctx.NewCall();
        return FromGrpc(stub->ListObjects(call.get(), request, page));
      },
      [](ov1::ListObjectsResponse& r) { return r.mutable_objects(); });
  GOFER_RETURN_IF_ERROR(all.status());
  absl::Status status;
  if (Structured(ctx, *all, &status)) {
    return status;
  }
  Table table({"KEY", "SIZE", "SHA256", "CREATED"});
  for (const ov1::ObjectInfo& o : all->objects()) {
    table.AddRow({o.ref().key(), FormatBytes(o.size()), o.sha256().substr(0, 12),
                  FormatTime(o.created(), ctx.exact_times())});
  }
  table.Print(std::cout, ctx.colour());
  return absl::OkStatus();
}

absl::Status Stat(Context& ctx, const ObjectArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const ov1::ObjectRef ref, Resolve(ctx, args));
  ov1::StatObjectRequest request;
  *request.mutable_ref() = ref;
  auto stub = ObjectService::NewStub(ctx.channel());
  ov1::ObjectInfo info;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->StatObject(call.get(), request, &info)));
  absl::Status status;
  if (Structured(ctx, info, &status)) {
    return status;
  }
  const ov1::ObjectRef& r = info.ref();
  std::cout << fmt::format("key:       {}\nnamespace: {}\npipeline:  {}\n", r.key(),
                           r.namespace_id(), r.pipeline_id());
  if (r.scope() == ov1::OBJECT_SCOPE_RUN) {
    std::cout << fmt::format("run:       {}\n", r.run_id());
  }
  std::cout << fmt::format("size:      {} ({} bytes)\nsha256:    {}\ncreated:   {}\n",
                           FormatBytes(info.size()), info.size(), info.sha256(),
                           FormatTime(info.created(), ctx.exact_times()));
  return absl::OkStatus();
}

absl::Status Delete(Context& ctx, const ObjectArgs& args) {
  GOFER_ASSIGN_OR_RETURN(const ov1::ObjectRef ref, Resolve(ctx, args));
  ov1::DeleteObjectRequest request;
  *request.mutable_ref() = ref;
  auto stub = ObjectService::NewStub(ctx.channel());
  ov1::DeleteObjectResponse response;
  auto call = ctx.NewCall();
  GOFER_RETURN_IF_ERROR(FromGrpc(stub->DeleteObject(call.get(), request, &response)));
  if (ctx.format() == OutputFormat::kTable) {
    std::cout << fmt::format("deleted {}\n", Describe(ref));
  }
  return absl::OkStatus();
}

using Action = std::function<absl::Status(Context&, const ObjectArgs&)>;

// Adds `name` with the scope options (--pipeline, --run, -n) and, when `with_key`, KEY.
CLI::App* AddCommand(CLI::App* parent, Cli& cli, const std::string& name, const std::string& help,
                     bool with_key, const std::shared_ptr<ObjectArgs>& args, Action action) {
  CLI::App* command = parent->add_subcommand(name, help);
  if (with_key) {
    command->add_option("KEY", args->key, "Object key (1-256 of A-Z a-z 0-9 . _ / -)")->required();
  }
  command->add_option("--pipeline", args->pipeline, "A pipeline object of PIPELINE");
  command->add_option("--run", args->run,
                      "A run object: PIPELINE/RUN (e.g. build/42), or RUN with --pipeline");
  command->add_option("-n,--namespace", args->ns,
                      "Namespace (default: GOFER_NAMESPACE or default)");
  OnRun(command, cli, [args, action](Context& ctx) { return action(ctx, *args); });
  return command;
}

}  // namespace

void AddObjectCommands(CLI::App& root, Cli& cli) {
  CLI::App* object = root.add_subcommand("object", "Store and read pipeline and run objects");
  object->require_subcommand(1);
  object->footer(
      "Pipeline objects (--pipeline P) are kept until deleted (the oldest are evicted past the "
      "per-pipeline\nlimit); run objects (--run P/N) go when their run falls out of the "
      "pipeline's newest runs.\nTasks read them as pipeline_object{{KEY}} and run_object{{KEY}} "
      "variables; a task with\ninject_api_token: true can also run "
      "`gofer object put --run \"$GOFER_PIPELINE/$GOFER_RUN\" KEY FILE`.");

  auto put = std::make_shared<ObjectArgs>();
  CLI::App* put_cmd = AddCommand(object, cli, "put",
                                 "Store FILE (or standard input) as an object, streamed in 1 MiB "
                                 "chunks",
                                 true, put, Put);
  put_cmd->add_option("FILE", put->file, "File to store; - or none: standard input");
  put_cmd->add_flag("--force", put->force, "Replace an existing object with the same key");

  auto get = std::make_shared<ObjectArgs>();
  AddCommand(object, cli, "get", "Write an object's content to FILE (or standard output)", true,
             get, Get)
      ->add_option("FILE", get->file,
                   "File to write (replaced once complete); - or none: "
                   "standard output");

  auto list = std::make_shared<ObjectArgs>();
  AddCommand(object, cli, "list", "List a pipeline's or a run's objects in key order", false, list,
             List)
      ->add_option("--prefix", list->prefix, "Only keys starting with this");

  AddCommand(object, cli, "stat", "Show an object's size, SHA-256 and creation time", true,
             std::make_shared<ObjectArgs>(), Stat);
  AddCommand(object, cli, "delete", "Delete an object", true, std::make_shared<ObjectArgs>(),
             Delete);
}

}  // namespace gofer::cli
