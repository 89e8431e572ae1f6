// The SQL one batch runs, built as text plus bound parameters (pure, no I/O). Every
// value is a parameter: rows travel as one JSON-array parameter per statement and are
// unpacked with jsonb_to_recordset, so a batch takes a handful of statements however
// many events it holds. Rows are sorted in SQL so concurrent batches lock rows in
// the same order.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { rollupRowsJson, UPSERT_ROLLUPS_PARAMETER, UPSERT_ROLLUPS_SQL } from '../../rollup/index.ts';
import type { RollupDelta } from '../../rollup/index.ts';
import { sqlParameters, TABLES } from '../../schema/index.ts';
import { chunkJsonArray, escapedJsonBytes, fitsEscaped, MAX_PARAMETER_BYTES } from './chunking.ts';
import type { PoisonRecord, RecordPosition } from './types.ts';

export interface Statement {
  sql: string;
  parameters: SqlParameter[];
}

/** Caps that keep each response under the Data API's 1 MiB (and 64 KB per row). */
export const MAX_CHECKPOINT_KEYS_PER_STATEMENT = 2000;
export const MAX_EVENT_IDS_PER_STATEMENT = 100_000;
/** Duplicate positions come back as comma-separated text, this many per row (< 64 KB). */
export const DUPLICATES_PER_ROW = 5000;

export type CheckpointKey = Pick<RecordPosition, 'streamArn' | 'shardId' | 'partitionKey'>;

/**
 * How long PostgreSQL lets a batch transaction sit idle (between two statements, or
 * after the last one before the commit) before it ends the session and rolls the
 * transaction back. A Lambda that dies inside its transaction (crash, timeout, OOM)
 * leaves it open, holding row locks on the checkpoints and rollups it touched; the
 * Data API only rolls it back after 3 minutes idle, and until then the retry of the
 * same shard waits on those locks. PostgreSQL's own timeout ends that wait sooner,
 * on Aurora as locally.
 *
 * Why 30 s: a live aggregator's idle gap is the time between a Data API answer and
 * its next call, i.e. the handler's own work on an already-decoded batch (dedup sets,
 * rollup accumulation: milliseconds even for 10,000 records) plus one HTTPS round
 * trip. A statement's run time is not idle time. No backoff sits between two
 * statements of one transaction: the aggregator's client makes one attempt per call
 * (maxAttempts 1, lambda.ts), and the retry policy's backoff (at most 5 s) runs
 * between transactions, after the failed one is rolled back. 30 s leaves two orders
 * of magnitude over a live gap, even on a cold or throttled network path, and is six
 * times shorter than the Data API's own 3 minutes. Ending a transaction that was
 * merely slow costs one retry of the batch, never data: it did not commit, and the
 * checkpoints make the retry exact.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * Locks the checkpoint row of each key (creating it at -1 when new) and returns, for
 * keys already applied up to some point, `ord` (1-based index into the chunk's keys)
 * and the applied sequence number as text. Rows at -1 are not returned.
 *
 * Existing rows are locked with SELECT ... FOR UPDATE, which writes no tuple (an
 * upsert that sets a column to itself would write one per key per batch, half the
 * checkpoint writes); only keys not seen yet are inserted. A key another transaction
 * inserted after this statement's snapshot meets the insert's conflict and is locked
 * and read there, at its latest value.
 */
export function lockCheckpointsStatements(
  keys: CheckpointKey[],
  idleInTransactionTimeoutMs: number = DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
): { statement: Statement; keys: CheckpointKey[] }[] {
  const out: { statement: Statement; keys: CheckpointKey[] }[] = [];
  for (let i = 0; i < keys.length; i += MAX_CHECKPOINT_KEYS_PER_STATEMENT) {
    const part = keys.slice(i, i + MAX_CHECKPOINT_KEYS_PER_STATEMENT);
    const json = JSON.stringify(part.map((k, j) => ({ o: j + 1, s: k.streamArn, h: k.shardId, p: k.partitionKey })));
    out.push({
      keys: part,
      statement: {
        // set_config(..., true) is SET LOCAL: evaluated with the keys (a volatile call,
        // so k is materialized and read whole by the insert below), it bounds this
        // transaction's idle time from its first statement on, at no extra call.
        sql: `WITH k AS (SELECT * FROM jsonb_to_recordset(CAST(:keys AS jsonb)) AS k(o int, s text, h text, p text)
  WHERE set_config('idle_in_transaction_session_timeout', :idle, true) IS NOT NULL),
locked AS (
  SELECT c.stream_arn, c.shard_id, c.partition_key, c.sequence_number FROM ${TABLES.checkpoints} c
  JOIN k ON k.s = c.stream_arn AND k.h = c.shard_id AND k.p = c.partition_key
  ORDER BY c.stream_arn, c.shard_id, c.partition_key FOR UPDATE OF c
),
created AS (
  INSERT INTO ${TABLES.checkpoints} AS c (stream_arn, shard_id, partition_key, sequence_number)
  SELECT k.s, k.h, k.p, -1 FROM k
  WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.stream_arn = k.s AND l.shard_id = k.h AND l.partition_key = k.p)
  ORDER BY k.s, k.h, k.p
  ON CONFLICT (stream_arn, shard_id, partition_key) DO UPDATE SET sequence_number = c.sequence_number
  RETURNING c.stream_arn, c.shard_id, c.partition_key, c.sequence_number
)
SELECT k.o, x.sequence_number::text FROM (SELECT * FROM locked UNION ALL SELECT * FROM created) x
JOIN k ON k.s = x.stream_arn AND k.h = x.shard_id AND k.p = x.partition_key
WHERE x.sequence_number >= 0`,
        parameters: sqlParameters({ keys: json, idle: `${Math.max(1, Math.round(idleInTransactionTimeoutMs))}ms` }),
      },
    });
  }
  return out;
}

/** One Kinesis record's identity (`recordDigest`, hex) and where it arrived: its shard and stream time. */
export interface RecordIdentity {
  digest: string;
  shardId: string;
  /** The record's approximateArrivalTimestamp, epoch milliseconds (stream time). */
  arrivalMs: number;
}

/** Record identities per statement: a Lambda batch holds at most 10,000 records, so one statement. */
export const MAX_RECORD_IDS_PER_STATEMENT = 10_000;

/**
 * Records Kinesis records as applied, by identity, each with its shard and arrival,
 * and returns, as rows of comma-separated text, `ord` (1-based index into the chunk)
 * of each record that is a copy: its identity is already stored with an arrival within
 * `horizonSeconds` of this one's (stream time, on any shard, so a copy that landed on
 * another shard after a reshard is caught). An identity stored further apart counts
 * as new again and takes this copy's shard and arrival. Identities must be unique
 * across `records` (the caller drops in-batch repeats). A copy being applied by a
 * concurrent transaction waits for it on the primary key, so it is counted once.
 */
export function recordRecordIdsStatements(records: RecordIdentity[], horizonSeconds: number): { statement: Statement; offset: number }[] {
  const out: { statement: Statement; offset: number }[] = [];
  for (let offset = 0; offset < records.length; offset += MAX_RECORD_IDS_PER_STATEMENT) {
    const part = records.slice(offset, offset + MAX_RECORD_IDS_PER_STATEMENT);
    const json = `[${part.map((r, j) => `{"o":${j + 1},"d":"${r.digest}","h":${JSON.stringify(r.shardId)},"a":${Math.round(r.arrivalMs)}}`).join(',')}]`;
    out.push({
      offset,
      statement: {
        sql: `WITH input AS (
  SELECT r.o AS ord, decode(r.d, 'hex') AS digest, r.h AS shard, to_timestamp(r.a / 1000.0) AS arrival
  FROM jsonb_to_recordset(CAST(:records AS jsonb)) AS r(o int, d text, h text, a bigint)
),
ins AS (
  INSERT INTO ${TABLES.recordIds} AS x (digest, shard_id, arrival) SELECT digest, shard, arrival FROM input ORDER BY digest
  ON CONFLICT (digest) DO UPDATE SET shard_id = EXCLUDED.shard_id, arrival = EXCLUDED.arrival
    WHERE abs(extract(epoch FROM EXCLUDED.arrival - x.arrival)) > CAST(:horizon AS integer)
  RETURNING x.digest
)
SELECT string_agg(CAST(d.ord AS text), ',' ORDER BY d.ord) FROM (
  SELECT input.ord FROM input LEFT JOIN ins ON ins.digest = input.digest WHERE ins.digest IS NULL
) d GROUP BY (d.ord - 1) / ${DUPLICATES_PER_ROW}`,
        parameters: sqlParameters({ records: json, horizon: horizonSeconds }),
      },
    });
  }
  return out;
}

/** The event ids of one Kinesis record: they share its shard and arrival time. */
export interface EventIdGroup {
  shardId: string;
  /** The record's approximateArrivalTimestamp, epoch milliseconds (stream time). */
  arrivalMs: number;
  ids: string[];
}

/**
 * Rows written by schema v1 carry no arrival: they count as applied while their
 * processing time (seen_at) is within v1's default horizon, and drain by it.
 */
export const LEGACY_EVENT_ID_HORIZON_SECONDS = 86_400;

/** Room in a group's JSON for everything but its ids (offset, shard id, arrival). */
const GROUP_OVERHEAD_BYTES = 1024;

/** A group and the JSON of its ids, computed once. */
interface GroupPiece { g: EventIdGroup; idsJson: string }

/** A group split, only when it alone passes a statement's limits, into groups that do not. */
function piecesOf(g: EventIdGroup): GroupPiece[] {
  const budget = MAX_PARAMETER_BYTES - GROUP_OVERHEAD_BYTES;
  if (g.ids.length <= MAX_EVENT_IDS_PER_STATEMENT) {
    const idsJson = JSON.stringify(g.ids);
    if (fitsEscaped(idsJson, budget)) return [{ g, idsJson }];
  }
  const out: EventIdGroup[] = [];
  let ids: string[] = [];
  let bytes = 2;
  for (const id of g.ids) {
    const size = escapedJsonBytes(JSON.stringify(id)) + 1;
    if (ids.length > 0 && (bytes + size > budget || ids.length >= MAX_EVENT_IDS_PER_STATEMENT)) {
      out.push({ ...g, ids });
      ids = [];
      bytes = 2;
    }
    ids.push(id);
    bytes += size;
  }
  if (ids.length > 0) out.push({ ...g, ids });
  return out.map((piece) => ({ g: piece, idsJson: JSON.stringify(piece.ids) }));
}

function groupJson({ g, idsJson }: GroupPiece, first: number): string {
  return `{"o":${first},"h":${JSON.stringify(g.shardId)},"a":${Math.round(g.arrivalMs)},"i":${idsJson}}`;
}

/**
 * Records event ids as applied, each with its record's shard and arrival time, and
 * returns, as rows of comma-separated text, `ord` (1-based index into the chunk's ids,
 * in group order) of each id that is a duplicate:
 * - an id already stored whose arrival is within `horizonSeconds` of this copy's
 *   arrival (stream time, so time the consumer spent down does not count); an id
 *   stored further apart in stream time counts as new again and takes this copy's
 *   shard and arrival;
 * - a quarantine redrive's claimed id whose quarantine row is already applied, however
 *   long ago. The first copy of a claimed id marks its row applied, in this transaction.
 * Ids must be unique across the groups (the caller drops in-batch repeats).
 */
export function recordEventIdsStatements(groups: EventIdGroup[], horizonSeconds: number): { statement: Statement; offset: number }[] {
  const out: { statement: Statement; offset: number }[] = [];
  // Chunks of whole groups (a Kinesis record's ids stay together unless one record
  // alone passes a limit) under the request and id-count limits; the usual batch is
  // one chunk.
  const chunks: { items: string[]; count: number }[] = [];
  let current: string[] = [];
  let count = 0;
  let bytes = 2;
  for (const piece of groups.filter((g) => g.ids.length > 0).flatMap(piecesOf)) {
    const g = piece.g;
    let item = groupJson(piece, count + 1);
    const size = (fitsEscaped(item, item.length * 2) ? item.length * 2 : escapedJsonBytes(item)) + 1;
    if (current.length > 0 && (bytes + size > MAX_PARAMETER_BYTES || count + g.ids.length > MAX_EVENT_IDS_PER_STATEMENT)) {
      chunks.push({ items: current, count });
      current = [];
      count = 0;
      bytes = 2;
      item = groupJson(piece, 1);
    }
    current.push(item);
    count += g.ids.length;
    bytes += size;
  }
  if (current.length > 0) chunks.push({ items: current, count });

  let offset = 0;
  for (const chunk of chunks) {
    out.push({
      offset,
      statement: {
        sql: `WITH input AS (
  SELECT x.id, g.o + x.n - 1 AS ord, g.h AS shard, to_timestamp(g.a / 1000.0) AS arrival
  FROM jsonb_to_recordset(CAST(:groups AS jsonb)) AS g(o int, h text, a bigint, i jsonb),
       jsonb_array_elements_text(g.i) WITH ORDINALITY AS x(id, n)
),
ins AS (
  INSERT INTO ${TABLES.eventIds} AS e (id, shard_id, arrival) SELECT id, shard, arrival FROM input ORDER BY id
  ON CONFLICT (id) DO UPDATE SET shard_id = EXCLUDED.shard_id, arrival = EXCLUDED.arrival, seen_at = now()
    WHERE CASE WHEN e.arrival IS NULL THEN e.seen_at < now() - make_interval(secs => CAST(:legacy AS integer))
               ELSE abs(extract(epoch FROM EXCLUDED.arrival - e.arrival)) > CAST(:horizon AS integer) END
  RETURNING e.id
),
claimed AS (
  SELECT DISTINCT q.redrive_event_id AS id FROM ${TABLES.quarantine} q JOIN input ON q.redrive_event_id = input.id
),
marked AS (
  UPDATE ${TABLES.quarantine} q SET applied_at = now() FROM input
  WHERE q.redrive_event_id = input.id AND q.applied_at IS NULL
  RETURNING q.redrive_event_id AS id
)
SELECT string_agg(CAST(d.ord AS text), ',' ORDER BY d.ord) FROM (
  SELECT input.ord FROM input
  LEFT JOIN ins ON ins.id = input.id
  LEFT JOIN claimed ON claimed.id = input.id
  LEFT JOIN (SELECT DISTINCT id FROM marked) m ON m.id = input.id
  WHERE ins.id IS NULL OR (claimed.id IS NOT NULL AND m.id IS NULL)
) d GROUP BY (d.ord - 1) / ${DUPLICATES_PER_ROW}`,
        parameters: sqlParameters({ groups: `[${chunk.items.join(',')}]`, horizon: horizonSeconds, legacy: LEGACY_EVENT_ID_HORIZON_SECONDS }),
      },
    });
    offset += chunk.count;
  }
  return out;
}

/** How far one shard's stream time has reached: the earliest arrival of its records in a batch. */
export interface ShardStreamTime {
  shardId: string;
  /** Epoch milliseconds. */
  earliestArrivalMs: number;
}

/**
 * One statement, in the batch's transaction: forgets, for each shard of the batch,
 * record identities and event ids whose arrival is older than the shard's earliest
 * arrival in the batch minus the horizon, at most `limits.records` and
 * `limits.events` rows a shard. Rows another batch is deleting are skipped (SKIP
 * LOCKED), so concurrent batches of one shard never wait on or deadlock over them.
 * Returns one row: how many record identities and event ids it forgot. Rows are
 * deleted by primary key from an array (`= ANY(ARRAY(...))`), so the plan is index
 * probes whatever the planner guesses of the JSON input's size.
 */
export function pruneShardIdsStatement(shards: ShardStreamTime[], horizonSeconds: number, limits: { records: number; events: number }): Statement {
  const json = JSON.stringify(shards.map((s) => ({ h: s.shardId, c: Math.round(s.earliestArrivalMs) })));
  const older = (table: string, key: string, limit: string) => `SELECT e.${key} FROM s,
      LATERAL (SELECT ${key} FROM ${table}
               WHERE shard_id = s.h AND arrival < to_timestamp(s.c / 1000.0) - make_interval(secs => CAST(:horizon AS integer))
               ORDER BY arrival LIMIT CAST(:${limit} AS integer) FOR UPDATE SKIP LOCKED) e`;
  return {
    sql: `WITH s AS (SELECT * FROM jsonb_to_recordset(CAST(:shards AS jsonb)) AS s(h text, c bigint)),
r AS (DELETE FROM ${TABLES.recordIds} WHERE digest = ANY(ARRAY(${older(TABLES.recordIds, 'digest', 'records')})) RETURNING 1),
e AS (DELETE FROM ${TABLES.eventIds} WHERE id = ANY(ARRAY(${older(TABLES.eventIds, 'id', 'events')})) RETURNING 1)
SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM e)`,
    parameters: sqlParameters({ shards: json, horizon: horizonSeconds, records: limits.records, events: limits.events }),
  };
}

/**
 * Raw bytes per quarantine statement: base64 of this stays well under the request
 * limit. A larger poison record (a stream may allow records up to 10 MiB) is stored
 * by an insert of its first slice and appends of the rest.
 */
export const QUARANTINE_SLICE_BYTES = 2 * 1024 * 1024;

/** Inserts poison records into the quarantine; one already there is left as it is. */
export function quarantineStatements(poison: PoisonRecord[]): Statement[] {
  const appends: Statement[] = [];
  const rows = poison.map((p) => {
    const first = p.raw.subarray(0, QUARANTINE_SLICE_BYTES);
    for (let offset = QUARANTINE_SLICE_BYTES; offset < p.raw.length; offset += QUARANTINE_SLICE_BYTES) {
      appends.push({
        // Appends only at the expected length, so a replayed statement never doubles bytes.
        sql: `UPDATE ${TABLES.quarantine} SET raw = raw || decode(:part, 'base64')
WHERE stream_arn = :s AND shard_id = :h AND sequence_number = CAST(:n AS numeric) AND sub_sequence_number = :u
  AND octet_length(raw) = :offset`,
        parameters: sqlParameters({
          part: p.raw.subarray(offset, offset + QUARANTINE_SLICE_BYTES).toString('base64'),
          s: p.streamArn, h: p.shardId, n: p.sequenceNumber, u: p.subSequenceNumber, offset,
        }),
      });
    }
    return JSON.stringify({
      s: p.streamArn, h: p.shardId, n: p.sequenceNumber, u: p.subSequenceNumber,
      // PostgreSQL text (and jsonb) cannot hold NUL, which a reason quoting binary data may.
      p: p.partitionKey, b: first.toString('base64'), r: p.reason.replaceAll('\u0000', '\\0'),
    });
  });
  const inserts = chunkJsonArray(rows).map((chunk) => ({
    sql: `INSERT INTO ${TABLES.quarantine} (stream_arn, shard_id, sequence_number, sub_sequence_number, partition_key, raw, reason)
SELECT q.s, q.h, CAST(q.n AS numeric), q.u, q.p, decode(q.b, 'base64'), q.r
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS q(s text, h text, n text, u int, p text, b text, r text)
ORDER BY q.s, q.h, CAST(q.n AS numeric), q.u
ON CONFLICT (stream_arn, shard_id, sequence_number, sub_sequence_number) DO NOTHING`,
    parameters: sqlParameters({ rows: chunk }),
  }));
  return [...inserts, ...appends];
}

/** Adds the deltas to the rollup rows (insert or merge); the statement is rollup/'s, chunked to the request limit. */
export function upsertRollupStatements(deltas: RollupDelta[]): Statement[] {
  return chunkJsonArray(rollupRowsJson(deltas)).map((chunk) => ({
    sql: UPSERT_ROLLUPS_SQL,
    parameters: sqlParameters({ [UPSERT_ROLLUPS_PARAMETER]: chunk }),
  }));
}

/** Moves each key's checkpoint forward to the last sequence number this batch applied. */
export function advanceCheckpointsStatements(advances: (CheckpointKey & { sequenceNumber: string })[]): Statement[] {
  const rows = advances.map((a) => JSON.stringify({ s: a.streamArn, h: a.shardId, p: a.partitionKey, n: a.sequenceNumber }));
  return chunkJsonArray(rows).map((chunk) => ({
    sql: `UPDATE ${TABLES.checkpoints} AS c SET sequence_number = CAST(v.n AS numeric), updated_at = now()
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(s text, h text, p text, n text)
WHERE c.stream_arn = v.s AND c.shard_id = v.h AND c.partition_key = v.p AND c.sequence_number < CAST(v.n AS numeric)`,
    parameters: sqlParameters({ rows: chunk }),
  }));
}

/**
 * Periodic housekeeping, outside any batch transaction, a bounded slice at a time:
 * 1. record identities and event ids of shards that stopped advancing (a closed
 *    parent after a reshard, a shard whose batches stopped): arrival older than
 *    `checkpointRetentionSeconds` before now. No copy of such a record can still be in
 *    the stream, so this is safe however long the consumer was down. Shards are found
 *    by a skip scan of the (shard_id, arrival) index, one probe per shard.
 * 2. rows written by schema v1 (no arrival), by processing time, as v1 did.
 * 3. checkpoints untouched for `checkpointRetentionSeconds`.
 */
export function pruneStatements(checkpointRetentionSeconds: number, limit = 10_000): Statement[] {
  return [
    staleShardsPrune(TABLES.recordIds, 'digest', checkpointRetentionSeconds, limit),
    staleShardsPrune(TABLES.eventIds, 'id', checkpointRetentionSeconds, limit),
    {
      sql: `DELETE FROM ${TABLES.eventIds} WHERE id = ANY(ARRAY(
  SELECT id FROM ${TABLES.eventIds} WHERE shard_id = '' AND seen_at < now() - make_interval(secs => CAST(:legacy AS integer))
  LIMIT CAST(:limit AS integer) FOR UPDATE SKIP LOCKED))`,
      parameters: sqlParameters({ legacy: LEGACY_EVENT_ID_HORIZON_SECONDS, limit }),
    },
    {
      sql: `DELETE FROM ${TABLES.checkpoints} WHERE (stream_arn, shard_id, partition_key) IN (
  SELECT stream_arn, shard_id, partition_key FROM ${TABLES.checkpoints}
  WHERE updated_at < now() - make_interval(secs => CAST(:retention AS integer)) LIMIT CAST(:limit AS integer))`,
      parameters: sqlParameters({ retention: checkpointRetentionSeconds, limit }),
    },
  ];
}

/** Rows of `table` older than the retention, for every shard (skip scan of its (shard_id, arrival) index). */
function staleShardsPrune(table: string, key: string, retentionSeconds: number, limit: number): Statement {
  return {
    sql: `WITH RECURSIVE shards(h) AS (
  (SELECT shard_id FROM ${table} WHERE shard_id > '' ORDER BY shard_id LIMIT 1)
  UNION ALL
  SELECT (SELECT shard_id FROM ${table} WHERE shard_id > shards.h ORDER BY shard_id LIMIT 1) FROM shards WHERE shards.h IS NOT NULL
)
DELETE FROM ${table} WHERE ${key} = ANY(ARRAY(
  SELECT e.${key} FROM shards,
    LATERAL (SELECT ${key} FROM ${table}
             WHERE shard_id = shards.h AND arrival < now() - make_interval(secs => CAST(:retention AS integer))
             ORDER BY arrival LIMIT CAST(:limit AS integer) FOR UPDATE SKIP LOCKED) e
  WHERE shards.h IS NOT NULL
  LIMIT CAST(:limit AS integer)))`,
    parameters: sqlParameters({ retention: retentionSeconds, limit }),
  };
}
