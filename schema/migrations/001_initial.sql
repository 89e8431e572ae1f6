-- sluice schema v1: rollups, per-(shard, partition key) checkpoints, event-id dedup
-- and the quarantine of poison records. Sums are `numeric` so they stay exact.

CREATE TABLE IF NOT EXISTS sluice_rollups (
  rollup      text        NOT NULL,
  window_s    integer     NOT NULL,
  event_type  text        NOT NULL,
  bucket      timestamptz NOT NULL,
  -- JSON array of the group-by values in the rollup's groupBy order ('[]' when it groups by none)
  dim_key     text        NOT NULL,
  dims        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  count       bigint      NOT NULL,
  sum         numeric     NOT NULL,
  min         double precision NOT NULL,
  max         double precision NOT NULL,
  -- sparse HyperLogLog registers {"index": rank} of the rollup's approxDistinct dimension
  hll         jsonb,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollup, window_s, event_type, bucket, dim_key)
);

CREATE INDEX IF NOT EXISTS sluice_rollups_type_bucket ON sluice_rollups (event_type, window_s, bucket);

-- How far each (shard, partition key) has been applied. Lambda keeps order per partition
-- key only when ParallelizationFactor > 1, so a per-shard maximum would skip records.
CREATE TABLE IF NOT EXISTS sluice_checkpoints (
  stream_arn      text    NOT NULL,
  shard_id        text    NOT NULL,
  partition_key   text    NOT NULL,
  sequence_number numeric(130, 0) NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_arn, shard_id, partition_key)
);

CREATE INDEX IF NOT EXISTS sluice_checkpoints_updated ON sluice_checkpoints (updated_at);

-- Event ids applied within the dedup horizon: a producer retry that wrote an event twice
-- is counted once.
CREATE TABLE IF NOT EXISTS sluice_event_ids (
  id       text        PRIMARY KEY,
  seen_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS sluice_event_ids_seen ON sluice_event_ids (seen_at);

CREATE TABLE IF NOT EXISTS sluice_quarantine (
  id                  bigserial   PRIMARY KEY,
  stream_arn          text        NOT NULL,
  shard_id            text        NOT NULL,
  sequence_number     numeric(130, 0) NOT NULL,
  -- position inside a KPL aggregate; -1 when the whole Kinesis record is unreadable
  sub_sequence_number integer     NOT NULL,
  partition_key       text        NOT NULL,
  raw                 bytea       NOT NULL,
  reason              text        NOT NULL,
  received_at         timestamptz NOT NULL DEFAULT now(),
  -- 'pending' until a redrive has sent it back through the producer, then 'redriven'
  status              text        NOT NULL DEFAULT 'pending',
  redriven_at         timestamptz,
  redrive_note        text,
  UNIQUE (stream_arn, shard_id, sequence_number, sub_sequence_number)
);

CREATE INDEX IF NOT EXISTS sluice_quarantine_status ON sluice_quarantine (status, id);

-- Element-wise maximum of two sparse HyperLogLog register maps.
CREATE OR REPLACE FUNCTION sluice_hll_merge(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN a IS NULL THEN b
    WHEN b IS NULL THEN a
    ELSE (SELECT COALESCE(jsonb_object_agg(k, m), '{}'::jsonb)
          FROM (SELECT k, max(v::int) AS m
                FROM (SELECT key AS k, value AS v FROM jsonb_each_text(a)
                      UNION ALL
                      SELECT key AS k, value AS v FROM jsonb_each_text(b)) u
                GROUP BY k) g)
  END
$$;
