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
 * Locks the checkpoint row of each key (creating it at -1 when new) and returns, for
 * keys already applied up to some point, `ord` (1-based index into the chunk's keys)
 * and the applied sequence number as text. Rows at -1 are not returned.
 */
export function lockCheckpointsStatements(keys: CheckpointKey[]): { statement: Statement; keys: CheckpointKey[] }[] {
  const out: { statement: Statement; keys: CheckpointKey[] }[] = [];
  for (let i = 0; i < keys.length; i += MAX_CHECKPOINT_KEYS_PER_STATEMENT) {
    const part = keys.slice(i, i + MAX_CHECKPOINT_KEYS_PER_STATEMENT);
    const json = JSON.stringify(part.map((k, j) => ({ o: j + 1, s: k.streamArn, h: k.shardId, p: k.partitionKey })));
    out.push({
      keys: part,
      statement: {
        sql: `WITH k AS (SELECT * FROM jsonb_to_recordset(CAST(:keys AS jsonb)) AS k(o int, s text, h text, p text)),
c AS (
  INSERT INTO ${TABLES.checkpoints} AS c (stream_arn, shard_id, partition_key, sequence_number)
  SELECT k.s, k.h, k.p, -1 FROM k ORDER BY k.s, k.h, k.p
  ON CONFLICT (stream_arn, shard_id, partition_key) DO UPDATE SET sequence_number = c.sequence_number
  RETURNING c.stream_arn, c.shard_id, c.partition_key, c.sequence_number
)
SELECT k.o, c.sequence_number::text FROM c JOIN k ON k.s = c.stream_arn AND k.h = c.shard_id AND k.p = c.partition_key
WHERE c.sequence_number >= 0`,
        parameters: sqlParameters({ keys: json }),
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
 * One statement, in the batch's transaction: forgets, for each shard of the batch, at
 * most `limit` of that shard's ids whose arrival is older than the shard's earliest
 * arrival in the batch minus the horizon. Rows another batch is deleting are skipped
 * (SKIP LOCKED), so concurrent batches of one shard never wait on or deadlock over
 * them. Returns one row: how many ids it forgot. Rows are deleted by primary key from
 * an array (`= ANY(ARRAY(...))`), so the plan is index probes whatever the planner
 * guesses of the JSON input's size.
 */
export function pruneShardEventIdsStatement(shards: ShardStreamTime[], horizonSeconds: number, limit: number): Statement {
  const json = JSON.stringify(shards.map((s) => ({ h: s.shardId, c: Math.round(s.earliestArrivalMs) })));
  return {
    sql: `WITH d AS (
  DELETE FROM ${TABLES.eventIds} WHERE id = ANY(ARRAY(
    SELECT e.id FROM jsonb_to_recordset(CAST(:shards AS jsonb)) AS s(h text, c bigint),
      LATERAL (SELECT id FROM ${TABLES.eventIds}
               WHERE shard_id = s.h AND arrival < to_timestamp(s.c / 1000.0) - make_interval(secs => CAST(:horizon AS integer))
               ORDER BY arrival LIMIT CAST(:limit AS integer) FOR UPDATE SKIP LOCKED) e))
  RETURNING 1
)
SELECT count(*) FROM d`,
    parameters: sqlParameters({ shards: json, horizon: horizonSeconds, limit }),
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
      p: p.partitionKey, b: first.toString('base64'), r: p.reason,
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
 * 1. ids of shards that stopped advancing (a closed parent after a reshard, a shard
 *    whose batches stopped): arrival older than `checkpointRetentionSeconds` before
 *    now. No copy of such a record can still be in the stream, so this is safe
 *    however long the consumer was down. Shards are found by a skip scan of the
 *    (shard_id, arrival) index, one probe per shard.
 * 2. rows written by schema v1 (no arrival), by processing time, as v1 did.
 * 3. checkpoints untouched for `checkpointRetentionSeconds`.
 */
export function pruneStatements(checkpointRetentionSeconds: number, limit = 10_000): Statement[] {
  return [
    {
      sql: `WITH RECURSIVE shards(h) AS (
  (SELECT shard_id FROM ${TABLES.eventIds} WHERE shard_id > '' ORDER BY shard_id LIMIT 1)
  UNION ALL
  SELECT (SELECT shard_id FROM ${TABLES.eventIds} WHERE shard_id > shards.h ORDER BY shard_id LIMIT 1) FROM shards WHERE shards.h IS NOT NULL
)
DELETE FROM ${TABLES.eventIds} WHERE id = ANY(ARRAY(
  SELECT e.id FROM shards,
    LATERAL (SELECT id FROM ${TABLES.eventIds}
             WHERE shard_id = shards.h AND arrival < now() - make_interval(secs => CAST(:retention AS integer))
             ORDER BY arrival LIMIT CAST(:limit AS integer) FOR UPDATE SKIP LOCKED) e
  WHERE shards.h IS NOT NULL
  LIMIT CAST(:limit AS integer)))`,
      parameters: sqlParameters({ retention: checkpointRetentionSeconds, limit }),
    },
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
