// The load-test harness: its pure parts (Zipf keys, percentiles, the per-second
// timeline, the SVG chart and HTML report, flag parsing, loopback guard, rollup
// watching), then short real runs against an in-process local stack through both
// targets and the CLI, including a run whose rollups cannot match.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, isLoopbackUrl } from '../core/index.ts';
import { parseLoadtestArgs, runLoadtest } from '../cli/loadtest.ts';
import { UsageError } from '../cli/errors.ts';
import { main } from '../cli/index.ts';
import {
  EventGenerator, LatencyHistogram, LoadTestOptionError, RemoteTargetError, RunTally, TargetNotConfiguredError, Timeline, ZipfSampler,
  buildChartSvg, formatSummary, niceCeiling, renderHtmlReport, resolveOptions, runLoadTest, seededRandom,
  RateSchedule, SHARD_LIMITS, capacityPlan, figuresFromReport, parseChaos, parsePoison, parseRamp, parseSteps, watchRollups, type LoadTestReport, type RollupTotals, type SecondSample, type SendOutcome,
} from '../loadtest/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';
import { closeTo } from './support/matchers.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('ZipfSampler', () => {
  it('draws ranks with probabilities proportional to 1/(k+1)^s', () => {
    const zipf = new ZipfSampler(100, 1.1, seededRandom(7));
    const draws = 200_000;
    const counts = new Array<number>(100).fill(0);

    for (let i = 0; i < draws; i++) counts[zipf.next()]!++;

    let total = 0;
    for (let k = 0; k < 100; k++) total += zipf.probability(k);
    expect(total).toBeCloseTo(1, 12);
    expect(zipf.probability(0) / zipf.probability(1)).toBeCloseTo(Math.pow(2, 1.1), 10);
    for (let k = 0; k < 10; k++) expect(Math.abs(counts[k]! / draws - zipf.probability(k))).toBeLessThan(0.005);
    expect(counts[0]).toBe(Math.max(...counts));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(draws);
  });

  it('is uniform with exponent 0 and constant with one key', () => {
    const uniform = new ZipfSampler(4, 0, seededRandom(3));
    const one = new ZipfSampler(1, 1.2, seededRandom(3));
    const counts = [0, 0, 0, 0];

    for (let i = 0; i < 40_000; i++) counts[uniform.next()]!++;
    const ones = Array.from({ length: 100 }, () => one.next());

    for (const c of counts) expect(Math.abs(c / 40_000 - 0.25)).toBeLessThan(0.01);
    expect(new Set(ones)).toEqual(new Set([0]));
  });

  it('replays the same sequence for the same seed', () => {
    const a = new ZipfSampler(1000, 1.1, seededRandom(42));
    const b = new ZipfSampler(1000, 1.1, seededRandom(42));

    const sa = Array.from({ length: 50 }, () => a.next());
    const sb = Array.from({ length: 50 }, () => b.next());

    expect(sa).toEqual(sb);
  });

  it('refuses a key count or exponent it cannot draw from, naming the flag', () => {
    expect(() => new ZipfSampler(0, 1, Math.random)).toThrowError(LoadTestOptionError);
    expect(() => new ZipfSampler(0, 1, Math.random)).toThrowError(/^--keys /);
    expect(() => new ZipfSampler(10, -1, Math.random)).toThrowError(/^--zipf /);
  });
});

describe('EventGenerator', () => {
  it('makes valid-looking events of the run\'s types with integer values, Zipf keys and sized payloads', () => {
    const gen = new EventGenerator({ types: 3, keys: 50, payloadBytes: 300, zipfExponent: 1.1, typePrefix: 'lt_abcd', random: seededRandom(1) });

    const events = Array.from({ length: 2000 }, () => gen.next());

    expect(gen.typeNames).toEqual(['lt_abcd.page_view', 'lt_abcd.api_call', 'lt_abcd.click']);
    expect(new Set(events.map((e) => e.event.type))).toEqual(new Set(gen.typeNames));
    for (const { event, partitionKey } of events) {
      expect(Number.isInteger(event.value)).toBe(true);
      expect(partitionKey).toMatch(/^user-\d+$/);
      const size = JSON.stringify(event.payload).length;
      expect(size).toBeGreaterThan(260);
      expect(size).toBeLessThan(340);
    }
    const hot = events.filter((e) => e.partitionKey === 'user-0').length;
    const cold = events.filter((e) => e.partitionKey === 'user-49').length;
    expect(hot).toBeGreaterThan(cold * 5);
  });

  it('refuses a type count outside 1..64', () => {
    const make = (types: number) => new EventGenerator({ types, keys: 1, payloadBytes: 0, zipfExponent: 1, typePrefix: 'x', random: Math.random });
    expect(() => make(0)).toThrowError(/^--types /);
    expect(() => make(65)).toThrowError(/^--types /);
  });
});

describe('LatencyHistogram', () => {
  it('gives p50, p90, p99, p99.9 and max within its three significant digits, in bounded memory', () => {
    const h = new LatencyHistogram();

    for (let i = 1; i <= 100_000; i++) h.record(i / 100); // 0.01 .. 1000 ms, uniform

    const s = h.summary();
    expect(s.count).toBe(100_000);
    expect(s.p50).toBeCloseTo(500, -1);
    expect(s.p90).toBeCloseTo(900, -1);
    expect(s.p99).toBeCloseTo(990, -1);
    expect(s.p999).toBeCloseTo(999, -1);
    expect(s.max).toBeCloseTo(1000, -1);
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.001);
  });

  it('is NaN when empty', () => {
    expect(new LatencyHistogram().summary()).toMatchObject({ count: 0, p50: NaN, max: NaN });
  });
});

describe('RateSchedule', () => {
  it('owes rate x time events at a constant rate, each due when the schedule reaches it', () => {
    const s = new RateSchedule({ kind: 'constant', rate: 100, durationSec: 3 });

    expect(s.total).toBe(300);
    expect(s.cumulative(1.5)).toBeCloseTo(150, 9);
    expect(s.timeOf(0)).toBeCloseTo(0.01, 9);
    expect(s.timeOf(149)).toBeCloseTo(1.5, 9);
    expect(s.timeOf(299)).toBeCloseTo(3, 9);
  });

  it('ramps linearly and steps, with intended times that invert the cumulative count', () => {
    const ramp = new RateSchedule({ kind: 'ramp', from: 100, to: 300, durationSec: 10 });
    const steps = new RateSchedule({ kind: 'steps', rates: [100, 1000, 10], stepSec: 2 });

    expect(ramp.total).toBe(2000);
    expect(ramp.rateAt(5)).toBeCloseTo(200, 9);
    for (const k of [0, 10, 500, 1999]) expect(ramp.cumulative(ramp.timeOf(k))).toBeCloseTo(k + 1, 6);
    expect(steps.durationSec).toBe(6);
    expect(steps.total).toBe(2220);
    expect(steps.timeOf(199)).toBeCloseTo(2, 9);
    expect(steps.timeOf(2199)).toBeCloseTo(4, 9);
    expect(steps.cumulative(5)).toBeCloseTo(2210, 9);
  });

  it('parses --ramp, --steps, --chaos and --poison, refusing bad ones by flag', () => {
    expect(parseRamp('100:5000')).toEqual({ from: 100, to: 5000 });
    expect(parseSteps('1000,5000@10s')).toEqual({ rates: [1000, 5000], stepSec: 10 });
    expect(parseChaos('db-outage@20s:10s')).toEqual({ kind: 'db-outage', atSec: 20, durationSec: 10 });
    expect(parseChaos('consumer-crash@30s')).toEqual({ kind: 'consumer-crash', atSec: 30, durationSec: 0 });
    expect(parsePoison('0.1%')).toBeCloseTo(0.001, 12);
    expect(() => parseRamp('fast')).toThrowError(/^--ramp /);
    expect(() => parseSteps('1000,,2@3s')).toThrowError(/^--steps /);
    expect(() => parseChaos('meteor@1s')).toThrowError(/^--chaos /);
    expect(() => parsePoison('80%')).toThrowError(/^--poison /);
  });
});

describe('Timeline', () => {
  it('counts sends, acks and failures per second with per-second latency', () => {
    const t = new Timeline(1000);

    t.recordOffered(1000, 4);
    t.recordSent(1000, 3);
    t.recordShortfall(1000, 1);
    t.recordAck(1500, 10);
    t.recordAck(1900, 30);
    t.recordSent(2100, 2);
    t.recordFailure(2200);
    t.recordAck(3050, 5);
    t.recordPipeline(3100, { aggregated: 3, backlog: 0 });

    const [a, b, c] = t.samples();
    expect(t.samples()).toHaveLength(3);
    // Percentiles come from a histogram with three significant digits.
    const near = (v: number) => closeTo(v, 1);
    expect(a).toMatchObject({ second: 0, offered: 4, sent: 3, shortfall: 1, acked: 2, failed: 0, latencyP50Ms: near(10), latencyP99Ms: near(30), latencyMaxMs: near(30) });
    expect(b).toMatchObject({ second: 1, sent: 2, acked: 0, failed: 1, latencyP50Ms: NaN, latencyP99Ms: NaN });
    expect(c).toMatchObject({ second: 2, sent: 0, acked: 1, failed: 0, latencyP50Ms: near(5), aggregated: 3, backlog: 0 });
  });
});

describe('RunTally', () => {
  it('counts outcomes, sums accepted values per type and resolves once nothing is in flight', async () => {
    const tally = new RunTally(0, ['a', 'b']);
    const ev = (type: string, value: number) => ({ event: { type, value }, partitionKey: 'k' });
    let release!: () => void;
    const late = new Promise<SendOutcome>((r) => { release = () => r({ ok: true }); });

    tally.track([ev('a', 2), ev('a', 3), ev('b', 7), ev('b', 1)], [0, 100, 200, 300], [
      Promise.resolve({ ok: true }), Promise.resolve({ ok: true }), Promise.resolve({ ok: false, error: 'RetriesExhaustedError' }), late,
    ], 0, () => 500);
    await Promise.resolve();
    await Promise.resolve();
    const before = { inFlight: tally.inFlight, accepted: tally.accepted };
    const drained = tally.whenDrained();
    release();
    await drained;

    expect(before).toEqual({ inFlight: 1, accepted: 2 });
    expect({ sent: tally.sent, accepted: tally.accepted, failed: tally.failed, inFlight: tally.inFlight }).toEqual({ sent: 4, accepted: 3, failed: 1, inFlight: 0 });
    expect(tally.expected).toEqual({ a: { count: 2, sum: 5 }, b: { count: 1, sum: 1 } });
    expect(tally.failures).toEqual({ RetriesExhaustedError: 1 });
    // Latency runs from each event's intended send time, not from when the batch went.
    expect(tally.ack.summary()).toMatchObject({ count: 3, max: 500 });
    expect(tally.ack.percentile(1)).toBeCloseTo(200, 0);
  });
});

describe('SVG chart', () => {
  const sample = (second: number, sent: number, p50: number, p99: number): SecondSample =>
    ({ second, offered: sent, sent, shortfall: 0, acked: sent, failed: 0, latencyP50Ms: p50, latencyP90Ms: p50, latencyP99Ms: p99, latencyMaxMs: p99 });
  const points = (svg: string, series: string) =>
    [...svg.matchAll(new RegExp(`data-series="${series}"[^>]*points="([^"]*)"`, 'g'))].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));

  it('rounds axis maxima to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.7, 1, 3, 12, 100, 101, 4999].map(niceCeiling)).toEqual([1, 1, 1, 5, 20, 100, 200, 5000]);
  });

  it('plots one point per second, scaled so the nice maximum is the top of the panel', () => {
    const samples = [sample(0, 0, 0, 0), sample(1, 500, 2, 5), sample(2, 1000, 4, 10)];

    const svg = buildChartSvg(samples, { width: 400, panelHeight: 200 });

    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const sent = points(svg, 'sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toHaveLength(3);
    // plot area: y from 28 (top) to 200 - 30 = 170 (bottom); x from 64 to 400 - 16 = 384
    expect(sent[0]![0]).toEqual([64, 170]);
    expect(sent[0]![1]).toEqual([224, 99]);
    expect(sent[0]![2]).toEqual([384, 28]);
    expect(svg).toContain('>1000 /s<');
    expect(points(svg, 'p99')[0]!.map(([, y]) => y)).toEqual([170, 99, 28]);
    expect(svg).toContain('>10 ms<');
  });

  it('breaks the latency line over seconds without acknowledgements and says when there is no data', () => {
    const withGap = buildChartSvg([sample(0, 10, 5, 9), sample(1, 10, NaN, NaN), sample(2, 10, 6, 9)]);
    const empty = buildChartSvg([]);

    expect(points(withGap, 'p50')).toHaveLength(2);
    expect(empty).toContain('no data');
    expect(empty).not.toContain('<polyline');
  });
});

describe('HTML report', () => {
  const lat = { count: 20, p50: 1, p90: 2, p99: 3, p999: 3.5, max: 4, mean: 1.5 };
  const second = (n: number): SecondSample => ({
    second: n, offered: 10, sent: 10, shortfall: 0, acked: 10, failed: 0, latencyP50Ms: 1 + n, latencyP90Ms: 2 + n, latencyP99Ms: 3 + n, latencyMaxMs: 4 + n,
    aggregated: 10 * n, backlog: 10, lagMs: 500, dataApiCalls: 4 * n, tupleWrites: 9 * n, ...(n === 1 ? { fault: 'db-outage' } : {}),
  });
  const report = (over: Partial<LoadTestReport> = {}): LoadTestReport => ({
    runId: 'ab12', seed: 5, target: 'kinesis', endpoint: 'http://127.0.0.1:1/<x>', startedAt: '2026-11-28T15:00:00.000Z',
    options: { rate: 10, durationSec: 2, types: 1, keys: 5, payloadBytes: 0, zipfExponent: 1.1, target: 'kinesis', recordFormat: 'compressed', allowRemote: false, deployed: false, verify: true, settleTimeoutSec: 5, maxInFlight: 10, poison: 0, mode: 'sluice' },
    schedule: '10 events/s for 2 s', offered: 20, sent: 20, shortfall: 0, accepted: 20, failed: 0, failures: {}, sendDurationMs: 2000, achievedEventsPerSec: 10,
    latency: { ack: lat, e2e: { ...lat, p50: 700 } }, lost: 0, duplicated: 0,
    db: { dataApiCalls: 8, statementsPer10kEvents: 4000, eventsPerStatement: 2.5, tupleWrites: 18, tupleWritesPer10kEvents: 9000, transactions: 2, maxConcurrentTransactions: 2 }, meanEventBytes: 150,
    poison: { sent: 0, quarantined: null }, chaos: [], costPerMillionEventsUsd: null, cost: null, problems: [],
    timeline: [second(0), second(1), second(2)],
    sinkMetrics: {},
    rollups: { checked: true, matched: true, lagMs: 1200, lost: 0, duplicated: 0, perType: [], groups: [], groupsChecked: 0, expected: { 'lt_ab12.page_view': { count: 20, sum: 20 } }, observed: { 'lt_ab12.page_view': { count: 20, sum: 20 } } },
    ok: true,
    ...over,
  });

  it('is one self-contained page: inline SVG, no script, nothing fetched, text escaped', () => {
    const html = renderHtmlReport(report());

    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).not.toMatch(/<script|<link|\ssrc=|\shref=|@import|url\(/i);
    expect(html).toContain('http://127.0.0.1:1/&lt;x&gt;');
    expect(html).toContain('exact after 1.20 s');
  });

  it('marks a type whose rollups differ', () => {
    const html = renderHtmlReport(report({
      ok: false,
      rollups: { checked: true, matched: false, lagMs: null, lost: 1, duplicated: 0, perType: [], groups: [], groupsChecked: 0, expected: { t: { count: 20, sum: 20 } }, observed: { t: { count: 19, sum: 19 } } },
    }));

    expect(html).toContain('<tr class="bad"><td>t</td><td>20</td><td>20</td><td>19</td><td>19</td><td>mismatch</td></tr>');
    expect(html).toContain('FAILED');
  });
});

describe('loadtest flags', () => {
  const usageError = (argv: string[]) => {
    try {
      parseLoadtestArgs(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error(`no error for ${argv.join(' ')}`);
  };

  it('turns flags into options', () => {
    const args = parseLoadtestArgs(['--rate', '250', '--duration', '3', '--types', '4', '--keys', '99', '--payload-bytes', '0', '--zipf', '0.8', '--http', '--json', '--no-verify', '--seed', '9', '--kpl']);

    expect(args.json).toBe(true);
    expect(args.options).toEqual({
      rate: 250, durationSec: 3, types: 4, keys: 99, payloadBytes: 0, zipfExponent: 0.8, seed: 9, target: 'http', recordFormat: 'kpl', verify: false, allowRemote: false, deployed: false,
    });
  });

  it('loads a deployed stack with --target aws: remote endpoints allowed, requests signed', () => {
    expect(parseLoadtestArgs(['--target', 'aws', '--http']).options).toMatchObject({ target: 'http', allowRemote: true, deployed: true });
    expect(parseLoadtestArgs(['--target', 'local']).options).toMatchObject({ allowRemote: false, deployed: false });
  });

  it('puts compressed records unless --kpl is given', () => {
    expect(parseLoadtestArgs([]).options.recordFormat).toBe('compressed');
    expect(resolveOptions({}).recordFormat).toBe('compressed');
  });

  it.each([
    [['--rate', 'fast'], /--rate must be an integer/],
    [['--rate', '0'], /--rate must be an integer from 1/],
    [['--duration', '1.5'], /--duration must be an integer/],
    [['--types', '65'], /--types must be an integer from 1 to 64/],
    [['--payload-bytes', '900000'], /--payload-bytes must be an integer from 0 to/],
    [['--zipf', 'steep'], /--zipf must be a number/],
    [['--speed', '3'], /Unknown option '--speed'/],
    [['extra'], /unexpected argument "extra"/],
    [['--report', '/nonexistent-dir/r.html'], /--report .*does not exist/],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(usageError(argv)).toMatch(message);
  });

  it('makes `sluice loadtest` exit 2 on a bad flag, before touching any stack', async () => {
    const code = await main(['loadtest', '--keys', 'many']);

    expect(code).toBe(2);
  });
});

describe('loopback guard', () => {
  it.each(['http://127.0.0.1:4567', 'http://localhost:1/x', 'http://[::1]:80', 'http://127.8.9.10', 'https://api.localhost'])('accepts %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  it.each(['http://10.0.0.1:4567', 'https://kinesis.us-east-1.amazonaws.com', 'http://127.0.0.1.example.com', 'not a url', 'http://0.0.0.0:1'])('refuses %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(false);
  });

  it('refuses to send to a remote or unset endpoint before sending anything', async () => {
    const remote = { [ENV.kinesisEndpoint]: 'http://10.1.2.3:4567', [ENV.streamName]: 's' };
    const unset = { [ENV.streamName]: 's' };

    await expect(runLoadTest({ verify: false, durationSec: 1 }, remote)).rejects.toBeInstanceOf(RemoteTargetError);
    await expect(runLoadTest({ verify: false, durationSec: 1 }, unset)).rejects.toBeInstanceOf(TargetNotConfiguredError);
    await expect(runLoadTest({ verify: false, target: 'http' }, { [ENV.ingestUrl]: 'http://192.168.1.5/v1/events' })).rejects.toThrowError(/--allow-remote/);
  });
});

describe('watchRollups', () => {
  const clock = () => {
    let t = 1_000;
    return { now: () => t, sleep: async (ms: number) => { t += ms; } };
  };
  const noGroups = async () => ({});
  const window = { from: new Date(0), to: new Date(1), lastAckAtMs: 0 };

  it('polls until every type equals the expected totals and measures from the last ack', async () => {
    const c = clock();
    let reads = 0;
    const totals = async (type: string) => {
      reads++;
      const progress = Math.min(1, (c.now() - 1_000) / 1_000);
      return type === 'a' ? { count: Math.round(10 * progress), sum: Math.round(30 * progress) } : { count: 2, sum: 2 };
    };

    const v = await watchRollups({ totals, groups: noGroups }, { expected: { a: { count: 10, sum: 30 }, b: { count: 2, sum: 2 } }, ...window, lastAckAtMs: 900, timeoutMs: 10_000, pollIntervalMs: 250, ...c });

    expect(v).toMatchObject({ checked: true, matched: true, lagMs: 1_100, lost: 0, duplicated: 0, perType: [], observed: { a: { count: 10, sum: 30 }, b: { count: 2, sum: 2 } } });
    expect(reads).toBeGreaterThan(4);
  });

  it('reports lost and double-counted events apart, per type, from a reader that lost some and counted some twice', async () => {
    const expected = { a: { count: 10, sum: 30 }, b: { count: 5, sum: 5 }, c: { count: 3, sum: 9 } };
    const reader = { totals: async (type: string): Promise<RollupTotals> => ({ a: { count: 7, sum: 21 }, b: { count: 7, sum: 7 }, c: { count: 3, sum: 9 } })[type]!, groups: noGroups };

    const v = await watchRollups(reader, { expected, ...window, timeoutMs: 1_000, ...clock() });

    expect(v.matched).toBe(false);
    expect(v.lost).toBe(3);
    expect(v.duplicated).toBe(2);
    expect(v.perType.map((d) => [d.scope.type, d.lost, d.duplicated])).toEqual([['a', 3, 0], ['b', 0, 2]]);
  });

  it('reports per dimension value of a rollup that groups, even when the type totals agree', async () => {
    const rollup = { name: 'by_region', types: '*' as const, groupBy: ['region'], windows: [60] };
    const expected = { a: { count: 10, sum: 10 } };
    const expectedGroups = { by_region: { a: { '["eu"]': { count: 6, sum: 6 }, '["us"]': { count: 4, sum: 4 } } } };
    // One "us" event counted as "eu" and another "eu" one lost and one counted twice: the type's total still says 10.
    const reader = {
      totals: async () => ({ count: 10, sum: 10 }),
      groups: async () => ({ '["eu"]': { count: 7, sum: 7 }, '["us"]': { count: 3, sum: 3 } }),
    };

    const v = await watchRollups(reader, { expected, expectedGroups, groupings: [rollup], ...window, timeoutMs: 1_000, ...clock() });

    expect(v.matched).toBe(false);
    expect(v.groupsChecked).toBe(2);
    expect(v.groups.map((d) => [d.scope.group, d.lost, d.duplicated])).toEqual([[{ region: 'eu' }, 0, 1], [{ region: 'us' }, 1, 0]]);
    expect(formatSummary({ ...reportWith(v), ok: false })).toMatch(/a in by_region \{"region":"us"\}: .* LOST 1/);
  });

  it('reports the last observation when the totals never match in time', async () => {
    const short = await watchRollups({ totals: async () => ({ count: 3, sum: 3 }), groups: noGroups }, { expected: { a: { count: 4, sum: 4 } }, ...window, timeoutMs: 1_000, ...clock() });

    expect(short).toMatchObject({ matched: false, lagMs: null, lost: 1, duplicated: 0, observed: { a: { count: 3, sum: 3 } } });
  });
});

function reportWith(rollups: LoadTestReport['rollups']): LoadTestReport {
  const lat = { count: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  return {
    runId: 'x', seed: 1, target: 'kinesis', endpoint: 'e', startedAt: '', schedule: '', offered: 0, sent: 0, shortfall: 0, accepted: 0, failed: 0, failures: {},
    options: { rate: 1, durationSec: 1, types: 1, keys: 1, payloadBytes: 0, zipfExponent: 1, target: 'kinesis', recordFormat: 'compressed', allowRemote: false, deployed: false, verify: true, settleTimeoutSec: 1, maxInFlight: 1, poison: 0, mode: 'sluice' },
    sendDurationMs: 1, achievedEventsPerSec: 0, latency: { ack: lat, e2e: lat }, lost: rollups.lost, duplicated: rollups.duplicated,
    db: { dataApiCalls: null, statementsPer10kEvents: null, eventsPerStatement: null, tupleWrites: null, tupleWritesPer10kEvents: null, transactions: null, maxConcurrentTransactions: 'not measured' }, meanEventBytes: 0,
    poison: { sent: 0, quarantined: null }, chaos: [], costPerMillionEventsUsd: null, cost: null, problems: [], timeline: [], sinkMetrics: {}, rollups, ok: false,
  };
}

// On PGlite, or on a scratch database of the real PostgreSQL when DATABASE_URL is set (CI).
describe('load test against the local stack', () => {
  let dataDir: string;
  let stack: LocalStack;
  let workDir: string;
  let scratch: ScratchDatabase | undefined;
  let outageReport: LoadTestReport | undefined;
  let compareReport: LoadTestReport | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-loadtest-stack-'));
    workDir = mkdtempSync(join(tmpdir(), 'sluice-loadtest-out-'));
    scratch = await scratchDatabaseUrl();
    // A consumer killed inside its transaction holds its rows until the Data API rolls the
    // transaction back: 3 minutes on Aurora, 5 s here.
    stack = await startStack({ dataDir, faultInjection: true, transactionIdleTimeoutMs: 5_000, ...(scratch ? { databaseUrl: scratch.url } : {}) });
  });
  afterAll(async () => {
    await stack?.stop();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('sends through the producer SDK, stops by itself and sees the exact totals in the rollups', async () => {
    const lines: string[] = [];

    const r = await runLoadTest({ rate: 400, durationSec: 2, types: 4, keys: 200, payloadBytes: 150, seed: 11, progress: (l) => lines.push(l) }, stack.env);

    expect(r.sent).toBe(800);
    expect(r.accepted).toBe(800);
    expect(r.failed).toBe(0);
    expect(r.rollups.matched).toBe(true);
    expect(r.rollups.lagMs).not.toBeNull();
    expect(Object.values(r.rollups.expected).reduce((n, t) => n + t.count, 0)).toBe(800);
    expect(r.rollups.observed).toEqual(r.rollups.expected);
    expect(r.latency.ack.count).toBe(800);
    expect(r.sinkMetrics.kinesisRecords).toBeGreaterThan(0);
    expect(r.sinkMetrics.kinesisRecords).toBeLessThan(800);
    expect(r.timeline.reduce((n, s) => n + s.sent, 0)).toBe(800);
    expect(lines.some((l) => /^\[\s*1s\] offered \d+ {2}sent \d+ {2}shortfall 0/.test(l))).toBe(true);
    expect(r.ok).toBe(true);
    expect(formatSummary(r)).toContain('result       OK');
  });

  it('runs from the CLI through the HTTP ingest, printing one JSON object and writing the HTML report', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const reportPath = join(workDir, 'report.html');

    const code = await runLoadtest(['--http', '--rate', '300', '--duration', '2', '--types', '3', '--json', '--report', reportPath], stack.env, out);

    expect(code).toBe(0);
    const report = JSON.parse(text) as LoadTestReport;
    expect(report).toMatchObject({ target: 'http', sent: 600, accepted: 600, failed: 0, ok: true, rollups: { matched: true } });
    expect(report.endpoint).toBe(stack.env[ENV.ingestUrl]);
    expect(existsSync(reportPath)).toBe(true);
    expect(readFileSync(reportPath, 'utf8')).toContain('<svg');
  });

  it('reports the shortfall and fails when the schedule cannot be kept', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));

    // 50,000 events in one second with at most 50 unacknowledged: most can never be sent.
    const code = await runLoadtest(['--rate', '50000', '--duration', '1', '--types', '2', '--max-in-flight', '50', '--json'], stack.env, out);

    const r = JSON.parse(text) as LoadTestReport;
    expect(code).toBe(1);
    expect(r.offered).toBe(50_000);
    expect(r.shortfall).toBeGreaterThan(0);
    expect(r.sent + r.shortfall).toBe(r.offered);
    expect(r.accepted).toBe(r.sent);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/shortfall: \d+ of 50000 events offered were never sent/);
    // What was sent still lands exactly: the shortfall is the only problem.
    expect(r).toMatchObject({ lost: 0, duplicated: 0, rollups: { matched: true } });
    expect(r.timeline.reduce((n, s) => n + s.shortfall, 0)).toBe(r.shortfall);
  });

  it('ends exact through a database outage, a consumer crash and a poison mix, the poison counted in the quarantine', async () => {
    const lines: string[] = [];

    outageReport = await runLoadTest({
      rate: 300, durationSec: 4, types: 3, keys: 100, payloadBytes: 50, seed: 5, poison: 0.01,
      chaos: [{ kind: 'db-outage', atSec: 1, durationSec: 2 }, { kind: 'consumer-crash', atSec: 3.5, durationSec: 0 }],
      settleTimeoutSec: 60, progress: (l) => lines.push(l),
    }, stack.env);
    const r = outageReport;

    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ offered: 1200, sent: 1200, shortfall: 0, accepted: 1200, lost: 0, duplicated: 0, ok: true });
    expect(r.rollups.observed).toEqual(r.rollups.expected);
    expect(r.poison).toEqual({ sent: 12, quarantined: 12 });
    expect(r.chaos[0]).toMatchObject({ kind: 'db-outage' });
    expect(r.chaos.map((c) => c.error)).toEqual([undefined, undefined]);
    expect(r.chaos[1]).toMatchObject({ kind: 'consumer-crash', crash: { name: 'aggregator', exit: 'SIGKILL' } });
    expect(r.chaos[0]!.firedAtSec).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.startsWith('chaos: db-outage for 2 s'))).toBe(true);
    // The backlog grows while the database refuses and is gone at the end.
    // (When the readings fall on which second depends on the machine's load: the peak is checked over the run.)
    expect(r.timeline.some((s) => s.fault === 'db-outage')).toBe(true);
    expect(Math.max(...r.timeline.map((s) => s.backlog ?? 0))).toBeGreaterThan(0);
    expect(r.timeline.at(-1)!.backlog).toBe(0);
    expect(r.latency.e2e.count).toBeGreaterThan(0);
    expect(r.latency.e2e.max).toBeGreaterThan(r.latency.ack.p50);
    expect(r.db.dataApiCalls).toBeGreaterThan(0);
    expect(r.db.tupleWritesPer10kEvents).toBeGreaterThan(0);
    expect(r.db.maxConcurrentTransactions).toBeGreaterThanOrEqual(1);
    expect(r.costPerMillionEventsUsd).toBeGreaterThan(0);
  });

  it('kills the aggregator\'s process inside a batch and after a commit; the stack restarts it and the totals stay exact', async () => {
    const lines: string[] = [];
    const restartsBefore = stack.runners.aggregator.restarts;

    const r = await runLoadTest({
      rate: 400, durationSec: 4, types: 3, keys: 100, payloadBytes: 50, seed: 21,
      chaos: [{ kind: 'consumer-crash', atSec: 1, durationSec: 0 }, { kind: 'consumer-crash', atSec: 2.5, durationSec: 0, moment: 'after-commit' }],
      settleTimeoutSec: 60, progress: (l) => lines.push(l),
    }, stack.env);

    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ offered: 1600, sent: 1600, accepted: 1600, lost: 0, duplicated: 0, ok: true });
    expect(r.rollups.observed).toEqual(r.rollups.expected);
    const [mid, after] = r.chaos.map((c) => c.crash!);
    // Each kill hit a batch in the handler, took the process down and a new one took over.
    expect(mid).toMatchObject({ name: 'aggregator', exit: 'SIGKILL', moment: 'mid-batch', midBatch: true });
    expect(after).toMatchObject({ name: 'aggregator', exit: 'SIGKILL', moment: 'after-commit', midBatch: true });
    for (const c of [mid!, after!]) {
      expect(c.records).toBeGreaterThan(0);
      expect(c.newPid).not.toBe(c.pid);
    }
    expect(after!.pid).toBe(mid!.newPid);
    expect(stack.runners.aggregator.restarts).toBe(restartsBefore + 2);
    expect(stack.parts.find((p) => p.name === 'aggregator')!.pid).toBe(after!.newPid);
    expect(lines.some((l) => /^chaos: aggregator \(pid \d+\) killed \(SIGKILL\) \d+ ms into a batch of \d+ records, before its commit; restarted as pid \d+/.test(l))).toBe(true);
    expect(formatSummary(r)).toMatch(/chaos +consumer-crash at .*after its batch of \d+ records committed, before its checkpoint/);
    expect(r.timeline.filter((s) => s.fault === 'consumer-crash').length).toBeGreaterThanOrEqual(1);
    expect(r.timeline.at(-1)!.backlog).toBe(0);
  });

  it('refuses a consumer crash on a stack whose control API does not inject faults', async () => {
    await expect(runLoadTest({ rate: 10, durationSec: 1, chaos: [{ kind: 'consumer-crash', atSec: 0, durationSec: 0 }] }, { ...stack.env, [ENV.controlUrl]: 'http://127.0.0.1:9' }))
      .rejects.toThrow(/cannot inject consumer-crash: nothing answers at http:\/\/127.0.0.1:9/);
  });

  it('compares with the naive baseline on the same schedule: one PutRecord and one INSERT per event', async () => {
    compareReport = await runLoadTest({ rate: 200, durationSec: 2, types: 2, keys: 50, payloadBytes: 50, seed: 8, compare: 'naive' }, stack.env);
    const r = compareReport;
    const n = r.naive!;

    expect(r.ok).toBe(true);
    expect(n.options.mode).toBe('naive');
    expect(n).toMatchObject({ offered: 400, sent: 400, accepted: 400, lost: 0, duplicated: 0 });
    // The same events: the same totals per type suffix.
    const bySuffix = (t: Record<string, RollupTotals>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k.split('.')[1], v]));
    expect(bySuffix(n.rollups.observed)).toEqual(bySuffix(r.rollups.observed));
    // One INSERT per event: at least 10,000 calls per 10,000 events, far more than sluice's.
    expect(n.db.statementsPer10kEvents).toBeGreaterThanOrEqual(10_000);
    expect(n.db.statementsPer10kEvents!).toBeGreaterThan(5 * r.db.statementsPer10kEvents!);
    expect(n.sinkMetrics.putCalls).toBeGreaterThanOrEqual(400);
    expect(formatSummary(r)).toMatch(/compared with the naive baseline/);
    // Its consumer is a part of the stack, its CPU counted with the stack's.
    const naivePart = stack.parts.find((p) => p.name === 'naive');
    expect(naivePart?.running).toBe(true);
    expect(stack.cpu().naive).toBeGreaterThan(0);
  });

  it('shows what the naive baseline lacks: its consumer killed after inserting a batch inserts it again', async () => {
    const r = await runLoadTest({
      rate: 200, durationSec: 3, types: 2, keys: 50, payloadBytes: 50, seed: 9, mode: 'naive',
      chaos: [{ kind: 'consumer-crash', atSec: 1, durationSec: 0, moment: 'after-commit' }],
    }, stack.env);
    const crash = r.chaos[0]!.crash!;

    expect(crash).toMatchObject({ name: 'naive', exit: 'SIGKILL', moment: 'after-commit', midBatch: true });
    expect(r).toMatchObject({ offered: 600, accepted: 600, lost: 0, ok: false });
    // The killed batch comes again and its events are inserted again.
    expect(crash.records).toBeGreaterThan(0);
    expect(r.duplicated).toBeGreaterThan(0);
    expect(r.problems.join('\n')).toMatch(/duplicated: \d+ events are counted more than once/);
  });

  it('plans 200,000 events/s from the local run\'s figures, scaled by the shard limits', () => {
    const r = compareReport!;
    const f = figuresFromReport(r, 'the compared run');

    const plan = capacityPlan({ eventsPerSec: 200_000, eventBytes: 200, types: 2, keys: 50 }, f);

    const streamBytesPerSec = 200_000 * 200 * (r.sinkMetrics.kinesisBytes! / (r.accepted * r.meanEventBytes));
    const recordsPerSec = 200_000 * (r.sinkMetrics.kinesisRecords! / r.accepted);
    expect(plan.shards).toBe(Math.max(1, Math.ceil(streamBytesPerSec / SHARD_LIMITS.bytesPerSec), Math.ceil(recordsPerSec / SHARD_LIMITS.recordsPerSec)));
    expect(plan.dataApiCallsPerSec).toBeCloseTo((200_000 / plan.eventsPerBatch) * (r.db.dataApiCalls! / r.db.transactions!), 6);
    expect(plan.tupleWritesPerSec).toBeCloseTo(200_000 * (r.db.tupleWrites! / r.accepted), 6);
    expect(plan.assumptions[0]).toContain('the compared run');
  });

  it('writes an HTML report that headless Chromium draws with no console error and no network request', async () => {
    const reportPath = join(workDir, 'outage.html');
    writeFileSync(reportPath, renderHtmlReport({ ...outageReport!, naive: compareReport!.naive! }));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (req) => requests.push(req.url()));
      const url = pathToFileURL(reportPath).href;

      await page.goto(url, { waitUntil: 'load' });
      const charts = await page.$$eval('svg[data-chart]', (svgs) => svgs.map((svg) => ({
        name: svg.getAttribute('data-chart'),
        width: svg.getBoundingClientRect().width,
        lines: [...svg.querySelectorAll('polyline')].map((l) => l.getAttribute('points')!.split(' ').length),
      })));

      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      expect(charts.map((c) => c.name)).toEqual(['throughput', 'latency', 'lag', 'lag-age', 'db', 'naive', 'naive-db']);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(0);
        expect(c.lines.length).toBeGreaterThan(0);
        expect(Math.max(...c.lines)).toBeGreaterThan(1);
      }
      expect(await page.textContent('.verdict')).toBe('OK');
    } finally {
      await browser.close();
    }
  });

  it('exits 1 and names the types when the rollups do not reach the totals in time', async () => {
    // With the aggregator stopped nothing reaches the rollups: a real mismatch.
    await stack.runners.aggregator.stop();
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));

    const code = await runLoadtest(['--rate', '100', '--duration', '1', '--types', '2', '--settle-timeout', '1'], stack.env, out);

    expect(code).toBe(1);
    expect(text).toMatch(/rollups +lost \d+, duplicated 0/);
    expect(text.match(/LOST \d+/g)).toHaveLength(2);
    expect(text).toContain('result       FAILED');
  });
});
