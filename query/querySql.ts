// The SQL of one planned query, as text plus bound parameters. Re-bucketing, filters,
// top-N and totals all happen in one statement, so rows, groups and totals come from
// one snapshot and always add up. Every measure merges by its own SQL aggregate
// (rollup/'s rebucketSelect) and comes back under its name, except the distinct
// sketch: it is merged the same way but stays in the database, and only the two
// statistics its estimate needs come back. Values and dimension names
// travel as parameters; the only identifiers in the text are the table's
// (schema/TABLES), the measures' columns and aliases.
import { MEASURES, rebucketSelect } from '../rollup/index.ts';
import { TABLES } from '../schema/index.ts';
import type { SqlValue } from '../schema/index.ts';
import type { QueryPlan } from './planQuery.ts';

/** Row kinds of the result, in the order they sort. */
export const ROW_KIND = { group: 0, row: 1, total: 2 } as const;

/** Result columns besides the measures (which are named after themselves). */
export const COLUMNS = {
  kind: 'kind',
  bucket: 'b',
  group: (i: number) => `g${i}`,
  /** Non-zero registers of the merged distinct sketch, and the sum of 2^-rank over them. */
  registers: 'distinct_registers',
  harmonic: 'distinct_harmonic',
} as const;

export interface QueryStatement {
  sql: string;
  params: Record<string, SqlValue>;
  /** Whether rows carry the distinct sketch's statistics (COLUMNS.registers, COLUMNS.harmonic). */
  distinct: boolean;
}

const DISTINCT = 'distinct';

/** How top-N ranks: the measure's own aggregate, compared as a number. */
function rankExpression(plan: QueryPlan, alias: string): string {
  const m = MEASURES.find((x) => x.name === plan.by)!;
  return `CAST(${m.sql.aggregate(`${alias}.${m.column}`)} AS numeric)`;
}

export function buildQueryStatement(plan: QueryPlan, page: { limit: number; offset: number }): QueryStatement {
  const params: Record<string, SqlValue> = { rollup: plan.rollup.name, window: plan.window, type: plan.type };
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
  const g = plan.groupBy.map((_, i) => COLUMNS.group(i));
  plan.groupBy.forEach((dim, i) => { params[g[i]!] = dim; });
  const distinct = MEASURES.some((m) => m.name === DISTINCT && m.kept(plan.rollup));
  const b = COLUMNS.bucket;

  const bucket = rebucketSelect(plan.rollup, { alias: 'r', windowS: plan.window, bucketS: plan.bucket }).bucket;
  // The rows in f are already in the query's buckets, so x's measures merge as they stand.
  const measures = rebucketSelect(plan.rollup, { alias: 'x', windowS: plan.window }).measures.join(', ');
  const exactNames = MEASURES.filter((m) => m.kept(plan.rollup) && m.name !== DISTINCT).map((m) => `m."${m.name}"`);
  const ctes = [`f AS (SELECT r.*, ${bucket} AS ${b}${g.map((c) => `, r.dims ->> CAST(:${c} AS text) AS ${c}`).join('')}
  FROM ${TABLES.rollups} r WHERE ${where.join(' AND ')})`];
  // k: the rows of the groups kept (top-N by the measure, ties broken by the values).
  let kept = 'f';
  if (plan.top !== null) {
    params.top = plan.top;
    ctes.push(`t AS (SELECT ${g.join(', ')} FROM f x GROUP BY ${g.join(', ')} ORDER BY ${rankExpression(plan, 'x')} DESC NULLS LAST, ${g.join(', ')} LIMIT CAST(:top AS integer))`);
    ctes.push(`k AS (SELECT f.* FROM f JOIN t ON ${g.map((c) => `f.${c} IS NOT DISTINCT FROM t.${c}`).join(' AND ')})`);
    kept = 'k';
  }
  const levels: { kind: number; source: string; keys: string[]; select: string[] }[] = [
    { kind: ROW_KIND.row, source: kept, keys: [b, ...g], select: [`x.${b}`, ...g.map((c) => `x.${c}`)] },
    ...(g.length ? [{ kind: ROW_KIND.group, source: kept, keys: g, select: [`CAST(NULL AS bigint) AS ${b}`, ...g.map((c) => `x.${c}`)] }] : []),
    { kind: ROW_KIND.total, source: 'f', keys: [], select: [`CAST(NULL AS bigint) AS ${b}`, ...g.map((c) => `CAST(NULL AS text) AS ${c}`)] },
  ];
  const parts = levels.map((lv) => {
    const groupBy = lv.keys.length ? ` GROUP BY ${lv.keys.map((c) => `x.${c}`).join(', ')}` : '';
    const base = `SELECT ${lv.kind} AS ${COLUMNS.kind}, ${lv.select.join(', ')}, ${measures} FROM ${lv.source} x${groupBy}`;
    if (!distinct) return base;
    // A merged sketch is up to 14 KB: a page of them would pass the Data API's 1 MiB
    // response, so only its count of set registers and their sum of 2^-rank leave.
    const outer = [COLUMNS.kind, b, ...g].map((c) => `m.${c}`).concat(exactNames);
    return `SELECT ${outer.join(', ')}, s.${COLUMNS.registers}, s.${COLUMNS.harmonic} FROM (${base}) m CROSS JOIN LATERAL (
  SELECT count(*) AS ${COLUMNS.registers}, sum(power(CAST(2 AS double precision), -CAST(e.value AS integer))) AS ${COLUMNS.harmonic}
  FROM jsonb_each_text(m."${DISTINCT}") e) s`;
  });
  const order = [COLUMNS.kind, b, ...g].map((_, i) => String(i + 1)).join(', ');
  const sql = `WITH ${ctes.join(',\n')}\n${parts.join('\nUNION ALL\n')}\nORDER BY ${order} LIMIT ${page.limit} OFFSET ${page.offset}`;
  return { sql, params, distinct };
}
