// Every change to served data moves the dataset revision: HTTP caches and in-memory answers
// validate against it, whichever process (and whichever ingest, weekly or daily) made the change.
export const BUMP_DATASET_REVISION = `INSERT INTO meta (key, value) VALUES ('dataset_revision', '1'), ('dataset_updated_at', @now)
  ON CONFLICT (key) DO UPDATE SET value = CASE key
    WHEN 'dataset_revision' THEN CAST(CAST(value AS INTEGER) + 1 AS TEXT) ELSE excluded.value END`;
