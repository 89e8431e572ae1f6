// The upsert that adds deltas to the rollup rows, generated from the measure list:
// each row travels as one JSON object whose keys (the row key's, then each
// measure's) are the column list of the jsonb_to_recordset that reads it, and each
// measure's SQL merge is its ON CONFLICT assignment.
import { TABLES } from '../schema/index.ts';
import type { Measure } from './Measure.ts';
import { MEASURES } from './measures/index.ts';
import type { RollupDelta } from './RollupDelta.ts';

const ALL_MEASURES: readonly Measure[] = MEASURES as readonly Measure[];

/** The row key as the payload carries it: JSON key, column, type read, value inserted. */
export const ROW_KEY_FIELDS = [
  { key: 'r', column: 'rollup', sqlType: 'text', insert: 'd.r' },
  { key: 'w', column: 'window_s', sqlType: 'int', insert: 'd.w' },
  { key: 't', column: 'event_type', sqlType: 'text', insert: 'd.t' },
  { key: 'b', column: 'bucket', sqlType: 'bigint', insert: 'to_timestamp(d.b)' },
  { key: 'k', column: 'dim_key', sqlType: 'text', insert: 'd.k' },
  { key: 'd', column: 'dims', sqlType: 'jsonb', insert: 'd.d' },
] as const;

/** The name of the statement's one parameter: a JSON array of `rollupRowJson` objects. */
export const UPSERT_ROLLUPS_PARAMETER = 'rows';

/** Inserts the rows of `:rows`, or merges them into the stored rows measure by measure. */
export const UPSERT_ROLLUPS_SQL = `INSERT INTO ${TABLES.rollups} AS t (${[...ROW_KEY_FIELDS.map((f) => f.column), ...ALL_MEASURES.map((m) => m.column)].join(', ')})
SELECT ${[...ROW_KEY_FIELDS.map((f) => f.insert), ...ALL_MEASURES.map((m) => `d.${m.key}`)].join(', ')}
FROM jsonb_to_recordset(CAST(:${UPSERT_ROLLUPS_PARAMETER} AS jsonb)) AS d(${[...ROW_KEY_FIELDS, ...ALL_MEASURES].map((f) => `${f.key} ${f.sqlType}`).join(', ')})
ORDER BY d.r, d.w, d.t, d.b, d.k
ON CONFLICT (rollup, window_s, event_type, bucket, dim_key) DO UPDATE SET
${ALL_MEASURES.map((m) => `  ${m.column} = ${m.sql.merge(`t.${m.column}`, `EXCLUDED.${m.column}`)},`).join('\n')}
  updated_at = now()`;

/**
 * The measures' part of a row's JSON, `,"c":…,"s":…`, as straight-line code (one
 * call site per measure's `json`, as in RollupAccumulator's steps): this runs once
 * per row of every batch. The generated text holds only indices and keys, which are
 * fixed identifiers of the measures.
 */
const measuresJson = ((): ((states: readonly unknown[]) => string) => {
  const parts = ALL_MEASURES.map((m, i) => `',"${m.key}":' + (s[${i}] === null || s[${i}] === undefined ? 'null' : json${i}(s[${i}]))`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(...ALL_MEASURES.map((_, i) => `json${i}`), `return function (s) { return ${parts.join(' + ')}; };`) as
    (...json: Measure['json'][]) => (states: readonly unknown[]) => string;
  return make(...ALL_MEASURES.map((m) => m.json));
})();

/**
 * Each delta as the JSON object the upsert reads. Built by hand: this runs once per
 * row of every batch, and JSON.stringify of the sketches' integer-keyed objects was
 * the slowest step of the whole path.
 */
export function rollupRowsJson(deltas: RollupDelta[]): string[] {
  const dimsJson = new Map<object, string>();
  return deltas.map((d) => {
    let dj = dimsJson.get(d.dims);
    if (dj === undefined) dimsJson.set(d.dims, (dj = JSON.stringify(d.dims)));
    return `{"r":${JSON.stringify(d.rollup)},"w":${d.windowS},"t":${JSON.stringify(d.eventType)},"b":${d.bucketS},`
      + `"k":${JSON.stringify(d.dimKey)},"d":${dj}${measuresJson(d.states)}}`;
  });
}
