// The pure parts of the query side: time bounds and buckets as people type them,
// parameters from a query string, the 80-column table, and the health meter's rates.
import { describe, expect, it } from 'vitest';
import { formatBucket, parseBucket, parseQueryParameters, parseTimeBound, QueryError } from '../query/index.ts';
import type { QueryResult } from '../query/index.ts';
import { formatQueryResult } from '../cli/queryFormats.ts';
import { PipelineHealthMeter } from '../local/index.ts';

const NOW = Date.UTC(2026, 10, 30, 12, 34, 56, 789);

describe('parseTimeBound', () => {
  it.each([
    ['now', NOW],
    ['-15m', NOW - 15 * 60_000],
    ['-1h', NOW - 3600_000],
    ['-7d', NOW - 7 * 86_400_000],
    ['-30s', NOW - 30_000],
    ['2026-11-28T14:00:00Z', Date.UTC(2026, 10, 28, 14)],
    ['2026-11-28T14:00:00.5+02:00', Date.UTC(2026, 10, 28, 12, 0, 0, 500)],
    ['2026-11-28', Date.UTC(2026, 10, 28)],
    ['1796000000000', 1796000000000],
  ])('reads %s', (text, ms) => {
    expect(parseTimeBound(text, 'from', NOW)).toBe(ms);
  });

  it.each([
    ['2026-11-28T14:00:00', /not a time/],
    ['yesterday', /not a time: use ISO-8601/],
    ['-1y', /not a time/],
    ['1h', /not a time/],
    ['1900-01-01T00:00:00Z', /outside 2000..2100/],
  ])('refuses %s, naming the option', (text, message) => {
    expect(() => parseTimeBound(text, 'to', NOW)).toThrow(QueryError);
    expect(() => parseTimeBound(text, 'to', NOW)).toThrow(message);
    expect(() => parseTimeBound(text, 'to', NOW)).toThrow(/^to: /);
  });
});

describe('parseBucket', () => {
  it.each([['60', 60], ['5m', 300], ['1h', 3600], ['1d', 86_400], ['2w', 1_209_600], [900, 900]])('reads %s as %i s', (text, s) => {
    expect(parseBucket(text)).toBe(s);
    expect(parseBucket(formatBucket(s))).toBe(s);
  });

  it.each(['0', '-5m', '5 minutes', '1.5h', ''])('refuses %j', (text) => {
    expect(() => parseBucket(text)).toThrow(/^bucket: /);
  });
});

describe('parseQueryParameters', () => {
  it('splits types and dimensions on commas, gathers repeated filters into in-lists', () => {
    const q = parseQueryParameters(new URLSearchParams('type=a,b&type=c&groupBy=country,path&where=country=JP&where=country=a=b&top=5&by=sum&from=-1h'));

    expect(q).toEqual({ types: ['a', 'b', 'c'], groupBy: ['country', 'path'], where: { country: ['JP', 'a=b'] }, top: 5, by: 'sum', from: '-1h' });
  });

  it.each([
    ['type=a&top=5.5', /^top: must be a whole number/],
    ['type=a&top=1e3', /^top: /],
    ['type=a&where=JP', /^where: "JP" must look like dim=value/],
    ['type=,', /^type: is required/],
    ['type=a&bucket=1h&bucket=1d', /^bucket: may be given once/],
  ])('refuses %s', (qs, message) => {
    expect(() => parseQueryParameters(new URLSearchParams(qs))).toThrow(message);
  });
});

describe('the table', () => {
  const m = (count: number, sum: string) => ({ count, sum: Number(sum), sumExact: sum, min: -12345.678, max: 98765.4321, distinct: 123456 });
  const result: QueryResult = {
    from: '2026-11-30T00:00:00.000Z', to: '2026-11-30T02:00:00.000Z', bucket: 3600, groupBy: ['country', 'path'], where: {}, top: 3, by: 'count',
    results: [{
      type: 'page_view', rollup: 'by_country_path', window: 60, distinctOf: 'user',
      rows: [{ bucket: '2026-11-30T00:00:00.000Z', dims: { country: 'JP', path: `/a/very/long/path/${'x'.repeat(60)}` }, ...m(123456789, '1234567890.12') },
        { bucket: '2026-11-30T01:00:00.000Z', dims: { country: null, path: '/' }, ...m(5, '5') }],
      groups: [{ dims: { country: 'JP', path: '/x' }, ...m(123456789, '1234567890.12') }],
      totals: m(123456794, '1234567895.12'),
    }],
  };

  it('fits 80 columns, clipping long values and leaving out what does not fit', () => {
    const text = formatQueryResult(result, 'table');

    for (const line of text.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(text).toMatch(/2026-11-30 00:00\s+JP\s+\/a\/very\/long\/pa.*…/);
    expect(text).toMatch(/\(none\)/);
    expect(text).toMatch(/total\s+.*123456794\s+1234567895\.12/);
  });

  it('writes CSV with quotes where a value needs them', () => {
    const withComma = structuredClone(result);
    withComma.results[0]!.rows[1]!.dims!.path = '/a,"b"';

    const lines = formatQueryResult(withComma, 'csv').split('\r\n');

    expect(lines[0]).toBe('kind,type,bucket,country,path,count,sum,min,max,distinct');
    expect(lines[2]).toBe('row,page_view,2026-11-30T01:00:00.000Z,,"/a,""b""",5,5,-12345.678,98765.4321,123456');
  });
});

describe('PipelineHealthMeter', () => {
  it('turns batch reports into events per second and per statement over recent time', async () => {
    let now = 1_000_000;
    const meter = new PipelineHealthMeter({ iteratorAgeMs: () => 250, quarantinePending: async () => 3, now: () => now });
    now += 20_000;
    meter.record({ eventsIn: 9000, dataApiCalls: 6, lagMs: 0, failed: false }); // older than the rate window later
    now += 55_000;
    meter.record({ eventsIn: 1000, dataApiCalls: 4, lagMs: 0, failed: false });
    meter.record({ eventsIn: 2000, dataApiCalls: 6, lagMs: 0, failed: false });

    const h = await meter.read();

    expect(h).toEqual({ at: new Date(now).toISOString(), eventsPerSecond: 300, iteratorAgeMs: 250, eventsPerStatement: 750, quarantinePending: 3 });
    now += 61_000;
    expect(await meter.read()).toMatchObject({ eventsPerSecond: 0, eventsPerStatement: null });
  });
});
