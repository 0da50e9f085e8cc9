-- The api-gateway's state: system flags, namespaces, roles, tokens, pipelines, config versions
-- and deployments. Every change to these tables appends an event to the shared outbox in the
-- same transaction (libs/events).

CREATE TABLE system_flags (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO system_flags (key, value) VALUES ('bootstrap_token_created', 'false'), ('runs_paused', 'false');

CREATE TABLE namespaces (
  id          text        PRIMARY KEY,
  name        text        NOT NULL,
  description text        NOT NULL DEFAULT '',
  created     timestamptz NOT NULL DEFAULT now(),
  modified    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO namespaces (id, name, description)
VALUES ('default', 'Default', 'The namespace Gofer creates at its first start.');

-- permissions: [{"resources": ["runs", "namespaces:prod-*"], "actions": ["read", "write"]}]
CREATE TABLE roles (
  id          text        PRIMARY KEY,
  description text        NOT NULL DEFAULT '',
  permissions jsonb       NOT NULL,
  system_role boolean     NOT NULL DEFAULT false,
  created     timestamptz NOT NULL DEFAULT now(),
  modified    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO roles (id, description, permissions, system_role) VALUES
  ('admin', 'Everything, everywhere.',
   '[{"resources": ["all"], "actions": ["read", "write", "delete"]}]', true),
  ('user', 'Pipelines, runs, objects and secrets of the default namespace; reads extensions and system.',
   '[{"resources": ["namespaces:default", "pipelines:*", "configs", "deployments", "runs", "tasks",
                    "objects", "secrets", "subscriptions", "events"],
      "actions": ["read", "write", "delete"]},
     {"resources": ["extensions:*", "system"], "actions": ["read"]}]', true),
  ('read-only', 'Reads everything but tokens, roles and secret values.',
   '[{"resources": ["namespaces:*", "pipelines:*", "configs", "deployments", "runs", "tasks",
                    "objects", "secrets", "subscriptions", "events", "extensions:*", "system"],
      "actions": ["read"]}]', true);

-- Only the SHA-256 of a token's secret is stored.
CREATE TABLE tokens (
  id        text        PRIMARY KEY,
  hash      text        NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  user_name text        NOT NULL,
  roles     text[]      NOT NULL,
  metadata  jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created   timestamptz NOT NULL DEFAULT now(),
  expires   timestamptz,
  disabled  boolean     NOT NULL DEFAULT false
);
CREATE INDEX tokens_expiry ON tokens (expires) WHERE expires IS NOT NULL;

-- state: 1 active, 2 disabled (gofer.v1.PipelineState).
CREATE TABLE pipelines (
  namespace_id text        NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
  id           text        NOT NULL,
  name         text        NOT NULL DEFAULT '',
  description  text        NOT NULL DEFAULT '',
  state        smallint    NOT NULL DEFAULT 1,
  created      timestamptz NOT NULL DEFAULT now(),
  modified     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace_id, id)
);

-- state: 1 unreleased, 2 live, 3 deprecated (gofer.v1.ConfigState). `config` is the canonical
-- gofer.v1.PipelineConfig in the protobuf JSON mapping; `hash` its canonical SHA-256
-- (libs/pipeline ConfigHash).
CREATE TABLE configs (
  namespace_id text        NOT NULL,
  pipeline_id  text        NOT NULL,
  version      bigint      NOT NULL CHECK (version >= 1),
  config       jsonb       NOT NULL,
  hash         text        NOT NULL,
  state        smallint    NOT NULL DEFAULT 1,
  registered   timestamptz NOT NULL DEFAULT now(),
  deprecated   timestamptz,
  PRIMARY KEY (namespace_id, pipeline_id, version),
  FOREIGN KEY (namespace_id, pipeline_id) REFERENCES pipelines (namespace_id, id) ON DELETE CASCADE
);

CREATE TABLE deployments (
  namespace_id  text        NOT NULL,
  pipeline_id   text        NOT NULL,
  id            bigint      NOT NULL,
  type          smallint    NOT NULL,
  start_version bigint      NOT NULL,
  end_version   bigint      NOT NULL,
  state         smallint    NOT NULL,
  status        smallint    NOT NULL DEFAULT 0,
  canary        jsonb,
  steps         jsonb       NOT NULL DEFAULT '[]'::jsonb,
  started       timestamptz NOT NULL DEFAULT now(),
  ended         timestamptz,
  PRIMARY KEY (namespace_id, pipeline_id, id),
  FOREIGN KEY (namespace_id, pipeline_id) REFERENCES pipelines (namespace_id, id) ON DELETE CASCADE
);
-- At most one running deployment per pipeline.
CREATE UNIQUE INDEX deployments_one_running ON deployments (namespace_id, pipeline_id) WHERE state = 1;
