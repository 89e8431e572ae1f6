// The SQL one batch runs, built as text plus bound parameters (pure, no I/O). Every
// value is a parameter: rows travel as one JSON-array parameter per statement and are
// unpacked with jsonb_to_recordset, so a batch takes a handful of statements however
// many events it holds. Rows are sorted in SQL so concurrent batches lock rows in
// the same order.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { sqlParameters, TABLES } from '../../schema/index.ts';
import { chunkJsonArray, chunkJsonArrayCounted, fitsEscaped, MAX_PARAMETER_BYTES } from './chunking.ts';
import type { PoisonRecord, RecordPosition, RollupDelta } from './types.ts';

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

/**
 * Records event ids as applied and returns, as rows of comma-separated text, `ord`
 * (1-based index into the chunk) of each id already applied within the horizon. An id seen longer ago than the horizon
 * counts as new again and its time is refreshed.
 */
export function recordEventIdsStatements(ids: string[], horizonSeconds: number): { statement: Statement; offset: number }[] {
  const out: { statement: Statement; offset: number }[] = [];
  let offset = 0;
  // One native JSON.stringify covers the usual single-statement case.
  const whole = JSON.stringify(ids);
  const chunks = ids.length <= MAX_EVENT_IDS_PER_STATEMENT && fitsEscaped(whole, MAX_PARAMETER_BYTES)
    ? [{ json: whole, count: ids.length }]
    : chunkJsonArrayCounted(ids.map((id) => JSON.stringify(id)), undefined, MAX_EVENT_IDS_PER_STATEMENT);
  for (const { json: chunk, count } of chunks) {
    out.push({
      offset,
      statement: {
        sql: `WITH input AS (SELECT value AS id, ordinality AS ord FROM jsonb_array_elements_text(CAST(:ids AS jsonb)) WITH ORDINALITY),
ins AS (
  INSERT INTO ${TABLES.eventIds} AS e (id) SELECT id FROM input ORDER BY id
  ON CONFLICT (id) DO UPDATE SET seen_at = now()
    WHERE e.seen_at < now() - make_interval(secs => CAST(:horizon AS integer))
  RETURNING e.id
)
SELECT string_agg(CAST(d.ord AS text), ',' ORDER BY d.ord) FROM (
  SELECT input.ord FROM input WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.id = input.id)
) d GROUP BY (d.ord - 1) / ${DUPLICATES_PER_ROW}`,
        parameters: sqlParameters({ ids: chunk, horizon: horizonSeconds }),
      },
    });
    offset += count;
  }
  return out;
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

/** Adds the deltas to the rollup rows (insert or merge). */
export function upsertRollupStatements(deltas: RollupDelta[]): Statement[] {
  // Built by hand: this runs once per row of every batch, and JSON.stringify of the
  // sketches' integer-keyed objects was the slowest step of the whole path.
  const dimsJson = new Map<object, string>();
  const rows = deltas.map((d) => {
    let dj = dimsJson.get(d.dims);
    if (dj === undefined) dimsJson.set(d.dims, (dj = JSON.stringify(d.dims)));
    return `{"r":${JSON.stringify(d.rollup)},"w":${d.windowS},"t":${JSON.stringify(d.eventType)},"b":${d.bucketS},`
      + `"k":${JSON.stringify(d.dimKey)},"d":${dj},"c":${d.count},"s":"${d.sum}","lo":${d.min},"hi":${d.max},`
      + `"h":${d.hll ? d.hll.toSparseJson() : 'null'}}`;
  });
  return chunkJsonArray(rows).map((chunk) => ({
    sql: `INSERT INTO ${TABLES.rollups} AS t (rollup, window_s, event_type, bucket, dim_key, dims, count, sum, min, max, hll)
SELECT d.r, d.w, d.t, to_timestamp(d.b), d.k, d.d, d.c, d.s, d.lo, d.hi, d.h
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS d(r text, w int, t text, b bigint, k text, d jsonb, c bigint, s numeric, lo float8, hi float8, h jsonb)
ORDER BY d.r, d.w, d.t, d.b, d.k
ON CONFLICT (rollup, window_s, event_type, bucket, dim_key) DO UPDATE SET
  count = t.count + EXCLUDED.count,
  sum = t.sum + EXCLUDED.sum,
  min = LEAST(t.min, EXCLUDED.min),
  max = GREATEST(t.max, EXCLUDED.max),
  hll = sluice_hll_merge(t.hll, EXCLUDED.hll),
  updated_at = now()`,
    parameters: sqlParameters({ rows: chunk }),
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
 * Forgets event ids past the horizon and checkpoints past their retention, a bounded
 * slice at a time so the statement stays short. Outside the batch's transaction.
 */
export function pruneStatements(horizonSeconds: number, checkpointRetentionSeconds: number, limit = 10_000): Statement[] {
  return [
    {
      sql: `DELETE FROM ${TABLES.eventIds} WHERE id IN (
  SELECT id FROM ${TABLES.eventIds} WHERE seen_at < now() - make_interval(secs => CAST(:horizon AS integer)) LIMIT CAST(:limit AS integer))`,
      parameters: sqlParameters({ horizon: horizonSeconds, limit }),
    },
    {
      sql: `DELETE FROM ${TABLES.checkpoints} WHERE (stream_arn, shard_id, partition_key) IN (
  SELECT stream_arn, shard_id, partition_key FROM ${TABLES.checkpoints}
  WHERE updated_at < now() - make_interval(secs => CAST(:retention AS integer)) LIMIT CAST(:limit AS integer))`,
      parameters: sqlParameters({ retention: checkpointRetentionSeconds, limit }),
    },
  ];
}
