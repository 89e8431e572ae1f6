-- sluice schema v4: duplicates are caught per Kinesis record, not per event.
-- A producer that retries a PutRecords whose answer was lost writes the same record
-- again, byte for byte: its identity (the MD5 a KPL or compressed aggregate carries,
-- or the MD5 of a plain record) is stored once per record, with the shard and arrival
-- (stream time) of the record that carried it, and pruned per shard in stream time as
-- event ids are. Event ids stay for ids a client supplied (idOrigin "client"), which a
-- client may send again in another request; ids the producer generated, or the
-- consumer derived, no longer take a row each.
--
-- Additive: nothing existing is rewritten, so a database with data from before keeps
-- its rollups, checkpoints and event ids as they are (those ids keep catching copies
-- of events written before the upgrade, which carry no idOrigin and count as a
-- client's).

CREATE TABLE IF NOT EXISTS sluice_record_ids (
  digest   bytea PRIMARY KEY,
  shard_id text NOT NULL,
  arrival  timestamptz NOT NULL
);

-- Per-shard pruning in stream time, and the fallback for shards that stopped advancing.
CREATE INDEX IF NOT EXISTS sluice_record_ids_shard_arrival ON sluice_record_ids (shard_id, arrival);
