// The rollup's measures against the database, through the local Data API, on the
// embedded PostgreSQL, DATABASE_URL's PostgreSQL (when set) and PGlite: each measure's
// definition drives both the aggregator's accumulation and the SQL merges (the upsert's ON CONFLICT and the
// query's re-bucketing aggregate), and rows read back by column name from either
// result form.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ScannedEvent } from '../core/index.ts';
import { upsertRollupStatements } from '../consumers/aggregator/index.ts';
import {
  BUCKET_COLUMN, DecimalSum, HyperLogLog, MEASURES, RollupAccumulator, namedRows, readMeasures, rebucketSelect, validateRollups,
} from '../rollup/index.ts';
import type { MeasureValues, RollupConfig, RollupSet } from '../rollup/index.ts';
import { DataApiSession, fieldText, sqlParameters, TABLES } from '../schema/index.ts';
import type { ResultOptions } from '../schema/index.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import { DATABASE_MODES } from './support/database.ts';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const CONFIG: RollupSet = {
  rollups: validateRollups([
    { name: 'by_type', windows: [60, 3600] },
    { name: 'by_page', groupBy: ['page'], windows: [60, 3600], approxDistinct: 'user' },
  ]),
};

/** Deterministic events over three minutes, two types, three pages, values with decimals and signs. */
function makeEvents(n: number): ScannedEvent[] {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => ({
    id: `e${i}`,
    idOrigin: 'client' as const,
    type: rnd() < 0.5 ? 'view' : 'buy',
    ts: T0 + Math.floor(rnd() * 180_000),
    value: Math.round((rnd() - 0.3) * 100_000) / 1000,
    dims: { page: `/p/${Math.floor(rnd() * 3)}`, user: `u${Math.floor(rnd() * 400)}` },
  }));
}

async function upsert(session: DataApiSession, events: ScannedEvent[]): Promise<void> {
  const acc = new RollupAccumulator(CONFIG);
  for (const ev of events) acc.add(ev);
  for (const st of upsertRollupStatements(acc.deltas())) await session.execute(st.sql, { parameters: st.parameters });
}

interface ReadRow { key: string; measures: MeasureValues }

/**
 * The rows of `rollup` merged into buckets of `bucketS` (from the stored `windowS`)
 * per (type, dim key), read back by name through rollup/'s select list and reader.
 */
async function readRows(session: DataApiSession, rollup: RollupConfig, windowS: number, bucketS = windowS, form: 'records' | 'json' = 'records'): Promise<ReadRow[]> {
  const select = rebucketSelect(rollup, { windowS, bucketS });
  const options: ResultOptions = {
    parameters: sqlParameters({ rollup: rollup.name, window: windowS }),
    ...(form === 'json' ? { formatRecordsAs: 'JSON' as const } : { includeResultMetadata: true }),
  };
  const rows = namedRows(await session.executeResult(
    `SELECT ${select.bucket} AS ${BUCKET_COLUMN}, r.event_type AS t, r.dim_key AS k, ${select.measures.join(', ')}
FROM ${TABLES.rollups} r WHERE r.rollup = :rollup AND r.window_s = :window GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    options,
  ));
  return rows.map((row) => ({ key: `${String(row[BUCKET_COLUMN])}|${String(row.t)}|${String(row.k)}`, measures: readMeasures(row, rollup) }));
}

/**
 * Measure values in a comparable form: a sketch by its registers, a sum by its value
 * (a `numeric` keeps the scale of the values merged into it: 1.360 after 1.25 + 0.11).
 */
function comparable(rows: ReadRow[]): unknown[] {
  return rows.map((r) => ({
    key: r.key,
    ...r.measures,
    sum: r.measures.sum === undefined ? undefined : decimal(r.measures.sum),
    distinct: r.measures.distinct === undefined ? undefined : r.measures.distinct.toSparse(),
  }));
}

function decimal(text: string): string {
  const s = new DecimalSum();
  s.addText(text);
  return s.toString();
}

/** What every row must hold, computed here from the events without the measures' code. */
function expectedRows(events: ScannedEvent[], rollup: RollupConfig, bucketS: number): Map<string, { count: number; sumMillis: bigint; min: number; max: number; users: Set<string> }> {
  const out = new Map<string, { count: number; sumMillis: bigint; min: number; max: number; users: Set<string> }>();
  for (const ev of events) {
    const b = Math.floor(ev.ts / 1000 / bucketS) * bucketS;
    const key = `${b}|${ev.type}|${JSON.stringify(rollup.groupBy.map((d) => ev.dims?.[d] ?? null))}`;
    const row = out.get(key) ?? { count: 0, sumMillis: 0n, min: Infinity, max: -Infinity, users: new Set<string>() };
    row.count++;
    row.sumMillis += BigInt(Math.round(ev.value * 1000));
    row.min = Math.min(row.min, ev.value);
    row.max = Math.max(row.max, ev.value);
    row.users.add(ev.dims!.user!);
    out.set(key, row);
  }
  return out;
}

function millisText(m: bigint): string {
  const neg = m < 0n;
  const abs = neg ? -m : m;
  const text = `${abs / 1000n}.${(abs % 1000n).toString().padStart(3, '0')}`.replace(/\.?0+$/, '') || '0';
  return neg && text !== '0' ? `-${text}` : text;
}

describe.each(DATABASE_MODES.filter((m) => m.available))('rollup measures on $name', ({ source }) => {
  let fx: DataApiFixture;
  let session: DataApiSession;

  beforeAll(async () => {
    fx = await startDataApiFixture(`measures-${source}`, { database: source });
    session = new DataApiSession(fx.client, fx.target);
  }, 60_000);
  afterAll(async () => fx?.close());
  beforeEach(async () => fx.reset());

  it('merges two batches into the rows one batch of all their events makes, for every measure', async () => {
    const events = makeEvents(3000);

    await upsert(session, events.slice(0, 1100));
    await upsert(session, events.slice(1100));
    const merged = await Promise.all(CONFIG.rollups.flatMap((r) => r.windows.map((w) => readRows(session, r, w))));
    await fx.reset();
    await upsert(session, events);
    const once = await Promise.all(CONFIG.rollups.flatMap((r) => r.windows.map((w) => readRows(session, r, w))));

    expect(merged.map(comparable)).toEqual(once.map(comparable));
    // The merged rows hold what the events say, every measure of every row.
    for (const r of CONFIG.rollups) {
      const rows = await readRows(session, r, 60);
      const expected = expectedRows(events, r, 60);
      expect(rows.map((x) => x.key).sort()).toEqual([...expected.keys()].sort());
      for (const row of rows) {
        const e = expected.get(row.key)!;
        expect({ ...row.measures, sum: decimal(row.measures.sum!) }).toMatchObject({ count: e.count, sum: millisText(e.sumMillis), min: e.min, max: e.max });
        if (r.approxDistinct) {
          const sketch = new HyperLogLog();
          for (const u of e.users) sketch.add(u);
          expect(row.measures.distinct!.toSparse()).toEqual(sketch.toSparse());
        } else {
          expect(row.measures.distinct).toBeUndefined();
        }
      }
    }
    // Every measure was checked above: a new one must be added to this test.
    expect(MEASURES.map((m) => m.name)).toEqual(['count', 'sum', 'min', 'max', 'distinct']);
  });

  it('re-buckets the minute rows into the hour rows the aggregator stored, for every measure', async () => {
    await upsert(session, makeEvents(2000));

    for (const r of CONFIG.rollups) {
      const hourFromMinutes = await readRows(session, r, 60, 3600);
      const storedHours = await readRows(session, r, 3600);

      expect(hourFromMinutes.length).toBeGreaterThan(0);
      expect(comparable(hourFromMinutes)).toEqual(comparable(storedHours));
    }
  });

  it('reads the same measures from records with columnMetadata and from formattedRecords', async () => {
    await upsert(session, makeEvents(500));

    for (const r of CONFIG.rollups) {
      const records = await readRows(session, r, 60, 60, 'records');
      const json = await readRows(session, r, 60, 60, 'json');

      expect(records.length).toBeGreaterThan(0);
      expect(comparable(json)).toEqual(comparable(records));
    }
  });

  it('stores event types and dimension values holding SQL as plain values', async () => {
    const type = "x'; DROP TABLE sluice_rollups; --";
    const config: RollupSet = { rollups: validateRollups([{ name: 'r', groupBy: ['country'] }]) };
    const acc = new RollupAccumulator(config);
    acc.add({ id: '1', idOrigin: 'client', type, ts: T0, value: 1, dims: { country: "'); DELETE FROM sluice_rollups; --" } });

    for (const st of upsertRollupStatements(acc.deltas())) await session.execute(st.sql, { parameters: st.parameters });

    const rows = await session.execute(`SELECT event_type, dims ->> 'country' FROM ${TABLES.rollups}`);
    expect(rows.map((f) => [fieldText(f[0]), fieldText(f[1])])).toEqual([[type, "'); DELETE FROM sluice_rollups; --"]]);
  });
});
