-- A pipeline's latest and live versions, kept on its row by a trigger on configs, so reading a
-- pipeline (the API's hottest read) is one primary-key lookup instead of two aggregates.
ALTER TABLE pipelines ADD COLUMN latest_version bigint NOT NULL DEFAULT 0;
-- JSON array of the live versions, ascending.
ALTER TABLE pipelines ADD COLUMN live_versions text NOT NULL DEFAULT '[]';

CREATE FUNCTION pipelines_refresh_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ns text;
  pl text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    ns := OLD.namespace_id; pl := OLD.pipeline_id;
  ELSE
    ns := NEW.namespace_id; pl := NEW.pipeline_id;
  END IF;
  -- Lock the row first: the statement below then reads with a snapshot taken after any
  -- concurrent change to the same pipeline's configs committed.
  PERFORM 1 FROM pipelines WHERE namespace_id = ns AND id = pl FOR UPDATE;
  UPDATE pipelines p SET
    latest_version = (SELECT coalesce(max(version), 0) FROM configs c
                      WHERE c.namespace_id = ns AND c.pipeline_id = pl),
    live_versions = (SELECT coalesce(json_agg(version ORDER BY version), '[]')::text
                     FROM configs c
                     WHERE c.namespace_id = ns AND c.pipeline_id = pl AND c.state = 2)
  WHERE p.namespace_id = ns AND p.id = pl;
  RETURN NULL;
END $$;

CREATE TRIGGER configs_refresh_pipeline_versions
  AFTER INSERT OR DELETE OR UPDATE OF state, version ON configs
  FOR EACH ROW EXECUTE FUNCTION pipelines_refresh_versions();

UPDATE pipelines p SET
  latest_version = (SELECT coalesce(max(version), 0) FROM configs c
                    WHERE c.namespace_id = p.namespace_id AND c.pipeline_id = p.id),
  live_versions = (SELECT coalesce(json_agg(version ORDER BY version), '[]')::text FROM configs c
                   WHERE c.namespace_id = p.namespace_id AND c.pipeline_id = p.id
                   AND c.state = 2);
