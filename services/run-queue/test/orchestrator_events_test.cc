// Every transition of a run appends its event to the outbox, in the same transaction, with the
// actor that made it (F-DBG-6): checked in the events table of a real stack (Stack).
#include <catch2/catch.hpp>

#include "run_events.h"

namespace gofer::run_queue::testing {
namespace {

// The index of the first event of `kind` (for `task_id`) at or after `from`, or -1.
int Find(const std::vector<RunEvent>& events, const std::string& kind, const std::string& task_id,
         int from = 0) {
  for (int i = from; i < static_cast<int>(events.size()); ++i) {
    if (events[i].kind == kind && events[i].task_id == task_id) {
      return i;
    }
  }
  return -1;
}

TEST_CASE("Every transition of a run appends an event with the actor that made it") {
  Stack stack;
  const auto run = stack.StartRun(R"(
id: evented
tasks:
  - id: first
    image: busybox
    script: echo one
  - id: second
    image: busybox
    depends_on: {first: success}
    script: exit 2
)");
  const auto done = stack.WaitForRun("evented", run.run_id());
  REQUIRE(done.status() == gofer::v1::RUN_STATUS_FAILED);
  // The last events may be written just after the run was seen complete: wait for run.completed.
  std::vector<RunEvent> events;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    events = RunEvents(stack, "evented", run.run_id());
  } while (Find(events, "run.completed", "") < 0 && absl::Now() < deadline);
  std::string all;
  for (const auto& e : events) {
    all += e.kind + " " + e.task_id + " " + e.actor + " " + e.details.dump() + "\n";
  }
  INFO(all);

  const std::string holder = "run-queue:r0@epoch-1";
  const int queued = Find(events, "run.queued", "");
  REQUIRE(queued == 0);
  CHECK(events[queued].actor == "token:tester");
  CHECK(events[queued].details["tasks"] == 2);
  const int started = Find(events, "run.started", "", queued);
  REQUIRE(started > queued);
  CHECK(events[started].actor == holder);
  int previous = started;
  for (const std::string task : {"first", "second"}) {
    INFO(task);
    const int waiting = Find(events, "task.waiting", task, previous);
    const int starting = Find(events, "task.starting", task, previous);
    const int running = Find(events, "task.running", task, previous);
    const int completed = Find(events, "task.completed", task, previous);
    CHECK(waiting > previous);
    CHECK(starting > waiting);
    CHECK(running > starting);
    CHECK(completed > running);
    REQUIRE(completed > 0);
    for (int i : {waiting, starting, running, completed}) {
      if (i >= 0) {
        CHECK(events[i].actor == holder);
      }
    }
    CHECK(events[starting].details["attempt"] == 1);
    previous = completed;
  }
  CHECK(events[Find(events, "task.completed", "first")].details["status"] == "successful");
  const auto& failed = events[Find(events, "task.completed", "second")];
  CHECK(failed.details["status"] == "failed");
  CHECK(failed.details["reason"] == "abnormal_exit");
  CHECK(failed.details["exit_code"] == 2);
  const int completed = Find(events, "run.completed", "", previous);
  REQUIRE(completed > previous);
  CHECK(events[completed].actor == holder);
  CHECK(events[completed].details["status"] == "failed");
  CHECK(events[completed].details["reason"] == "abnormal_exit");
  // Every event of the holder names it and its epoch.
  for (const auto& e : events) {
    if (e.kind != "run.queued") {
      CHECK(e.actor == holder);
    }
  }
}

}  // namespace
}  // namespace gofer::run_queue::testing
