// Rollup arithmetic, pure: exact decimal sums, leveling of a batch into one delta per
// row, the HyperLogLog estimate, and the configuration schema.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SluiceEvent } from '../core/index.ts';
import { DEFAULT_CONFIG, loadConfig, validateConfig } from '../consumers/index.ts';
import {
  BucketSizeError, ConfigError, DecimalSum, HyperLogLog, MEASURES, ResultShapeError, ROW_KEY_FIELDS, RollupAccumulator, namedRows, readMeasures, rebucketSelect,
} from '../rollup/index.ts';
import type { RollupDelta } from '../rollup/index.ts';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
let n = 0;
function ev(type: string, tsOffsetMs: number, value: number, dims?: Record<string, string>): SluiceEvent {
  return { id: `id-${n++}`, idOrigin: 'client', type, ts: T0 + tsOffsetMs, value, ...(dims ? { dims } : {}) };
}

describe('DecimalSum', () => {
  it.each([
    [[0.1, 0.2], '0.3'],
    [[1, 2, 3], '6'],
    [[-0.25, 0.25], '0'],
    [[1e-7, 2e-7], '0.0000003'],
    [[1e21, 1], '1000000000000000000001'],
    [[Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], '18014398509481982'],
    [[0.1234567, 1.5, -3], '-1.3765433'],
    [[-1.5, -2.25], '-3.75'],
  ])('sums %j to exactly %s', (values, expected) => {
    const s = new DecimalSum();

    for (const v of values) s.add(v);

    expect(s.toString()).toBe(expected);
  });

  it('matches integer arithmetic on scaled values for any mix of decimals', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -1e9, max: 1e9 }), { maxLength: 200 }), (cents) => {
      const s = new DecimalSum();
      for (const c of cents) s.add(c / 100);
      const total = cents.reduce((a, b) => a + BigInt(b), 0n);
      const neg = total < 0n;
      const abs = neg ? -total : total;
      const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`.replace(/\.?0+$/, '');
      expect(s.toString()).toBe(total === 0n ? '0' : `${neg ? '-' : ''}${text === '' ? '0' : text}`);
    }));
  });
});

describe('RollupAccumulator', () => {
  it('levels a batch into one delta per (rollup, window, type, minute)', () => {
    const acc = new RollupAccumulator(DEFAULT_CONFIG);

    for (let i = 0; i < 1000; i++) acc.add(ev(i % 2 ? 'a' : 'b', (i % 3) * 60_000 + 5, i % 2 ? 0.1 : 3));

    const deltas = acc.deltas();
    expect(deltas).toHaveLength(6);
    const a0 = deltas.find((d) => d.eventType === 'a' && d.bucketS === T0 / 1000)!;
    const expectedCount = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 2 && i % 3 === 0).length;
    expect(a0).toMatchObject({ rollup: 'by_type', windowS: 60, dimKey: '[]' });
    expect(a0.measures).toMatchObject({ count: expectedCount, min: 0.1, max: 0.1, distinct: null });
    expect(a0.measures.sum!.toString()).toBe(String(expectedCount / 10));
  });

  it('puts an event into every window and covering rollup, grouped by whitelisted dimensions', () => {
    const config = validateConfig({
      rollups: [
        { name: 'all', windows: [60, 3600] },
        { name: 'geo', types: ['buy'], groupBy: ['country', 'device'], windows: [60], approxDistinct: 'user' },
      ],
    });
    const acc = new RollupAccumulator(config);

    acc.add(ev('buy', 61_000, 10, { country: 'DE', device: 'ios', user: 'u1', secret: 'x' }));
    acc.add(ev('buy', 62_000, -4, { country: 'DE', device: 'ios', user: 'u2' }));
    acc.add(ev('buy', 63_000, 1, { country: 'FR', user: 'u1' }));
    acc.add(ev('view', 63_000, 1));

    const deltas = acc.deltas();
    expect(deltas.filter((d) => d.rollup === 'all').map((d) => [d.windowS, d.eventType, d.measures.count])).toEqual([
      [60, 'buy', 3], [60, 'view', 1], [3600, 'buy', 3], [3600, 'view', 1],
    ]);
    const geo = deltas.filter((d) => d.rollup === 'geo');
    expect(geo.map((d: RollupDelta) => [d.dimKey, d.measures.count, d.measures.sum!.toString(), d.measures.min, d.measures.max])).toEqual([
      ['["DE","ios"]', 2, '6', -4, 10],
      ['["FR",null]', 1, '1', 1, 1],
    ]);
    expect(geo[0]!.dims).toEqual({ country: 'DE', device: 'ios' });
    expect(geo[0]!.measures.distinct!.estimate()).toBe(2);
    expect(JSON.stringify(deltas.map((d) => [d.dims, d.dimKey, d.measures.distinct?.toSparse()]))).not.toContain('secret');
  });

  it('keeps the number of deltas independent of the number of events', () => {
    const small = new RollupAccumulator(DEFAULT_CONFIG);
    const large = new RollupAccumulator(DEFAULT_CONFIG);

    for (let i = 0; i < 100; i++) small.add(ev(`t${i % 5}`, 1000, 1));
    for (let i = 0; i < 100_000; i++) large.add(ev(`t${i % 5}`, 1000, 1));

    expect(large.deltas()).toHaveLength(small.deltas().length);
  });
});

describe('measures', () => {
  it('each have their own payload key and column, apart from the row key', () => {
    const keys = [...ROW_KEY_FIELDS.map((f) => f.key), ...MEASURES.map((m) => m.key)];
    const columns = [...ROW_KEY_FIELDS.map((f) => f.column), ...MEASURES.map((m) => m.column)];

    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(columns).size).toBe(columns.length);
  });

  it('re-bucket only into whole multiples of the stored window', () => {
    const rollup = { name: 'r', types: '*' as const, groupBy: [], windows: [60] };

    expect(() => rebucketSelect(rollup, { windowS: 60, bucketS: 90 })).toThrow(BucketSizeError);
    expect(() => rebucketSelect(rollup, { windowS: 60, bucketS: 0 })).toThrow(BucketSizeError);
    expect(rebucketSelect(rollup, { windowS: 60 }).measures.map((m) => /AS "(\w+)"$/.exec(m)![1])).toEqual(['count', 'sum', 'min', 'max']);
    expect(rebucketSelect({ ...rollup, approxDistinct: 'user' }, { windowS: 60 }).measures).toHaveLength(5);
  });

  it('read rows by column name, refusing records without names and rows missing a measure', () => {
    const rollup = { name: 'r', types: '*' as const, groupBy: [], windows: [60] };
    const records = [[{ longValue: 3 }, { stringValue: '1.5' }, { doubleValue: 0.5 }, { doubleValue: 1 }]];
    const columnMetadata = ['count', 'sum', 'min', 'max'].reverse().map((label) => ({ label }));

    // Columns in another order than the measures: read by name, not by position.
    const [row] = namedRows({ records: [[...records[0]!].reverse()], columnMetadata });

    expect(readMeasures(row!, rollup)).toEqual({ count: 3, sum: '1.5', min: 0.5, max: 1 });
    expect(() => namedRows({ records })).toThrow(ResultShapeError);
    expect(() => readMeasures({ count: 1 }, rollup)).toThrow(ResultShapeError);
  });
});

describe('HyperLogLog', () => {
  it.each([10, 1000, 50_000])('estimates %i distinct values within 10%', (count) => {
    const hll = new HyperLogLog();

    for (let i = 0; i < count; i++) for (let rep = 0; rep < 2; rep++) hll.add(`user-${i}`);

    expect(Math.abs(hll.estimate() - count) / count).toBeLessThan(0.1);
  });

  it('merges sketches by register maximum, so merging twice changes nothing', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 500; i++) a.add(`x${i}`);
    for (let i = 250; i < 1000; i++) b.add(`x${i}`);

    a.merge(b);
    const once = a.estimate();
    a.merge(HyperLogLog.fromSparse(b.toSparse()));

    expect(a.estimate()).toBe(once);
    expect(Math.abs(once - 1000) / 1000).toBeLessThan(0.1);
  });
});

describe('configuration', () => {
  it('defaults to every event type per minute', () => {
    expect(validateConfig({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.rollups).toEqual([{ name: 'by_type', types: '*', groupBy: [], windows: [60] }]);
  });

  it.each([
    [{ rollups: [{ name: 'Bad-Name' }] }, 'rollups[0].name'],
    [{ rollups: [{ name: 'a', groupBy: ['drop table'] }] }, 'rollups[0].groupBy[0]'],
    [{ rollups: [{ name: 'a', groupBy: ['x"; --'] }] }, 'rollups[0].groupBy[0]'],
    [{ rollups: [{ name: 'a', windows: [7] }] }, 'rollups[0].windows[0]'],
    [{ rollups: [{ name: 'a', windows: [] }] }, 'rollups[0].windows'],
    [{ rollups: [{ name: 'a' }, { name: 'a' }] }, 'rollups[1].name'],
    [{ rollups: [{ name: 'a', approxDistinct: 'User' }] }, 'rollups[0].approxDistinct'],
    [{ rollups: [{ name: 'a', types: [] }] }, 'rollups[0].types'],
    [{ rollups: [{ name: 'a', colour: 'red' }] }, 'rollups[0].colour'],
    [{ dedupHorizonSeconds: -1 }, 'dedupHorizonSeconds'],
    [{ rolups: [] }, 'rolups'],
  ])('rejects %j naming %s', (input, path) => {
    expect(() => validateConfig(input)).toThrow(ConfigError);
    try {
      validateConfig(input);
    } catch (err) {
      expect((err as ConfigError).path).toBe(path);
    }
  });

  it('reads sluice.config.json, and the defaults when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    try {
      const file = join(dir, 'sluice.config.json');
      writeFileSync(file, JSON.stringify({ rollups: [{ name: 'hourly', windows: [3600] }], dedupHorizonSeconds: 600 }));

      const loaded = loadConfig(file);

      expect(loaded.rollups[0]).toEqual({ name: 'hourly', types: '*', groupBy: [], windows: [3600] });
      expect(loaded.dedupHorizonSeconds).toBe(600);
      expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(/file not found/);
      writeFileSync(file, '{ not json');
      expect(() => loadConfig(file)).toThrow(/not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sluice.config.example.json', () => {
  it('is a valid configuration', () => {
    const config = loadConfig(new URL('../sluice.config.example.json', import.meta.url).pathname);

    expect(config.rollups.map((r) => r.name)).toEqual(['by_type', 'checkout_by_country']);
    expect(config.rollups[1]).toMatchObject({ groupBy: ['country', 'device'], approxDistinct: 'user' });
  });
});
