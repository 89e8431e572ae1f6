// Reads rollups back through the Data API: one row per bucket (and per group-by
// value when asked), merged over the dimensions the query does not break down by,
// plus exact totals. Each measure is merged by its own SQL aggregate and read back by
// name (rollup/), so the query knows no measure by hand. Dimension names only ever
// travel as bound parameters.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { BUCKET_COLUMN, combineMeasures, namedRows, readMeasures, rebucketSelect } from '../rollup/index.ts';
import type { MeasureValues, NamedRow } from '../rollup/index.ts';
import { DataApiSession, sqlParameters, TABLES } from '../schema/index.ts';
import type { DataApiTarget, SqlValue } from '../schema/index.ts';
import { parseTime, resolveRollup } from './resolveRollup.ts';
import type { RollupQuery, RollupResult, RollupRow } from './types.ts';

/** Rows per page at most: far under the Data API's 1 MiB response. */
const PAGE_ROWS = 2000;
/** Measure bytes per page at most (wide measures, such as distinct sketches, mean fewer rows a page). */
const PAGE_MEASURE_BYTES = 512 * 1024;

export async function queryRollups(client: RDSDataClient, target: DataApiTarget, q: RollupQuery): Promise<RollupResult> {
  const { rollup, window } = resolveRollup(q);
  const groupBy = q.groupBy ?? [];
  const params: Record<string, SqlValue> = { rollup: rollup.name, window, type: q.type };
  const where = ['r.rollup = :rollup', 'r.window_s = :window', 'r.event_type = :type'];
  if (q.from !== undefined) {
    params.from = parseTime(q.from, 'from') / 1000;
    where.push('r.bucket >= to_timestamp(CAST(:from AS double precision))');
  }
  if (q.to !== undefined) {
    params.to = parseTime(q.to, 'to') / 1000;
    where.push('r.bucket < to_timestamp(CAST(:to AS double precision))');
  }
  if (q.dims && Object.keys(q.dims).length > 0) {
    params.filter = JSON.stringify(q.dims);
    where.push('r.dims @> CAST(:filter AS jsonb)');
  }
  const select = rebucketSelect(rollup, { alias: 'r', windowS: window });
  const dimCols = groupBy.map((d, i) => {
    params[`g${i}`] = d;
    return `r.dims ->> CAST(:g${i} AS text) AS g${i}`;
  });
  const groupList = Array.from({ length: 1 + groupBy.length }, (_, i) => String(i + 1)).join(', ');
  const pageRows = Math.max(1, Math.min(PAGE_ROWS, Math.floor(PAGE_MEASURE_BYTES / select.measureBytes)));
  const session = new DataApiSession(client, target);

  const rows: RollupRow[] = [];
  let totals: MeasureValues | undefined;
  for (let offset = 0; ; offset += pageRows) {
    const page = namedRows(await session.executeResult(
      `SELECT ${[`${select.bucket} AS ${BUCKET_COLUMN}`, ...dimCols, ...select.measures].join(', ')}
FROM ${TABLES.rollups} r WHERE ${where.join(' AND ')}
GROUP BY ${groupList} ORDER BY ${groupList} LIMIT ${pageRows} OFFSET ${offset}`,
      { parameters: sqlParameters(params), includeResultMetadata: true },
    ));
    for (const named of page) {
      const m = readMeasures(named, rollup);
      totals = totals === undefined ? m : combineMeasures(totals, m);
      const row = toRow(named, m);
      if (groupBy.length > 0) row.dims = Object.fromEntries(groupBy.map((d, i) => [d, textOrNull(named[`g${i}`])]));
      rows.push(row);
    }
    if (page.length < pageRows) break;
  }

  const sumExact = totals?.sum ?? '0';
  const result: RollupResult = {
    rollup: rollup.name, window, rows,
    totals: { count: totals?.count ?? 0, sum: Number(sumExact), sumExact, min: totals?.min ?? null, max: totals?.max ?? null },
  };
  if (rollup.approxDistinct) result.totals.distinct = totals?.distinct?.estimate() ?? 0;
  return result;
}

function toRow(named: NamedRow, m: MeasureValues): RollupRow {
  const bucketS = Number(named[BUCKET_COLUMN]);
  const sumExact = m.sum ?? '0';
  const row: RollupRow = { bucket: new Date(bucketS * 1000).toISOString(), count: m.count ?? 0, sum: Number(sumExact), sumExact, min: m.min!, max: m.max! };
  if (m.distinct !== undefined) row.distinct = m.distinct.estimate();
  return row;
}

function textOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}
