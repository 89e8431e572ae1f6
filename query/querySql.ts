// The SQL of one planned query, as text plus bound parameters. Re-bucketing, filters,
// top-N and totals all happen in one statement, so rows, groups and totals come from
// one snapshot and always add up. Values and dimension names travel as parameters;
// the only identifiers in the text are the table's (schema/TABLES) and aliases.
import { TABLES } from '../schema/index.ts';
import type { SqlValue } from '../schema/index.ts';
import type { QueryPlan } from './planQuery.ts';

/** Row kinds of the result, in the order they sort. */
export const ROW_KIND = { group: 0, row: 1, total: 2 } as const;

export interface QueryStatement {
  sql: string;
  params: Record<string, SqlValue>;
  /** Group-by columns in the result (after kind and bucket). */
  groupColumns: number;
  /** Whether the result carries distinct statistics (non-zero registers, sum of 2^-rank). */
  distinct: boolean;
}

/** How each measure merges across stored rows (and which column ranks top-N). */
const MERGE = { count: 'sum(x.count)', sum: 'sum(x.sum)', min: 'min(x.min)', max: 'max(x.max)' } as const;

/**
 * Columns: kind, bucket (epoch s, rows only), one per group-by dimension, count,
 * sum (exact text), min, max, and when the rollup keeps a sketch the number of
 * non-zero merged registers and the sum of 2^-rank over them (estimateFromStats).
 */
export function buildQueryStatement(plan: QueryPlan, page: { limit: number; offset: number }): QueryStatement {
  const params: Record<string, SqlValue> = { rollup: plan.rollup.name, window: plan.window, type: plan.type, bucket: plan.bucket };
  const where = ['r.rollup = :rollup', 'r.window_s = :window', 'r.event_type = :type'];
  if (plan.fromS !== null) {
    params.from = plan.fromS;
    where.push('r.bucket >= to_timestamp(CAST(:from AS bigint))');
  }
  if (plan.toS !== null) {
    params.to = plan.toS;
    where.push('r.bucket < to_timestamp(CAST(:to AS bigint))');
  }
  Object.entries(plan.where).forEach(([dim, values], i) => {
    params[`w${i}`] = dim;
    if (values.length === 1) {
      params[`w${i}v`] = values[0]!;
      where.push(`r.dims ->> CAST(:w${i} AS text) = :w${i}v`);
    } else {
      params[`w${i}v`] = JSON.stringify(values);
      where.push(`r.dims ->> CAST(:w${i} AS text) IN (SELECT jsonb_array_elements_text(CAST(:w${i}v AS jsonb)))`);
    }
  });
  const g = plan.groupBy.map((_, i) => `g${i}`);
  plan.groupBy.forEach((dim, i) => { params[`g${i}`] = dim; });
  const distinct = plan.rollup.approxDistinct !== undefined;

  const fCols = [
    'CAST(floor(extract(epoch FROM r.bucket) / CAST(:bucket AS bigint)) AS bigint) * CAST(:bucket AS bigint) AS b',
    ...g.map((c) => `r.dims ->> CAST(:${c} AS text) AS ${c}`),
    'r.count', 'r.sum', 'r.min', 'r.max', ...(distinct ? ['r.hll'] : []),
  ];
  const ctes = [`f AS (SELECT ${fCols.join(', ')} FROM ${TABLES.rollups} r WHERE ${where.join(' AND ')})`];
  // k: the rows of the groups kept (top-N by the measure, ties broken by the values).
  let kept = 'f';
  if (plan.top !== null) {
    params.top = plan.top;
    ctes.push(`t AS (SELECT ${g.join(', ')} FROM f x GROUP BY ${g.join(', ')} ORDER BY ${MERGE[plan.by]} DESC NULLS LAST, ${g.join(', ')} LIMIT CAST(:top AS integer))`);
    ctes.push(`k AS (SELECT f.* FROM f JOIN t ON ${g.map((c) => `f.${c} IS NOT DISTINCT FROM t.${c}`).join(' AND ')})`);
    kept = 'k';
  }
  const measures = 'CAST(sum(x.count) AS bigint) AS count, CAST(sum(x.sum) AS text) AS sum, min(x.min) AS min, max(x.max) AS max';
  const nullGroups = g.map((c) => `CAST(NULL AS text) AS ${c}`);
  const levels: { kind: number; source: string; keys: string[]; select: string[] }[] = [
    { kind: ROW_KIND.row, source: kept, keys: ['b', ...g], select: ['b', ...g] },
    ...(g.length ? [{ kind: ROW_KIND.group, source: kept, keys: g, select: ['CAST(NULL AS bigint) AS b', ...g] }] : []),
    { kind: ROW_KIND.total, source: 'f', keys: [], select: ['CAST(NULL AS bigint) AS b', ...nullGroups] },
  ];
  const parts = levels.map((lv) => {
    const groupBy = lv.keys.length ? ` GROUP BY ${lv.keys.map((c) => `x.${c}`).join(', ')}` : '';
    const cols = lv.select.map((c) => (/ AS /.test(c) ? c : `x.${c}`));
    const base = `SELECT ${lv.kind} AS kind, ${cols.join(', ')}, ${measures} FROM ${lv.source} x${groupBy}`;
    if (!distinct) return base;
    // The sketches merge register by register (the larger rank wins), as the
    // aggregator's upsert merges them; the estimate is made from two statistics.
    const regKeys = [...lv.keys.map((c) => `x.${c}`), 'e.key'];
    const regs = `SELECT ${[...lv.keys.map((c) => `x.${c}`), 'max(CAST(e.value AS integer)) AS rank'].join(', ')} FROM ${lv.source} x, jsonb_each_text(x.hll) e GROUP BY ${regKeys.join(', ')}`;
    const stats = `SELECT ${[...lv.keys, 'count(*) AS nz', 'sum(power(CAST(2 AS double precision), -rank)) AS h'].join(', ')} FROM (${regs}) q${lv.keys.length ? ` GROUP BY ${lv.keys.join(', ')}` : ''}`;
    const on = lv.keys.length ? lv.keys.map((c) => `m.${c} IS NOT DISTINCT FROM s.${c}`).join(' AND ') : 'true';
    return `SELECT m.*, s.nz, s.h FROM (${base}) m LEFT JOIN (${stats}) s ON ${on}`;
  });
  const order = ['kind', 'b', ...g].map((_, i) => String(i + 1)).join(', ');
  const sql = `WITH ${ctes.join(',\n')}\n${parts.join('\nUNION ALL\n')}\nORDER BY ${order} LIMIT ${page.limit} OFFSET ${page.offset}`;
  return { sql, params, groupColumns: g.length, distinct };
}
