-- Object metadata, content-addressed blob references and multipart uploads.
-- Blobs are stored once per SHA-256 (FilesystemBlobStore); `refcount` counts the objects and
-- upload parts that reference a blob. A blob at refcount 0 since `unreferenced_since` is
-- collected after a grace period, under pg_advisory_xact_lock(hashtextextended(sha256, 0)),
-- the same lock a writer holds while linking a new copy into place.
CREATE TABLE blobs (
  sha256             text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size               bigint      NOT NULL CHECK (size >= 0),
  refcount           bigint      NOT NULL CHECK (refcount >= 0),
  created            timestamptz NOT NULL DEFAULT now(),
  unreferenced_since timestamptz
);
CREATE INDEX blobs_collectable ON blobs (unreferenced_since) WHERE refcount = 0;

-- scope: 1 pipeline, 2 run, 3 extension, 4 task log (gofer.objects.v1.ObjectScope).
CREATE TABLE objects (
  id           bigserial   PRIMARY KEY,
  scope        smallint    NOT NULL CHECK (scope BETWEEN 1 AND 4),
  namespace_id text        NOT NULL DEFAULT '',
  pipeline_id  text        NOT NULL DEFAULT '',
  run_id       bigint      NOT NULL DEFAULT 0,
  extension_id text        NOT NULL DEFAULT '',
  key          text        NOT NULL,
  sha256       text        NOT NULL REFERENCES blobs (sha256),
  size         bigint      NOT NULL,
  created      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (scope, namespace_id, pipeline_id, run_id, extension_id, key)
);
CREATE INDEX objects_pipeline_age ON objects (namespace_id, pipeline_id, created, id) WHERE scope = 1;
CREATE INDEX objects_by_run ON objects (namespace_id, pipeline_id, run_id) WHERE scope IN (2, 4);
CREATE INDEX objects_by_blob ON objects (sha256);

CREATE TABLE uploads (
  id           text        PRIMARY KEY,
  scope        smallint    NOT NULL,
  namespace_id text        NOT NULL DEFAULT '',
  pipeline_id  text        NOT NULL DEFAULT '',
  run_id       bigint      NOT NULL DEFAULT 0,
  extension_id text        NOT NULL DEFAULT '',
  key          text        NOT NULL,
  force        boolean     NOT NULL,
  size         bigint      NOT NULL CHECK (size >= 0),
  sha256       text        NOT NULL,
  part_size    bigint      NOT NULL CHECK (part_size > 0),
  part_count   integer     NOT NULL CHECK (part_count >= 1),
  created      timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX uploads_expiry ON uploads (expires_at);

CREATE TABLE upload_parts (
  upload_id   text    NOT NULL REFERENCES uploads (id),
  part_number integer NOT NULL CHECK (part_number >= 1),
  sha256      text    NOT NULL REFERENCES blobs (sha256),
  size        bigint  NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX upload_parts_by_blob ON upload_parts (sha256);
