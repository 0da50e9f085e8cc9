-- The transactional outbox shared by every service (see docs/architecture.md, ADR-0004).
-- `tx` is the writing transaction's id: readers deliver events in (tx, id) order and only
-- once every transaction older than the reader's snapshot has ended, so an event that commits
-- late can never be skipped by a reader that already moved past its id.
CREATE TABLE events (
  id          bigserial   PRIMARY KEY,
  tx          xid8        NOT NULL DEFAULT pg_current_xact_id(),
  kind        text        NOT NULL CHECK (kind <> ''),
  namespace_id text       NOT NULL DEFAULT '',
  pipeline_id text        NOT NULL DEFAULT '',
  run_id      bigint      NOT NULL DEFAULT 0,
  task_id     text        NOT NULL DEFAULT '',
  actor       text        NOT NULL DEFAULT '',
  details     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  emitted_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_delivery_order ON events (tx, id);
CREATE INDEX events_emitted_at ON events (emitted_at);
CREATE INDEX events_by_pipeline ON events (namespace_id, pipeline_id, run_id, id);
