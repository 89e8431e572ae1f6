// The load-test harness: its pure parts (Zipf keys, percentiles, the per-second
// timeline, the SVG chart and HTML report, flag parsing, loopback guard, rollup
// watching), then short real runs against an in-process local stack through both
// targets and the CLI, including a run whose rollups cannot match.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, isLoopbackUrl } from '../core/index.ts';
import { parseLoadtestArgs, runLoadtest } from '../cli/loadtest.ts';
import { UsageError } from '../cli/errors.ts';
import { main } from '../cli/index.ts';
import {
  EventGenerator, LoadTestOptionError, RemoteTargetError, RunTally, TargetNotConfiguredError, Timeline, ZipfSampler,
  buildChartSvg, formatSummary, niceCeiling, percentile, renderHtmlReport, resolveOptions, runLoadTest, seededRandom,
  summarizeLatencies, watchRollups, type LoadTestReport, type SecondSample, type SendOutcome,
} from '../loadtest/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';

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

describe('percentiles', () => {
  it('uses nearest rank: an observed value a p-th share of samples do not exceed', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);

    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([10, 20, 30], 50)).toBe(20);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(sorted, 0)).toThrowError(RangeError);
    expect(() => percentile(sorted, 101)).toThrowError(RangeError);
  });

  it('summarizes unsorted samples without reordering them', () => {
    const samples = [5, 1, 4, 2, 3];

    const s = summarizeLatencies(samples);

    expect(s).toEqual({ count: 5, p50: 3, p95: 5, p99: 5, max: 5, mean: 3 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });
});

describe('Timeline', () => {
  it('counts sends, acks and failures per second with per-second latency', () => {
    const t = new Timeline(1000);

    t.recordSent(1000, 3);
    t.recordAck(1500, 10);
    t.recordAck(1900, 30);
    t.recordSent(2100, 2);
    t.recordFailure(2200);
    t.recordAck(3050, 5);

    expect(t.samples()).toEqual([
      { second: 0, sent: 3, acked: 2, failed: 0, latencyP50Ms: 10, latencyP99Ms: 30 },
      { second: 1, sent: 2, acked: 0, failed: 1, latencyP50Ms: NaN, latencyP99Ms: NaN },
      { second: 2, sent: 0, acked: 1, failed: 0, latencyP50Ms: 5, latencyP99Ms: 5 },
    ]);
  });
});

describe('RunTally', () => {
  it('counts outcomes, sums accepted values per type and resolves once nothing is in flight', async () => {
    const tally = new RunTally(0, ['a', 'b']);
    const ev = (type: string, value: number) => ({ event: { type, value }, partitionKey: 'k' });
    let release!: () => void;
    const late = new Promise<SendOutcome>((r) => { release = () => r({ ok: true }); });

    tally.track([ev('a', 2), ev('a', 3), ev('b', 7), ev('b', 1)], [
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
    expect(tally.latencies).toEqual([500, 500, 500]);
  });
});

describe('SVG chart', () => {
  const sample = (second: number, sent: number, p50: number, p99: number): SecondSample =>
    ({ second, sent, acked: sent, failed: 0, latencyP50Ms: p50, latencyP99Ms: p99 });
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
  const report = (over: Partial<LoadTestReport> = {}): LoadTestReport => ({
    runId: 'ab12', seed: 5, target: 'kinesis', endpoint: 'http://127.0.0.1:1/<x>', startedAt: '2026-11-28T15:00:00.000Z',
    options: { rate: 10, durationSec: 2, types: 1, keys: 5, payloadBytes: 0, zipfExponent: 1.1, target: 'kinesis', recordFormat: 'compressed', allowRemote: false, verify: true, settleTimeoutSec: 5, maxInFlight: 10 },
    sent: 20, accepted: 20, failed: 0, failures: {}, sendDurationMs: 2000, achievedRate: 10,
    latencyMs: { count: 20, p50: 1, p95: 2, p99: 3, max: 4, mean: 1.5 },
    timeline: [{ second: 0, sent: 10, acked: 10, failed: 0, latencyP50Ms: 1, latencyP99Ms: 3 }],
    sinkMetrics: {},
    rollups: { checked: true, matched: true, lagMs: 1200, expected: { 'lt_ab12.page_view': { count: 20, sum: 20 } }, observed: { 'lt_ab12.page_view': { count: 20, sum: 20 } } },
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
      rollups: { checked: true, matched: false, lagMs: null, expected: { t: { count: 20, sum: 20 } }, observed: { t: { count: 19, sum: 19 } } },
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
      rate: 250, durationSec: 3, types: 4, keys: 99, payloadBytes: 0, zipfExponent: 0.8, seed: 9, target: 'http', recordFormat: 'kpl', verify: false, allowRemote: false,
    });
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

  it('polls until every type equals the expected totals and measures from the last ack', async () => {
    const c = clock();
    let reads = 0;
    const reader = async (type: string) => {
      reads++;
      const progress = Math.min(1, (c.now() - 1_000) / 1_000);
      return type === 'a' ? { count: Math.round(10 * progress), sum: Math.round(30 * progress) } : { count: 2, sum: 2 };
    };

    const v = await watchRollups(reader, { expected: { a: { count: 10, sum: 30 }, b: { count: 2, sum: 2 } }, from: new Date(0), to: new Date(1), lastAckAtMs: 900, timeoutMs: 10_000, pollIntervalMs: 250, ...c });

    expect(v).toMatchObject({ checked: true, matched: true, lagMs: 1_100, observed: { a: { count: 10, sum: 30 }, b: { count: 2, sum: 2 } } });
    expect(reads).toBeGreaterThan(4);
  });

  it('reports the last observation when the totals never match in time, or overshoot', async () => {
    const short = await watchRollups(async () => ({ count: 3, sum: 3 }), { expected: { a: { count: 4, sum: 4 } }, from: new Date(0), to: new Date(1), lastAckAtMs: 0, timeoutMs: 1_000, ...clock() });
    let n = 0;
    const overshoot = await watchRollups(async () => (n++ === 0 ? { count: 4, sum: 4 } : { count: 5, sum: 5 }), { expected: { a: { count: 4, sum: 4 } }, from: new Date(0), to: new Date(1), lastAckAtMs: 0, timeoutMs: 1_000, ...clock() });

    expect(short).toMatchObject({ matched: false, lagMs: null, observed: { a: { count: 3, sum: 3 } } });
    expect(overshoot).toMatchObject({ matched: false, lagMs: null, observed: { a: { count: 5, sum: 5 } } });
  });
});

// On PGlite, or on a scratch database of the real PostgreSQL when DATABASE_URL is set (CI).
describe('load test against the local stack', () => {
  let dataDir: string;
  let stack: LocalStack;
  let workDir: string;
  let scratch: ScratchDatabase | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-loadtest-stack-'));
    workDir = mkdtempSync(join(tmpdir(), 'sluice-loadtest-out-'));
    scratch = await scratchDatabaseUrl();
    stack = await startStack({ dataDir, ...(scratch ? { databaseUrl: scratch.url } : {}) });
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
    expect(r.latencyMs.count).toBe(800);
    expect(r.sinkMetrics.kinesisRecords).toBeGreaterThan(0);
    expect(r.sinkMetrics.kinesisRecords).toBeLessThan(800);
    expect(r.timeline.reduce((n, s) => n + s.sent, 0)).toBe(800);
    expect(lines.some((l) => /^\[\s*1s\] sent \d+/.test(l))).toBe(true);
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

  it('exits 1 and names the types when the rollups do not reach the totals in time', async () => {
    // With the aggregator stopped nothing reaches the rollups: a real mismatch.
    await stack.runners.aggregator.stop();
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));

    const code = await runLoadtest(['--rate', '100', '--duration', '1', '--types', '2', '--settle-timeout', '1'], stack.env, out);

    expect(code).toBe(1);
    expect(text).toContain('totals did NOT match within 1 s');
    expect(text.match(/MISMATCH/g)).toHaveLength(2);
    expect(text).toContain('result       FAILED');
  });
});
