-- Runs, task executions, attempts and log-chunk indexes (docs/run-queue.md, "Durable state").
-- Postgres is the source of truth; Redis only holds the ready queue and the leases. Every write
-- a replica makes while processing a run is conditional on runs.lease_epoch (fencing).
-- States, statuses and reason kinds are stored by their lowercase names (states.h).

-- The last run number of each pipeline: runs are numbered 1, 2, 3, ... in start order.
CREATE TABLE pipeline_counters (
  namespace_id text   NOT NULL,
  pipeline_id  text   NOT NULL,
  last_run_id  bigint NOT NULL,
  PRIMARY KEY (namespace_id, pipeline_id)
);

CREATE TABLE runs (
  namespace_id       text        NOT NULL,
  pipeline_id        text        NOT NULL,
  run_id             bigint      NOT NULL CHECK (run_id >= 1),
  config_version     bigint      NOT NULL,
  -- gofer.v1.PipelineConfig, serialized: the snapshot the run executes.
  config             bytea       NOT NULL,
  -- gofer.v1.Variable list and gofer.v1.Initiator as JSON (proto JSON mapping).
  variables          jsonb       NOT NULL DEFAULT '[]',
  initiator          jsonb       NOT NULL DEFAULT '{}',
  idempotency_key    text,
  parallelism        integer     NOT NULL DEFAULT 0,
  state              text        NOT NULL CHECK (state IN ('pending', 'running', 'complete')),
  status             text        NOT NULL DEFAULT 'none',
  reason_kind        text        NOT NULL DEFAULT 'none',
  reason_description text        NOT NULL DEFAULT '',
  waiting_reason     text        NOT NULL DEFAULT '',
  retry_of           bigint      NOT NULL DEFAULT 0,
  -- A requested cancellation of the whole run (by a person, a program or a timeout).
  cancel_kind        text,
  cancel_description text        NOT NULL DEFAULT '',
  cancel_grace_ms    bigint      NOT NULL DEFAULT 0,
  queued             timestamptz NOT NULL DEFAULT now(),
  started            timestamptz,
  ended              timestamptz,
  -- Fencing: bumped by every replica that acquires the run's lease.
  lease_epoch        bigint      NOT NULL DEFAULT 0,
  lease_holder       text        NOT NULL DEFAULT '',
  -- When the run should next be looked at (rebuilds the Redis ready queue).
  next_check_at      timestamptz NOT NULL DEFAULT now(),
  -- Set once the run fell out of its pipeline's newest runs and its logs and run objects
  -- were deleted (retention, F-LOG-3 and F-OBJ-1).
  expired            boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (namespace_id, pipeline_id, run_id),
  UNIQUE (namespace_id, pipeline_id, idempotency_key)
);
CREATE INDEX runs_unfinished ON runs (namespace_id, pipeline_id, queued, run_id)
  WHERE state <> 'complete';
CREATE INDEX runs_running ON runs (state) WHERE state = 'running';

CREATE TABLE task_executions (
  namespace_id       text        NOT NULL,
  pipeline_id        text        NOT NULL,
  run_id             bigint      NOT NULL,
  task_id            text        NOT NULL,
  -- Position in the plan (dependency order), for listing.
  position           integer     NOT NULL,
  attempt            integer     NOT NULL DEFAULT 1,
  state              text        NOT NULL,
  status             text        NOT NULL DEFAULT 'none',
  reason_kind        text        NOT NULL DEFAULT 'none',
  reason_description text        NOT NULL DEFAULT '',
  exit_code          integer,
  node               text        NOT NULL DEFAULT '',
  image_digest       text        NOT NULL DEFAULT '',
  scheduler_id       text        NOT NULL DEFAULT '',
  reused             boolean     NOT NULL DEFAULT false,
  -- Earliest dispatch of the current attempt (retry backoff).
  not_before         timestamptz,
  -- The stop of the current attempt that was requested (cancellation or timeout).
  stop_kind          text,
  stop_description   text        NOT NULL DEFAULT '',
  stop_grace_ms      bigint      NOT NULL DEFAULT 0,
  -- A cancellation of this task requested through the API, applied by the lease holder.
  cancel_requested   boolean     NOT NULL DEFAULT false,
  cancel_grace_ms    bigint      NOT NULL DEFAULT 0,
  cancel_by          text        NOT NULL DEFAULT '',
  -- Phase times of the current attempt (F-RUN-10).
  queued             timestamptz,
  leased             timestamptz,
  container_created  timestamptz,
  image_pulled       timestamptz,
  started            timestamptz,
  exited             timestamptz,
  logs_flushed       timestamptz,
  PRIMARY KEY (namespace_id, pipeline_id, run_id, task_id),
  FOREIGN KEY (namespace_id, pipeline_id, run_id) REFERENCES runs ON DELETE CASCADE
);

-- Every finished attempt; never updated once written.
CREATE TABLE task_attempts (
  namespace_id       text        NOT NULL,
  pipeline_id        text        NOT NULL,
  run_id             bigint      NOT NULL,
  task_id            text        NOT NULL,
  attempt            integer     NOT NULL,
  status             text        NOT NULL,
  reason_kind        text        NOT NULL DEFAULT 'none',
  reason_description text        NOT NULL DEFAULT '',
  exit_code          integer,
  node               text        NOT NULL DEFAULT '',
  image_digest       text        NOT NULL DEFAULT '',
  queued             timestamptz,
  leased             timestamptz,
  container_created  timestamptz,
  image_pulled       timestamptz,
  started            timestamptz,
  exited             timestamptz,
  logs_flushed       timestamptz,
  PRIMARY KEY (namespace_id, pipeline_id, run_id, task_id, attempt),
  FOREIGN KEY (namespace_id, pipeline_id, run_id) REFERENCES runs ON DELETE CASCADE
);

-- The chunks of each attempt's log, stored in the object store (scope TASK_LOG, key
-- "<task>/<attempt>/<seq>-e<lease epoch>") and indexed here by line range.
CREATE TABLE task_log_chunks (
  namespace_id text    NOT NULL,
  pipeline_id  text    NOT NULL,
  run_id       bigint  NOT NULL,
  task_id      text    NOT NULL,
  attempt      integer NOT NULL,
  seq          integer NOT NULL,
  first_line   bigint  NOT NULL,
  line_count   integer NOT NULL CHECK (line_count > 0),
  bytes        bigint  NOT NULL,
  -- The scheduler's output offset just after the chunk: a new lease holder resumes there.
  end_offset   bigint  NOT NULL,
  object_key   text    NOT NULL,
  PRIMARY KEY (namespace_id, pipeline_id, run_id, task_id, attempt, seq),
  FOREIGN KEY (namespace_id, pipeline_id, run_id) REFERENCES runs ON DELETE CASCADE
);
