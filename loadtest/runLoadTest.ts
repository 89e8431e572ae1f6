// The run itself: paces generated events at the offered rate into a sink for the
// set duration (open loop: a slow target lowers the achieved rate, it does not
// slow the schedule beyond the in-flight cap), waits for every acknowledgement,
// then verifies the rollups and returns the report.
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sleep, type StackEnv } from '../core/index.ts';
import { DEFAULT_ROLLUPS, type RollupSet } from '../rollup/index.ts';
import { DataApiRollupReader } from './DataApiRollupReader.ts';
import { EventGenerator } from './EventGenerator.ts';
import { HttpSink } from './HttpSink.ts';
import { KinesisSink } from './KinesisSink.ts';
import { resolveOptions } from './options.ts';
import { summarizeLatencies } from './percentiles.ts';
import { watchRollups, type RollupReader } from './RollupWatcher.ts';
import { seededRandom } from './SeededRandom.ts';
import { RunTally } from './RunTally.ts';
import type { LoadSink, LoadTestOptions, LoadTestReport } from './types.ts';

/** Time between pacing ticks; each tick sends what the schedule says is due. */
const TICK_MS = 5;
/** Rollup buckets are per minute: read a minute either side of the run. */
const ROLLUP_MARGIN_MS = 60_000;

export interface LoadTestDeps {
  /** Where events go. Default: a KinesisSink or HttpSink built from `env`. */
  sink?: LoadSink;
  /** How rollups are read. Default: `queryRollups` through the stack's Data API. */
  readRollups?: RollupReader;
  /** The rollups the stack keeps, for the default reader. Default: DEFAULT_ROLLUPS. */
  rollups?: RollupSet;
}

export async function runLoadTest(opts: LoadTestOptions, env: StackEnv, deps: LoadTestDeps = {}): Promise<LoadTestReport> {
  const o = resolveOptions(opts);
  const progress = opts.progress ?? (() => {});
  const seed = opts.seed ?? randomInt(0, 2 ** 31);
  const runId = randomBytes(4).toString('hex');
  // Both ends are checked (configured, loopback) before the first event is sent.
  const reader = o.verify && !deps.readRollups ? new DataApiRollupReader(env, o.allowRemote, deps.rollups ?? { rollups: DEFAULT_ROLLUPS }) : undefined;
  const readRollups = deps.readRollups ?? reader?.read;
  let sink: LoadSink;
  try {
    sink = deps.sink ?? (o.target === 'http' ? new HttpSink(env, o.allowRemote) : new KinesisSink(env, o.allowRemote, o.recordFormat));
  } catch (err) {
    reader?.close();
    throw err;
  }
  try {
    return await run(o, seed, runId, sink, progress, readRollups);
  } finally {
    reader?.close();
  }
}

async function run(
  o: ReturnType<typeof resolveOptions>, seed: number, runId: string, sink: LoadSink,
  progress: (line: string) => void, readRollups: RollupReader | undefined,
): Promise<LoadTestReport> {
  const generator = new EventGenerator({
    types: o.types, keys: o.keys, payloadBytes: o.payloadBytes, zipfExponent: o.zipfExponent,
    typePrefix: `lt_${runId}`, random: seededRandom(seed),
  });
  const startedAt = new Date();
  const t0 = performance.now();
  const tally = new RunTally(t0, generator.typeNames);
  const endPerf = t0 + o.durationSec * 1000;
  let scheduled = 0;
  let nextProgress = t0 + 1000;

  try {
    for (let last = false; !last;) {
      const now = performance.now();
      // The last tick sends what the schedule still owes, so a full-speed run sends
      // exactly rate × duration events.
      last = now >= endPerf;
      const owed = last ? Math.round(o.rate * o.durationSec) : Math.floor((o.rate * (now - t0)) / 1000);
      const due = owed - scheduled;
      // Past the in-flight cap the schedule moves on without sending: the shortfall
      // shows as a lower achieved rate instead of a burst later.
      const n = Math.max(0, Math.min(due, o.maxInFlight - tally.inFlight));
      scheduled += Math.max(0, due);
      if (n > 0) {
        const batch = Array.from({ length: n }, () => generator.next());
        tally.track(batch, sink.send(batch), now, () => performance.now());
      }
      if (now >= nextProgress) {
        progress(tally.progressLine(now));
        nextProgress += 1000;
      }
      if (!last) await sleep(Math.max(0, Math.min(TICK_MS, endPerf - performance.now())));
    }
    // Every event answered for; the producer settles each one within its TTL.
    const ticker = setInterval(() => progress(tally.progressLine(performance.now())), 1000);
    await tally.whenDrained().finally(() => clearInterval(ticker));
  } finally {
    await sink.close();
  }
  const sinkMetrics = sink.metrics?.() ?? {};
  progress(tally.progressLine(performance.now()));

  const sendDurationMs = Math.max(1, tally.lastSendAt - t0);
  const lastAckAtMs = startedAt.getTime() + (tally.lastAckAt || performance.now()) - t0;
  const expected = tally.expected;
  let rollups: LoadTestReport['rollups'] = { checked: false, matched: false, lagMs: null, expected, observed: {} };
  if (o.verify && readRollups) {
    progress(`verifying rollups of ${generator.typeNames.length} types (up to ${o.settleTimeoutSec} s) ...`);
    rollups = await watchRollups(readRollups, {
      expected,
      from: new Date(startedAt.getTime() - ROLLUP_MARGIN_MS),
      to: new Date(lastAckAtMs + ROLLUP_MARGIN_MS),
      lastAckAtMs,
      timeoutMs: o.settleTimeoutSec * 1000,
    });
  }

  return {
    runId, seed, target: o.target, endpoint: sink.endpoint, options: o, startedAt: startedAt.toISOString(),
    sent: tally.sent, accepted: tally.accepted, failed: tally.failed, failures: tally.failures,
    sendDurationMs,
    achievedRate: tally.accepted / (Math.max(sendDurationMs, o.durationSec * 1000) / 1000),
    latencyMs: summarizeLatencies(tally.latencies),
    timeline: tally.timeline.samples(),
    sinkMetrics,
    rollups,
    ok: tally.failed === 0 && tally.sent > 0 && (!o.verify || rollups.matched),
  };
}


