// Reads rollups back through the Data API: one row per bucket (and per group-by
// value when asked), merged over the dimensions the query does not break down by,
// plus exact totals. Dimension names only ever travel as bound parameters.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DecimalSum, estimateFromStats } from '../consumers/index.ts';
import { DataApiSession, fieldNumber, fieldText, sqlParameters, TABLES } from '../schema/index.ts';
import type { DataApiTarget, SqlValue } from '../schema/index.ts';
import { parseTime, resolveRollup } from './resolveRollup.ts';
import type { RollupQuery, RollupResult, RollupRow } from './types.ts';

/** Rows per page: far under the Data API's 1 MiB response. */
const PAGE_ROWS = 2000;

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
  const dimCols = groupBy.map((d, i) => {
    params[`g${i}`] = d;
    return `r.dims ->> CAST(:g${i} AS text)`;
  });
  const groupCols = ['CAST(extract(epoch FROM r.bucket) AS bigint)', ...dimCols];
  const groupList = groupCols.map((_, i) => String(i + 1)).join(', ');
  const session = new DataApiSession(client, target);

  const rows: RollupRow[] = [];
  const keyOf = (bucketS: number, dims: (string | null)[]) => JSON.stringify([bucketS, ...dims]);
  const byKey = new Map<string, RollupRow>();
  for (let offset = 0; ; offset += PAGE_ROWS) {
    const page = await session.execute(
      `SELECT ${groupCols.join(', ')}, CAST(sum(r.count) AS bigint), CAST(sum(r.sum) AS text), min(r.min), max(r.max)
FROM ${TABLES.rollups} r WHERE ${where.join(' AND ')}
GROUP BY ${groupList} ORDER BY ${groupList} LIMIT ${PAGE_ROWS} OFFSET ${offset}`,
      { parameters: sqlParameters(params) },
    );
    for (const f of page) {
      const bucketS = fieldNumber(f[0])!;
      const dimValues = groupBy.map((_, i) => fieldText(f[1 + i]));
      const n = 1 + groupBy.length;
      const sumExact = fieldText(f[n + 1]) ?? '0';
      const row: RollupRow = {
        bucket: new Date(bucketS * 1000).toISOString(),
        count: fieldNumber(f[n]) ?? 0,
        sum: Number(sumExact),
        sumExact,
        min: fieldNumber(f[n + 2])!,
        max: fieldNumber(f[n + 3])!,
      };
      if (groupBy.length > 0) row.dims = Object.fromEntries(groupBy.map((d, i) => [d, dimValues[i]!]));
      rows.push(row);
      byKey.set(keyOf(bucketS, dimValues), row);
    }
    if (page.length < PAGE_ROWS) break;
  }

  const total = new DecimalSum();
  let count = 0;
  let min: number | null = null;
  let max: number | null = null;
  for (const r of rows) {
    count += r.count;
    total.addText(r.sumExact);
    min = min === null ? r.min : Math.min(min, r.min);
    max = max === null ? r.max : Math.max(max, r.max);
  }
  const sumExact = total.toString();
  const result: RollupResult = { rollup: rollup.name, window, rows, totals: { count, sum: Number(sumExact), sumExact, min, max } };

  if (rollup.approxDistinct) {
    // Register-wise maximum over the merged rows, then the estimate from its statistics.
    const perRow = await session.execute(
      `SELECT ${groupCols.map((_, i) => `x.c${i}`).join(', ')}, count(*), sum(power(CAST(2 AS double precision), -x.rank))
FROM (SELECT ${groupCols.map((c, i) => `${c} AS c${i}`).join(', ')}, e.key AS reg, max(CAST(e.value AS integer)) AS rank
      FROM ${TABLES.rollups} r, jsonb_each_text(r.hll) e WHERE ${where.join(' AND ')} GROUP BY ${groupList}, ${groupCols.length + 1}) x
GROUP BY ${groupList}`,
      { parameters: sqlParameters(params) },
    );
    for (const f of perRow) {
      const n = groupCols.length;
      const row = byKey.get(keyOf(fieldNumber(f[0])!, groupBy.map((_, i) => fieldText(f[1 + i]))));
      if (row) row.distinct = estimateFromStats(fieldNumber(f[n])!, fieldNumber(f[n + 1])!);
    }
    const all = await session.execute(
      `SELECT count(*), sum(power(CAST(2 AS double precision), -x.rank)) FROM (
  SELECT e.key, max(CAST(e.value AS integer)) AS rank FROM ${TABLES.rollups} r, jsonb_each_text(r.hll) e
  WHERE ${where.join(' AND ')} GROUP BY e.key) x`,
      { parameters: sqlParameters(params) },
    );
    result.totals.distinct = estimateFromStats(fieldNumber(all[0]?.[0]) ?? 0, fieldNumber(all[0]?.[1]) ?? 0);
    for (const r of rows) r.distinct ??= 0;
  }
  return result;
}

