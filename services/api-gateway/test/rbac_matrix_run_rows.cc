// The RBAC matrix rows of RunService and TaskService (see rbac_matrix_test.cc), about run 1 of
// pipeline "fixed" in "default" and "other". Every call needs "runs" with the action (reads;
// writes for StartRun, the cancels, RetryRun and AttachTask; delete for DeleteTaskLogs) plus the
// namespace and pipeline grants: the user role only in "default", read-only for reads everywhere.
//
// The matrix's gateway has no run-queue (its address has no listener), so a call the gateway
// admits ends UNAVAILABLE at the forward (AttachTask: when it asks for the task's container), and
// the matrix counts any outcome other than a denial as "allowed". A call stopped earlier for
// another reason (a malformed request, a missing pipeline, paused runs) would count as "allowed"
// too without its authorisation having been decided; so each row here also requires an admitted
// call to have reached the forward.
#include <catch2/catch.hpp>

#include <string>

#include "gofer/rpc/status.h"
#include "rbac_matrix.h"

namespace gofer::api_gateway::matrix {
namespace {

using RunStub = v1::RunService::Stub;
using TaskStub = v1::TaskService::Stub;

// A call about run 1 of pipeline "fixed" in namespace `ns`.
using NsCall = absl::Status (*)(Matrix&, const Who&, const std::string& ns);

Call In(const std::string& ns, NsCall call) {
  return [ns, call](Matrix& m, const Who& c) { return call(m, c, ns); };
}

// `row`'s call, failing the test when the gateway admitted it but did not forward it.
Row ReachingTheRunQueue(Row row) {
  row.call = [method = row.method, variant = row.variant, call = std::move(row.call)](
                 Matrix& m, const Who& c) {
    const absl::Status status = call(m, c);
    if (!absl::IsPermissionDenied(status) && !absl::IsUnauthenticated(status)) {
      INFO(method << " (" << variant << ") as " << c.name
                  << ": admitted, so it must fail UNAVAILABLE at the forward; got " << status);
      CHECK(absl::IsUnavailable(status));
    }
    return status;
  };
  return row;
}

// A request about run 1 (and, for task requests, task "build") of "fixed" in `ns`.
template <typename Request>
Request Of(const std::string& ns) {
  Request request;
  request.set_namespace_id(ns);
  request.set_pipeline_id("fixed");
  if constexpr (requires { request.set_run_id(1); }) {
    request.set_run_id(1);
  }
  if constexpr (requires { request.set_task_id("build"); }) {
    request.set_task_id("build");
  }
  return request;
}

absl::Status StartRun(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &RunStub::StartRun, Of<v1::StartRunRequest>(ns)).status();
}

absl::Status GetRun(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &RunStub::GetRun, Of<v1::GetRunRequest>(ns)).status();
}

absl::Status ListRuns(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &RunStub::ListRuns, Of<v1::ListRunsRequest>(ns)).status();
}

absl::Status CancelRun(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &RunStub::CancelRun, Of<v1::CancelRunRequest>(ns)).status();
}

absl::Status CancelAllRuns(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &RunStub::CancelAllRuns, Of<v1::CancelAllRunsRequest>(ns)).status();
}

absl::Status RetryRun(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &RunStub::RetryRun, Of<v1::RetryRunRequest>(ns)).status();
}

absl::Status ListTaskExecutions(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &TaskStub::ListTaskExecutions, Of<v1::ListTaskExecutionsRequest>(ns))
      .status();
}

absl::Status GetTaskExecution(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &TaskStub::GetTaskExecution, Of<v1::GetTaskExecutionRequest>(ns))
      .status();
}

absl::Status CancelTaskExecution(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &TaskStub::CancelTaskExecution, Of<v1::CancelTaskExecutionRequest>(ns))
      .status();
}

absl::Status TaskLogs(Matrix& m, const Who& c, const std::string& ns) {
  TaskStub stub(m.gw.channel());
  auto context = m.gw.Context(c.secret);
  auto reader = stub.TaskLogs(context.get(), Of<v1::TaskLogsRequest>(ns));
  v1::TaskLogsResponse response;
  while (reader->Read(&response)) {
  }
  return rpc::FromGrpcStatus(reader->Finish());
}

// An AttachTask session whose start names task "build" of run 1; how the stream ended.
absl::Status AttachTask(Matrix& m, const Who& c, const std::string& ns) {
  TaskStub stub(m.gw.channel());
  auto context = m.gw.Context(c.secret);
  auto stream = stub.AttachTask(context.get());
  v1::AttachTaskRequest start;
  *start.mutable_start() = Of<v1::AttachTaskStart>(ns);
  stream->Write(start);
  stream->WritesDone();
  v1::AttachTaskResponse response;
  while (stream->Read(&response)) {
  }
  return rpc::FromGrpcStatus(stream->Finish());
}

absl::Status DeleteTaskLogs(Matrix& m, const Who& c, const std::string& ns) {
  return m.gw.Call(c.secret, &TaskStub::DeleteTaskLogs, Of<v1::DeleteTaskLogsRequest>(ns)).status();
}

}  // namespace

std::vector<Row> RunRows() {
  std::vector<Row> rows = {
      // method, variant, admin, user, read-only, no token
      {"RunService.StartRun", "default", A, A, D, U, In("default", StartRun)},
      {"RunService.StartRun", "other", A, D, D, U, In("other", StartRun)},
      {"RunService.GetRun", "default", A, A, A, U, In("default", GetRun)},
      {"RunService.GetRun", "other", A, D, A, U, In("other", GetRun)},
      {"RunService.ListRuns", "default", A, A, A, U, In("default", ListRuns)},
      {"RunService.ListRuns", "other", A, D, A, U, In("other", ListRuns)},
      {"RunService.CancelRun", "default", A, A, D, U, In("default", CancelRun)},
      {"RunService.CancelRun", "other", A, D, D, U, In("other", CancelRun)},
      {"RunService.CancelAllRuns", "default", A, A, D, U, In("default", CancelAllRuns)},
      {"RunService.CancelAllRuns", "other", A, D, D, U, In("other", CancelAllRuns)},
      {"RunService.RetryRun", "default", A, A, D, U, In("default", RetryRun)},
      {"RunService.RetryRun", "other", A, D, D, U, In("other", RetryRun)},
      {"TaskService.ListTaskExecutions", "default", A, A, A, U, In("default", ListTaskExecutions)},
      {"TaskService.ListTaskExecutions", "other", A, D, A, U, In("other", ListTaskExecutions)},
      {"TaskService.GetTaskExecution", "default", A, A, A, U, In("default", GetTaskExecution)},
      {"TaskService.GetTaskExecution", "other", A, D, A, U, In("other", GetTaskExecution)},
      {"TaskService.CancelTaskExecution", "default", A, A, D, U,
       In("default", CancelTaskExecution)},
      {"TaskService.CancelTaskExecution", "other", A, D, D, U, In("other", CancelTaskExecution)},
      {"TaskService.TaskLogs", "default", A, A, A, U, In("default", TaskLogs)},
      {"TaskService.TaskLogs", "other", A, D, A, U, In("other", TaskLogs)},
      {"TaskService.DeleteTaskLogs", "default", A, A, D, U, In("default", DeleteTaskLogs)},
      {"TaskService.DeleteTaskLogs", "other", A, D, D, U, In("other", DeleteTaskLogs)},
      {"TaskService.AttachTask", "default", A, A, D, U, In("default", AttachTask)},
      {"TaskService.AttachTask", "other", A, D, D, U, In("other", AttachTask)},
  };
  for (Row& row : rows) {
    row = ReachingTheRunQueue(std::move(row));
  }
  return rows;
}

}  // namespace gofer::api_gateway::matrix
