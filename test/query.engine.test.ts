// The query engine against the embedded database and real PostgreSQL: generated
// events go through the real aggregator, and every answer (bucket sizes, group-by,
// filters, top-N, relative ranges, several types) is checked against what the test
// computes from the events themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeQuery, QueryError, UnknownTypeError, buildQueryStatement, planQuery } from '../query/index.ts';
import type { QueryRequest, TypeResult } from '../query/index.ts';
import { DataApiSession, fieldText, sqlParameters } from '../schema/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import { DATABASE_MODES } from './support/database.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import {
  QUERY_CONFIG as config, QUERY_NOW as now, QUERY_T0 as T0, expectedAnswer, loadQueryEvents, makeQueryEvents,
  type Expected,
} from './support/queryFixture.ts';

/** -0 and 0 are the same amount. */
const z = (n: number | null) => (n === 0 ? 0 : n);
const exact = (e: Expected) => ({ count: e.count, sum: z(e.cents / 100), min: z(e.min), max: z(e.max) });
const measured = (m: { count: number; sum: number; min: number | null; max: number | null }) => ({ count: m.count, sum: z(Math.round(m.sum * 100) / 100), min: z(m.min), max: z(m.max) });

/** Rows keyed as expectedAnswer keys them. */
function rowsByKey(r: TypeResult, groupBy: string[]) {
  return new Map(r.rows.map((row) => [`${Date.parse(row.bucket) / 1000}|${groupBy.map((d) => row.dims?.[d] ?? '').join('|')}`, measured(row)]));
}

describe.each(DATABASE_MODES.filter((m) => m.available))('query engine on $name', ({ name, source }) => {
  let fx: DataApiFixture;
  let events: SluiceEvent[];
  const run = (q: QueryRequest) => executeQuery(fx.client, fx.target, q, { config, now });

  beforeAll(async () => {
    fx = await startDataApiFixture('query-engine', { database: source });
    events = makeQueryEvents(4000);
    await loadQueryEvents(fx, events);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it.each([
    [60, 'by_type', 60],
    [300, 'by_country', 300],
    [600, 'by_country', 300],
    [1800, 'by_country', 300],
    [3600, 'by_type', 3600],
    [86_400, 'by_type', 3600],
  ])('re-buckets to %i s exactly, reading the coarsest stored window that answers (%s, %i s)', async (bucket, rollup, window) => {
    const want = expectedAnswer(events, { type: 'page_view', bucket });

    const { results: [r] } = await run({ types: ['page_view'], bucket });

    expect({ rollup: r!.rollup, window: r!.window }).toEqual({ rollup, window });
    expect(rowsByKey(r!, [])).toEqual(new Map([...want.rows].map(([k, v]) => [k, exact(v)])));
    expect(measured(r!.totals)).toEqual(exact(want.total));
  });

  it('accepts durations for buckets and breaks rows down by a dimension, with exact groups and approximate distinct users', async () => {
    const fromS = T0 / 1000 + 3600;
    const toS = T0 / 1000 + 7200;
    const want = expectedAnswer(events, { type: 'order', bucket: 900, fromS, toS, groupBy: ['country'] });

    const { results: [r] } = await run({ types: ['order'], bucket: '15m', groupBy: ['country'], from: new Date(fromS * 1000).toISOString(), to: String(toS * 1000) });

    expect(rowsByKey(r!, ['country'])).toEqual(new Map([...want.rows].map(([k, v]) => [k, exact(v)])));
    expect(new Map(r!.groups.map((g) => [g.dims.country, measured(g)]))).toEqual(new Map([...want.groups].map(([k, v]) => [k, exact(v)])));
    expect(measured(r!.totals)).toEqual(exact(want.total));
    // HyperLogLog with 1024 registers: about 3% standard error; allow four of them.
    for (const g of r!.groups) {
      const users = want.groups.get(g.dims.country!)!.users.size;
      expect(Math.abs(g.distinct! - users)).toBeLessThanOrEqual(Math.max(2, users * 0.12));
    }
    expect(Math.abs(r!.totals.distinct! - want.total.users.size)).toBeLessThanOrEqual(want.total.users.size * 0.12);
  });

  it('filters on dimension values with = and in', async () => {
    const where = { country: ['JP', 'DE'], path: ['/'] };
    const want = expectedAnswer(events, { type: 'page_view', bucket: 3600, where });

    const { results: [r] } = await run({ types: ['page_view'], bucket: '1h', where });

    expect(r!.rollup).toBe('by_country');
    expect(rowsByKey(r!, [])).toEqual(new Map([...want.rows].map(([k, v]) => [k, exact(v)])));
    expect(measured(r!.totals)).toEqual(exact(want.total));
  });

  it.each(['count', 'sum', 'max'] as const)('keeps the top 3 paths by %s, with totals over every path', async (by) => {
    const want = expectedAnswer(events, { type: 'page_view', bucket: 3600, groupBy: ['path'] });
    const rank = (e: Expected) => (by === 'count' ? e.count : by === 'sum' ? e.cents : e.max);
    const top3 = [...want.groups].sort(([ka, a], [kb, b]) => rank(b) - rank(a) || (ka < kb ? -1 : 1)).slice(0, 3);

    const { results: [r] } = await run({ types: ['page_view'], bucket: 3600, groupBy: ['path'], top: 3, by });

    expect(r!.groups.map((g) => [g.dims.path, measured(g)])).toEqual(top3.map(([k, v]) => [k, exact(v)]));
    const kept = new Set(top3.map(([k]) => k));
    expect(rowsByKey(r!, ['path'])).toEqual(new Map([...want.rows].filter(([k]) => kept.has(k.split('|')[1]!)).map(([k, v]) => [k, exact(v)])));
    expect(measured(r!.totals)).toEqual(exact(want.total));
  });

  it('reads a range relative to now, widened to whole buckets', async () => {
    const bucket = 300;
    const fromS = Math.floor((now / 1000 - 3600) / bucket) * bucket;
    const toS = Math.ceil(now / 1000 / bucket) * bucket;
    const want = expectedAnswer(events, { type: 'page_view', bucket, fromS, toS });

    const result = await run({ types: ['page_view'], from: '-1h', to: 'now', bucket: '5m' });

    expect([result.from, result.to]).toEqual([new Date(fromS * 1000).toISOString(), new Date(toS * 1000).toISOString()]);
    expect(result.results[0]!.rows).toHaveLength(13);
    expect(rowsByKey(result.results[0]!, [])).toEqual(new Map([...want.rows].map(([k, v]) => [k, exact(v)])));
    expect((await run({ types: ['page_view'], from: '-15m', bucket: '5m' })).from).toBe(new Date(Math.floor((now / 1000 - 900) / 300) * 300 * 1000).toISOString());
  });

  it('answers several types at once, each from its own rollup', async () => {
    const result = await run({ types: ['page_view', 'order'], bucket: '1d', groupBy: ['country'] });

    expect(result.results.map((r) => r.type)).toEqual(['page_view', 'order']);
    for (const r of result.results) {
      const want = expectedAnswer(events, { type: r.type, bucket: 86_400, groupBy: ['country'] });
      expect(measured(r.totals)).toEqual(exact(want.total));
      expect(r.groups.map((g) => g.dims.country).sort()).toEqual([...want.groups.keys()].sort());
    }
  });

  it.each<[QueryRequest, RegExp]>([
    [{ types: ['page_view'], rollup: 'nope' }, /rollup: no rollup named "nope" \(configured: by_type, by_country\)/],
    [{ types: ['page_view'], groupBy: ['user'] }, /groupBy: no rollup of type "page_view" groups by "user" \(dimensions of its rollups: country, path/],
    [{ types: ['signup'], groupBy: ['country'] }, /no rollup of type "signup" groups by "country"/],
    [{ types: ['page_view'], bucket: '90s' }, /bucket: 90s .*stored windows: 1m, 5m, 1h/],
    [{ types: ['page_view'], bucket: '7m' }, /bucket: 7m neither divides a day/],
    [{ types: ['page_view'], from: 'yesterday' }, /from: "yesterday" is not a time: use ISO-8601/],
    [{ types: ['page_view'], from: '-1h', to: '-2h' }, /to: must be after from/],
    [{ types: ['page_view'], top: 3 }, /top: ranks groups: give groupBy too/],
    [{ types: ['page_view'], rollup: 'by_type', groupBy: ['path'] }, /groupBy: rollup "by_type" does not group by "path" \(it groups by: nothing\)/],
  ])('refuses %j, saying what exists', async (q, message) => {
    const err = await run(q).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(QueryError);
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a type without rows, listing the types that have some', async () => {
    const err = await run({ types: ['page_veiw'] }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(UnknownTypeError);
    expect((err as UnknownTypeError).known).toEqual(['order', 'page_view']);
  });

  it('keeps values out of the SQL text: a hostile filter value is only a value', async () => {
    const value = "JP' OR '1'='1";

    const { results: [r] } = await run({ types: ['page_view'], where: { country: [value] } });

    expect(r!.totals.count).toBe(0);
    const [plan] = planQuery({ types: ['page_view'], where: { country: [value] }, groupBy: ['path'] }, config, now);
    expect(buildQueryStatement(plan!, { limit: 1, offset: 0 }).sql).not.toContain('JP');
  });

  it('reads the last day of a year of per-minute rows through an index range (EXPLAIN)', async () => {
    const session = new DataApiSession(fx.client, fx.target);
    // 525,600 per-minute rows of one type, written the way the aggregator lays them
    // out, a month per statement (each within the Data API's statement timeout).
    const start = T0 / 1000 - 365 * 86_400;
    for (let month = 0; month < 12; month++) {
      await session.execute(`INSERT INTO sluice_rollups (rollup, window_s, event_type, bucket, dim_key, dims, count, sum, min, max)
SELECT 'by_type', 60, 'year', to_timestamp(CAST(:start AS bigint) + 60 * i), '[]', '{}', 1, 1, 1, 1 FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) i`,
      { parameters: sqlParameters({ start, first: month * 43_800, last: month * 43_800 + 43_799 }) });
    }
    await session.execute('ANALYZE sluice_rollups');
    // 30-minute buckets: only the per-minute window divides them, so the plan reads those rows.
    const [plan] = planQuery({ types: ['year'], from: '-1d', bucket: '30m' }, config, T0);
    const st = buildQueryStatement(plan!, { limit: 2000, offset: 0 });

    const rows = await session.execute(`EXPLAIN ${st.sql}`, { parameters: sqlParameters(st.params) });
    const text = rows.map((f) => fieldText(f[0])).join('\n');

    process.stdout.write(`EXPLAIN (${name}), a year of per-minute rows, the last day in 30-minute buckets:\n${text}\n`);
    // An index range on (type, window, bucket): the rows of the day, not the year. The
    // planner may walk the index (Index Scan) or collect its matches first (Bitmap Index
    // Scan), depending on its row estimate; both read only the range.
    expect(text).toMatch(/(Index Scan using sluice_rollups_\w+ on sluice_rollups r|Bitmap Index Scan on sluice_rollups_\w+)[^\n]*\n\s*Index Cond: [^\n]*event_type = [^\n]*bucket >= /);
    expect(text).not.toMatch(/Seq Scan on sluice_rollups/);
    const { results: [r] } = await executeQuery(fx.client, fx.target, { types: ['year'], from: '-1d', bucket: '30m' }, { config, now: T0 });
    expect({ rollup: r!.rollup, window: r!.window, count: r!.totals.count, rows: r!.rows.length }).toEqual({ rollup: 'by_type', window: 60, count: 1440, rows: 48 });
  }, 120_000);
});
