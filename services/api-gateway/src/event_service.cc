#include "event_service.h"

#include <atomic>
#include <deque>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "convert.h"
#include "gofer/common/errors.h"
#include "gofer/common/fmt_absl.h"
#include "gofer/common/pagination.h"
#include "gofer/common/status_macros.h"
#include "gofer/common/validation.h"
#include "gofer/pg/listener.h"
#include "gofer/rpc/proto_time.h"
#include "gofer/rpc/status.h"
#include "spdlog/spdlog.h"

namespace gofer::api_gateway {
namespace {

constexpr int kWatchBatch = 100;

void ToProto(const events::Event& e, v1::Event* out) {
  out->set_id(e.id);
  out->set_kind(e.kind);
  out->set_namespace_id(e.namespace_id);
  out->set_pipeline_id(e.pipeline_id);
  out->set_run_id(e.run_id);
  out->set_task_id(e.task_id);
  out->set_actor(e.actor);
  out->set_details(e.details);
  rpc::ToTimestamp(e.emitted_at, out->mutable_emitted());
}

events::Filter FromProto(const v1::EventFilter& f) {
  return {f.namespace_id(), f.pipeline_id(), f.run_id(), f.kind()};
}

absl::Status Validate(const v1::EventFilter& f) {
  Violations v;
  if (!f.namespace_id().empty()) {
    v.CheckIdentifier("filter.namespace_id", f.namespace_id());
  }
  if (!f.pipeline_id().empty()) {
    v.CheckIdentifier("filter.pipeline_id", f.pipeline_id());
    if (f.namespace_id().empty()) {
      v.Add("filter.pipeline_id", "needs filter.namespace_id");
    }
  }
  if (f.run_id() < 0 || (f.run_id() > 0 && f.pipeline_id().empty())) {
    v.Add("filter.run_id", "must be a run number with filter.pipeline_id");
  }
  if (f.kind().size() > 128) {
    v.Add("filter.kind", "must be at most 128 characters");
  }
  return v.ToStatus();
}

// Reading events of every namespace needs the events grant on all of them ("namespaces:*").
// Without a pipeline filter, every pipeline's events come back: that needs an all-pipelines
// grant too ("*" is covered only by an all-star glob), not just one pipeline's.
Need EventsNeed(const v1::EventFilter& f) {
  return {.kind = "events",
          .namespace_id = f.namespace_id().empty() ? "*" : f.namespace_id(),
          .pipeline_id = f.pipeline_id().empty() ? "*" : f.pipeline_id()};
}

// Token and role events name users and their roles: only callers who may read tokens see them.
bool Visible(const events::Event& e, bool sees_access_events) {
  return sees_access_events || !(e.kind.rfind("token.", 0) == 0 || e.kind.rfind("role.", 0) == 0);
}

bool SeesAccessEvents(const Caller& caller) {
  return Allows(caller.principal.permissions,
                {.kind = "tokens", .action = Action::kRead, .admin_only = true});
}

std::string Fingerprint(const v1::EventFilter& f) {
  return fmt::format("events/{}/{}/{}/{}", f.namespace_id(), f.pipeline_id(), f.run_id(), f.kind());
}

std::string EncodeCursor(const events::Cursor& c) { return fmt::format("{}:{}", c.tx, c.id); }

absl::StatusOr<events::Cursor> DecodeCursor(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  events::Cursor c;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &c.tx) ||
      !absl::SimpleAtoi(parts[1], &c.id)) {
    return InvalidArgumentError({{"page_token", "is not a token this server issued"}});
  }
  return c;
}

// Sends stored events from a start position, then new ones as they commit.
class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchEventsResponse> {
 public:
  WatchReactor(grpc::CallbackServerContext* ctx, const v1::WatchEventsRequest& req, pg::Pool& pool,
               const events::Outbox& outbox, EventNotifier& notifier, Gatekeeper& gate)
      : ctx_(ctx), request_(req), pool_(pool), outbox_(outbox), notifier_(notifier), gate_(gate) {
    const bool admitted = gate_.runtime().executor().TrySubmit([this, ctx] {
      absl::Status s = Validate(request_.filter());
      if (s.ok()) {
        auto caller = gate_.Admit(*ctx, EventsNeed(request_.filter()));
        s = caller.status();
        sees_access_events_ = caller.ok() && SeesAccessEvents(*caller);
      }
      if (s.ok()) {
        s = ResolveStart();
      }
      if (!s.ok()) {
        Finish(rpc::ToGrpcStatus(gate_.Sanitize(s, "WatchEvents")));
        return;
      }
      ReadBatch();
    });
    if (!admitted) {
      Finish(rpc::ToGrpcStatus(WithErrorInfo(absl::ResourceExhaustedError("server is at capacity"),
                                             ErrorReason::kOverloaded)));
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    if (!pending_.empty()) {
      WriteNext();
      return;
    }
    Continue();
  }

  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  absl::Status ResolveStart() {
    if (request_.has_after_event_id()) {
      GOFER_ASSIGN_OR_RETURN(cursor_, outbox_.CursorOf(pool_, request_.after_event_id()));
    } else if (request_.from_now()) {
      GOFER_ASSIGN_OR_RETURN(cursor_, outbox_.Head(pool_));
    }
    return absl::OkStatus();
  }

  // On the executor: the next batch, or a wait for the notifier when there is none.
  void ReadBatch() {
    if (cancelled_) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
      return;
    }
    // A watch lives long: a token disabled, deleted or expired meanwhile ends it (the lookup
    // is cached, so this costs nothing per batch).
    if (absl::Status s = gate_.Admit(*ctx_, EventsNeed(request_.filter())).status(); !s.ok()) {
      Finish(rpc::ToGrpcStatus(s));
      return;
    }
    auto page = outbox_.Read(pool_, cursor_, FromProto(request_.filter()), kWatchBatch);
    if (!page.ok()) {
      if (!absl::IsUnavailable(page.status())) {
        Finish(rpc::ToGrpcStatus(gate_.Sanitize(page.status(), "WatchEvents")));
        return;
      }
      spdlog::warn("WatchEvents: {}; retrying", page.status().message());
    } else if (!page->events.empty()) {
      cursor_ = page->next;
      for (events::Event& e : page->events) {
        if (Visible(e, sees_access_events_)) {
          pending_.push_back(std::move(e));
        }
      }
      if (!pending_.empty()) {
        WriteNext();
        return;
      }
      Continue();  // everything read was hidden: read on
      return;
    }
    notifier_.OnNextWake([this] { Continue(); });
  }

  void Continue() {
    if (!gate_.runtime().executor().Submit([this] { ReadBatch(); })) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down"));
    }
  }

  void WriteNext() {
    response_.Clear();
    ToProto(pending_.front(), response_.mutable_event());
    pending_.pop_front();
    StartWrite(&response_);
  }

  grpc::CallbackServerContext* const ctx_;
  const v1::WatchEventsRequest request_;
  bool sees_access_events_ = false;
  pg::Pool& pool_;
  const events::Outbox& outbox_;
  EventNotifier& notifier_;
  Gatekeeper& gate_;
  events::Cursor cursor_;
  std::deque<events::Event> pending_;
  v1::WatchEventsResponse response_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

EventNotifier::EventNotifier(std::string dsn, absl::Duration tick)
    : dsn_(std::move(dsn)), tick_(tick) {
  thread_ = std::thread([this] { Loop(); });
}

EventNotifier::~EventNotifier() {
  stop_.Notify();
  thread_.join();
}

void EventNotifier::OnNextWake(std::function<void()> wake) {
  absl::MutexLock lock(&mu_);
  waiters_.push_back(std::move(wake));
}

void EventNotifier::Loop() {
  std::unique_ptr<pg::Listener> listener;
  while (!stop_.HasBeenNotified()) {
    if (listener == nullptr) {
      auto created = pg::Listener::Create(dsn_, events::Outbox::kChannel);
      if (created.ok()) {
        listener = *std::move(created);
      }
    }
    if (listener == nullptr || !listener->Wait(tick_).ok()) {
      stop_.WaitForNotificationWithTimeout(tick_);  // Postgres is down: poll at the tick
    }
    std::vector<std::function<void()>> woken;
    {
      absl::MutexLock lock(&mu_);
      woken.swap(waiters_);
    }
    for (auto& wake : woken) {
      wake();
    }
  }
}

grpc::ServerUnaryReactor* EventService::ListEvents(grpc::CallbackServerContext* ctx,
                                                   const v1::ListEventsRequest* req,
                                                   v1::ListEventsResponse* resp) {
  return gate_.Unary(
      ctx, EventsNeed(req->filter()), [this, req, resp](const Caller& caller) -> absl::Status {
        GOFER_RETURN_IF_ERROR(Validate(req->filter()));
        const std::string fingerprint = Fingerprint(req->filter());
        GOFER_ASSIGN_OR_RETURN(PageRequest page,
                               ParsePageRequest(req->page_size(), req->page_token(), fingerprint,
                                                {.default_size = 100}));
        events::Cursor after;
        if (!page.after.empty()) {
          GOFER_ASSIGN_OR_RETURN(after, DecodeCursor(page.after));
        }
        GOFER_ASSIGN_OR_RETURN(events::Page read,
                               outbox_.Read(pool_, after, FromProto(req->filter()), page.limit));
        const bool sees_access_events = SeesAccessEvents(caller);
        for (const events::Event& e : read.events) {
          if (Visible(e, sees_access_events)) {
            ToProto(e, resp->add_events());
          }
        }
        // The log never ends: the token always points after the last event read (or stays
        // where it was), so a reader can page to the end and keep polling from there.
        resp->set_next_page_token(MakePageToken(EncodeCursor(read.next), fingerprint));
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<v1::WatchEventsResponse>* EventService::WatchEvents(
    grpc::CallbackServerContext* ctx, const v1::WatchEventsRequest* req) {
  return new WatchReactor(ctx, *req, pool_, outbox_, notifier_, gate_);
}

}  // namespace gofer::api_gateway
