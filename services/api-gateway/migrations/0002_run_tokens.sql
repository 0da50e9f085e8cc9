-- Run tokens (F-RUN-9): a token minted for one task attempt that injects one, scoped to its
-- run's pipeline by permissions of its own (not through a role), and revoked when the run
-- completes. `permissions` is added to every token: a token's permissions are its roles' plus
-- these.
ALTER TABLE tokens ADD COLUMN permissions jsonb NOT NULL DEFAULT '[]'::jsonb;
-- "<namespace>/<pipeline>/<run>" of a run token, and its attempt "<task>/<attempt>".
ALTER TABLE tokens ADD COLUMN run_key text;
ALTER TABLE tokens ADD COLUMN run_attempt text;
CREATE UNIQUE INDEX tokens_run_attempt ON tokens (run_key, run_attempt) WHERE run_key IS NOT NULL;
