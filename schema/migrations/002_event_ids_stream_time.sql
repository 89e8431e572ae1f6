-- sluice schema v2: the event-id dedup horizon is measured in stream time, per shard.
-- Each id keeps the shard and the Kinesis arrival time of the record that carried it;
-- a batch of shard S forgets S's ids older than its own earliest arrival minus the
-- horizon, so the table holds about horizon x rate rows and a database outage (which
-- stops stream time for the consumer) never expires an id early.
--
-- Written for a table that may already be large: both columns are added without a
-- table rewrite (a constant default, a nullable column). Rows written by v1 keep
-- shard '' (unknown) and a NULL arrival; the aggregator treats them as v1 did (seen_at
-- within one day) and the periodic prune drains them by seen_at.

ALTER TABLE sluice_event_ids ADD COLUMN IF NOT EXISTS shard_id text NOT NULL DEFAULT '';
ALTER TABLE sluice_event_ids ADD COLUMN IF NOT EXISTS arrival timestamptz;

-- Per-shard pruning in stream time, and the fallback for shards that stopped advancing.
CREATE INDEX IF NOT EXISTS sluice_event_ids_shard_arrival ON sluice_event_ids (shard_id, arrival);

-- Only v1 rows are pruned by processing time now: index just those, so the hot insert
-- path maintains two indexes (id, and shard + arrival), not three.
CREATE INDEX IF NOT EXISTS sluice_event_ids_legacy_seen ON sluice_event_ids (seen_at) WHERE shard_id = '';
DROP INDEX IF EXISTS sluice_event_ids_seen;

-- Quarantine redrive, exactly once whatever the horizon: a redrive claims the event id
-- it sends (before sending), and the aggregator sets applied_at in the same
-- transaction that applies (or recognises as already applied) that id; any later copy
-- of a claimed id whose row is already applied counts as a duplicate.
ALTER TABLE sluice_quarantine ADD COLUMN IF NOT EXISTS redrive_event_id text;
ALTER TABLE sluice_quarantine ADD COLUMN IF NOT EXISTS applied_at timestamptz;

CREATE INDEX IF NOT EXISTS sluice_quarantine_redrive_event ON sluice_quarantine (redrive_event_id)
  WHERE redrive_event_id IS NOT NULL;
