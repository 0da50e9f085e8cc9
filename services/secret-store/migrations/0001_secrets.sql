-- Secrets, encrypted at rest (envelope encryption; see docs/secrets.md). A row holds no
-- plaintext: `ciphertext` is nonce || AES-256-GCM(value, data key) || tag, `wrapped_key` is
-- nonce || AES-256-GCM(data key, master key `key_id`) || tag.
CREATE TABLE secrets (
  scope text COLLATE "C" NOT NULL CHECK (scope IN ('pipeline', 'global')),
  -- Empty for global secrets.
  namespace_id text COLLATE "C" NOT NULL,
  pipeline_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  ciphertext bytea NOT NULL,
  wrapped_key bytea NOT NULL,
  key_id text NOT NULL,
  -- Global secrets: globs over namespace ids allowed to use the secret.
  namespace_patterns text[] NOT NULL DEFAULT '{}',
  created timestamptz NOT NULL,
  modified timestamptz NOT NULL,
  PRIMARY KEY (scope, namespace_id, pipeline_id, key),
  CHECK ((scope = 'global') = (namespace_id = '' AND pipeline_id = '')),
  CHECK (scope = 'global' OR cardinality(namespace_patterns) = 0)
);
