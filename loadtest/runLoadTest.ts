// The run itself, an open model on an honest clock: the schedule (constant, ramp or
// steps) says how many events are owed by each moment and when each was meant to go
// out; the pacing loop sends what is owed, and every latency runs from the intended
// send time, so a generator or system that falls behind shows as latency, never as a
// quieter schedule. Events the schedule owes past the in-flight cap are not sent and
// are counted (shortfall). Meanwhile, once a second, the pipeline is read from outside:
// events visible in the rollups (end-to-end latency, backlog, lag), the producer's
// retries and throttles, and the database's work. Faults fire on their second. Then
// the run drains, verifies the rollups exactly and returns the report.
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DATA_API, sleep, type CrashMoment, type StackEnv } from '../core/index.ts';
import { DEFAULT_ROLLUPS, type RollupConfig, type RollupSet } from '../rollup/index.ts';
import { estimateCost } from './costModel.ts';
import { FaultControlError } from './errors.ts';
import { EventGenerator } from './EventGenerator.ts';
import { HttpSink } from './HttpSink.ts';
import { KinesisSink } from './KinesisSink.ts';
import { NaiveReader } from './NaiveReader.ts';
import { NaiveSink } from './NaiveSink.ts';
import { resolveOptions, type ResolvedOptions } from './options.ts';
import { PoisonSender } from './PoisonSender.ts';
import { RateSchedule, type RateShape } from './RateSchedule.ts';
import { watchRollups, type RollupReader } from './RollupWatcher.ts';
import { seededRandom } from './SeededRandom.ts';
import { RunTally } from './RunTally.ts';
import { StackProbe, type DbCounters } from './StackProbe.ts';
import { StackControlClient, describeCrash, type ConsumerCrash } from './StackControlClient.ts';
import type { DbWork, LoadSink, LoadTestOptions, LoadTestReport } from './types.ts';

/** Time between pacing ticks; each tick sends what the schedule says is due. */
const TICK_MS = 5;
/** Rollup buckets are per minute: read a minute either side of the run. */
const ROLLUP_MARGIN_MS = 60_000;
/** PostgreSQL flushes a backend's table statistics within a second of its last commit. */
const STATS_FLUSH_MS = 1_500;
/** End-to-end samples kept per second of the schedule, at most (the rest of the events are not sampled). */
const E2E_SAMPLES_PER_SEC = 2_000;
/** One event in this many is serialized again to measure the mean event size. */
const EVENT_SIZE_SAMPLE = 16;

export interface LoadTestDeps {
  /** Where events go. Default: a KinesisSink or HttpSink built from `env`. */
  sink?: LoadSink;
  /** How rollups are read. Default: `queryRollups` through the stack's Data API. */
  readRollups?: RollupReader;
  /** The rollups the stack keeps. Default: DEFAULT_ROLLUPS. */
  rollups?: RollupSet;
  /** Kills the aggregator mid-batch and restarts it (consumer-crash). Default: the local stack's control API (StackControlClient). */
  crashConsumer?: (moment: CrashMoment) => Promise<ConsumerCrash>;
}

export function scheduleOf(o: ResolvedOptions): RateSchedule {
  const shape: RateShape = o.steps ? { kind: 'steps', ...o.steps }
    : o.ramp ? { kind: 'ramp', ...o.ramp, durationSec: o.durationSec }
    : { kind: 'constant', rate: o.rate, durationSec: o.durationSec };
  return new RateSchedule(shape);
}

export async function runLoadTest(opts: LoadTestOptions, env: StackEnv, deps: LoadTestDeps = {}): Promise<LoadTestReport> {
  resolveOptions(opts);
  if (!opts.compare) return runOne(opts, env, deps);
  // The same schedule and event mix, sluice first, then the baseline.
  const seed = opts.seed ?? randomInt(0, 2 ** 31);
  const progress = opts.progress ?? (() => {});
  const report = await runOne({ ...opts, seed, compare: undefined, mode: 'sluice' }, env, deps);
  progress('naive baseline: the same schedule, one PutRecord and one INSERT per event ...');
  // The same faults: a consumer-crash kills the baseline's consumer, which has no dedup to count on.
  const naive = await runOne({ ...opts, seed, compare: undefined, mode: 'naive', poison: 0 }, env, deps);
  report.options.compare = 'naive';
  report.naive = naive;
  return report;
}

async function runOne(opts: LoadTestOptions, env: StackEnv, deps: LoadTestDeps): Promise<LoadTestReport> {
  const o = resolveOptions(opts);
  const progress = opts.progress ?? (() => {});
  const seed = opts.seed ?? randomInt(0, 2 ** 31);
  const runId = randomBytes(4).toString('hex');
  const rollups = deps.rollups ?? { rollups: DEFAULT_ROLLUPS };
  const chaos = o.chaos ?? [];
  // Every end is checked (configured, loopback, fault control) before the first event is sent.
  const needsFaults = chaos.some((c) => c.kind === 'db-outage');
  const needsCrash = chaos.some((c) => c.kind === 'consumer-crash') && !deps.crashConsumer;
  const needsProbe = o.verify || o.poison > 0 || needsFaults;
  const control = new StackControlClient(env, o.allowRemote);
  const probe = needsProbe && !deps.readRollups ? new StackProbe(env, o.allowRemote, rollups) : undefined;
  // Closed in reverse order of opening.
  const closers: Array<() => Promise<void> | void> = [() => probe?.close()];
  try {
    if (needsFaults) {
      if (!probe) throw new FaultControlError(chaos.map((c) => c.kind).join(', '), 'needs the stack\'s Data API');
      await probe.assertFaultControl('db-outage');
    }
    if (needsCrash) await control.assertCrashFault();
    const poison = o.poison > 0 ? new PoisonSender(env, o.allowRemote, `lt_${runId}`) : undefined;
    closers.push(() => poison?.close());
    if (o.mode === 'naive') {
      if (!probe) throw new FaultControlError('naive baseline', 'it needs the stack\'s Data API (do not pass --no-verify)');
      // Its consumer is a part of the stack (one INSERT per event), its CPU the stack's.
      const naive = await control.startNaiveBaseline();
      progress(`naive baseline: its consumer runs in the stack (pid ${naive.pid}), reading ${naive.stream}`);
      const sink = new NaiveSink(env, o.allowRemote);
      closers.push(() => sink.close());
      return await run(o, { seed, runId, sink, progress, reader: new NaiveReader(probe.client, probe.target), probe, poison, rollups: { rollups: [] }, crashConsumer: deps.crashConsumer ?? ((moment) => control.crashConsumer('naive', moment)) });
    }
    const sink = deps.sink ?? (o.target === 'http' ? new HttpSink(env, o.allowRemote, o.deployed) : new KinesisSink(env, o.allowRemote, o.recordFormat, o.deployed));
    const crashConsumer = deps.crashConsumer ?? ((moment: CrashMoment) => control.crashConsumer('aggregator', moment));
    return await run(o, { seed, runId, sink, progress, reader: deps.readRollups ?? probe?.reader, probe, poison, rollups, crashConsumer });
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

interface RunParts {
  seed: number;
  runId: string;
  sink: LoadSink;
  progress: (line: string) => void;
  reader: RollupReader | undefined;
  probe: StackProbe | undefined;
  poison: PoisonSender | undefined;
  rollups: RollupSet;
  crashConsumer: (moment: CrashMoment) => Promise<ConsumerCrash>;
}

async function run(o: ResolvedOptions, p: RunParts): Promise<LoadTestReport> {
  const { sink, progress, reader, probe, poison } = p;
  const schedule = scheduleOf(o);
  const generator = new EventGenerator({
    types: o.types, keys: o.keys, payloadBytes: o.payloadBytes, zipfExponent: o.zipfExponent,
    typePrefix: `lt_${p.runId}`, random: seededRandom(p.seed),
  });
  const covers = (r: RollupConfig, type: string) => r.types === '*' || r.types.includes(type);
  const groupings = p.rollups.rollups.filter((r) => r.groupBy.length > 0 && generator.typeNames.some((t) => covers(r, t)));
  const peakRate = Math.max(...Array.from({ length: Math.ceil(schedule.durationSec) + 1 }, (_, s) => schedule.rateAt(s)));
  const startedAt = new Date();
  const t0 = performance.now();
  const tally = new RunTally(t0, generator.typeNames, groupings, Math.max(1, Math.ceil(peakRate / E2E_SAMPLES_PER_SEC)));
  const endPerf = t0 + schedule.durationSec * 1000;
  const chaos: LoadTestReport['chaos'] = (o.chaos ?? []).map((c) => ({ ...c, firedAtSec: null }));
  const background: Promise<unknown>[] = [];
  const readFrom = new Date(startedAt.getTime() - ROLLUP_MARGIN_MS);
  const readTo = () => new Date(Date.now() + ROLLUP_MARGIN_MS);
  const baseline: DbCounters = probe ? await probe.counters() : {};
  let scheduled = 0;
  let poisonScheduled = 0;
  const sizes = { n: 0, total: 0, add(b: number) { this.n++; this.total += b; } };
  let nextProgress = t0 + 1000;

  const activeFault = (tSec: number) => chaos.filter((c) => c.firedAtSec !== null && tSec >= c.atSec && tSec < c.atSec + Math.max(1, c.durationSec)).map((c) => c.kind).join(',') || undefined;

  const recordPipeline = (now: number, c: DbCounters) => {
    const m = sink.metrics?.() ?? {};
    const fault = activeFault((now - t0) / 1000);
    tally.timeline.recordPipeline(now, {
      ...(reader ? { aggregated: tally.visibility.visible(), backlog: tally.visibility.backlog(), lagMs: tally.visibility.oldestPendingAgeMs(now) } : {}),
      ...(m.eventsRetried !== undefined ? { retries: m.eventsRetried, throttled: m.eventsThrottled ?? 0 } : {}),
      ...(c.dataApiCalls !== undefined && baseline.dataApiCalls !== undefined ? { dataApiCalls: c.dataApiCalls - baseline.dataApiCalls } : {}),
      ...(c.tupleWrites !== undefined && baseline.tupleWrites !== undefined ? { tupleWrites: c.tupleWrites - baseline.tupleWrites } : {}),
      ...(c.maxOpenTransactions !== undefined ? { maxOpenTransactions: c.maxOpenTransactions } : {}),
      ...(fault ? { fault } : {}),
    });
  };
  // Once a second: what the pipeline shows from outside.
  let polling = true;
  const poll = async () => {
    while (polling) {
      const began = performance.now();
      // The types' reads at once (a second's reading should describe that second, even
      // on a busy machine), then the counters, so they count those reads as the harness's own.
      if (reader) {
        await Promise.all(generator.typeNames.map((type) => reader.totals(type, readFrom, readTo()).then(
          (t) => tally.visibility.seen(type, t.count, performance.now()),
          () => {}, // database down: the backlog reading waits for it
        )));
      }
      const c = probe ? await probe.counters() : {};
      recordPipeline(performance.now(), c);
      await sleep(Math.max(50, 1000 - (performance.now() - began)));
    }
  };
  const poller = poll();

  try {
    for (let last = false; !last;) {
      const now = performance.now();
      const tSec = (now - t0) / 1000;
      // The last tick sends what the schedule still owes, so a run that keeps up sends exactly the schedule's total.
      last = now >= endPerf;
      const owed = last ? schedule.total : Math.min(schedule.total, Math.floor(schedule.cumulative(tSec)));
      const due = owed - scheduled;
      if (due > 0) {
        // Past the in-flight cap the events owed are not sent: counted as shortfall, never silently dropped.
        const n = Math.max(0, Math.min(due, o.maxInFlight - tally.inFlight));
        tally.schedule(now, due, due - n);
        if (n > 0) {
          const batch = Array.from({ length: n }, () => generator.next());
          for (let i = 0; i < n; i += EVENT_SIZE_SAMPLE) sizes.add(Buffer.byteLength(JSON.stringify(batch[i]!.event)));
          const intended = Array.from({ length: n }, (_, i) => t0 + schedule.timeOf(scheduled + i) * 1000);
          tally.track(batch, intended, sink.send(batch), now, () => performance.now());
        }
        scheduled = owed;
      }
      if (poison) {
        const poisonOwed = Math.floor(scheduled * o.poison) - poisonScheduled;
        if (poisonOwed > 0) {
          poisonScheduled += poisonOwed;
          background.push(poison.send(poisonOwed));
        }
      }
      for (const c of chaos) {
        if (c.firedAtSec !== null || tSec < c.atSec) continue;
        c.firedAtSec = tSec;
        progress(`chaos: ${c.kind}${c.kind === 'db-outage' ? ` for ${c.durationSec} s` : ''} at ${tSec.toFixed(1)} s`);
        const fire = c.kind === 'db-outage' ? probe!.databaseOutage(c.durationSec * 1000) : p.crashConsumer(c.moment ?? 'mid-batch').then((crash) => {
          c.crash = crash;
          // The fault lasts from its second until the new process serves (the timeline marks those seconds).
          c.durationSec = Math.round(((performance.now() - t0) / 1000 - c.atSec) * 10) / 10;
          progress(`chaos: ${describeCrash(crash)}`);
        });
        background.push(fire.catch((err: unknown) => { c.error = err instanceof Error ? err.message : String(err); }));
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
    await Promise.all(background);
  } finally {
    await sink.close();
  }
  const sinkMetrics = sink.metrics?.() ?? {};
  progress(tally.progressLine(performance.now()));

  const sendDurationMs = Math.max(1, tally.lastSendAt - t0);
  const lastAckAtMs = startedAt.getTime() + (tally.lastAckAt || performance.now()) - t0;
  const expected = tally.expected;
  let rollups: LoadTestReport['rollups'] = { checked: false, matched: false, lagMs: null, lost: 0, duplicated: 0, perType: [], groups: [], groupsChecked: 0, expected, observed: {} };
  // A consumer killed inside its transaction leaves it open, holding the rows it wrote,
  // until the Data API rolls it back (3 minutes on Aurora): the rollups wait that long.
  const orphanedMs = chaos.some((c) => c.kind === 'consumer-crash' && (c.moment ?? 'mid-batch') === 'mid-batch') ? DATA_API.transactionIdleTimeoutMs : 0;
  const settleTimeoutMs = o.settleTimeoutSec * 1000 + chaos.reduce((n, c) => n + c.durationSec * 1000, 0) + orphanedMs;
  let verifyTicker: ReturnType<typeof setInterval> | undefined;
  if (o.verify && reader) {
    progress(`verifying rollups of ${generator.typeNames.length} types (up to ${Math.round(settleTimeoutMs / 1000)} s) ...`);
    verifyTicker = setInterval(() => progress(tally.progressLine(performance.now())), 1000);
    rollups = await watchRollups(reader, {
      expected, expectedGroups: tally.expectedGroups, groupings,
      from: readFrom, to: new Date(lastAckAtMs + ROLLUP_MARGIN_MS),
      lastAckAtMs, timeoutMs: settleTimeoutMs,
      onRead: (type, t) => tally.visibility.seen(type, t.count, performance.now()),
    }).finally(() => clearInterval(verifyTicker));
  }
  let quarantined: number | null = null;
  if (poison && probe) {
    // The quarantine fills as the aggregator reaches the poison records: wait for all of them, as for the rollups.
    const deadline = Date.now() + settleTimeoutMs;
    for (;;) {
      quarantined = await probe.quarantined(`lt_${p.runId}`).catch(() => quarantined);
      if ((quarantined ?? 0) >= poison.sent || Date.now() >= deadline) break;
      await sleep(200);
    }
  }
  polling = false;
  await poller;
  // Table statistics reach pg_stat_user_tables within a second of each commit.
  let final: DbCounters = {};
  if (probe) {
    await sleep(STATS_FLUSH_MS);
    final = await probe.counters();
  }
  // The last reading: what the verification saw, and the database's final counters.
  recordPipeline(performance.now(), final);
  const db = dbWork(baseline, final, tally.accepted + (poison?.sent ?? 0));
  const achievedEventsPerSec = tally.accepted / (Math.max(sendDurationMs, schedule.durationSec * 1000) / 1000);
  const cost = sinkMetrics.kinesisRecords && db.dataApiCalls !== null && tally.accepted > 0
    ? estimateCost({
      eventsPerSec: achievedEventsPerSec,
      recordsPerEvent: sinkMetrics.kinesisRecords / tally.accepted,
      bytesPerEvent: (sinkMetrics.kinesisBytes ?? 0) / tally.accepted,
      dataApiCallsPerEvent: db.dataApiCalls / tally.accepted,
    })
    : null;

  const problems: string[] = [];
  if (tally.sent === 0) problems.push('nothing was sent');
  if (tally.shortfall > 0) problems.push(`shortfall: ${tally.shortfall} of ${tally.offered} events offered were never sent (the schedule could not be kept: raise --max-in-flight or lower the rate)`);
  if (tally.failed > 0) problems.push(`${tally.failed} events failed`);
  if (rollups.checked && rollups.lost > 0) problems.push(`lost: ${rollups.lost} accepted events are not in the rollups`);
  if (rollups.checked && rollups.duplicated > 0) problems.push(`duplicated: ${rollups.duplicated} events are counted more than once`);
  if (rollups.checked && !rollups.matched && rollups.lost === 0 && rollups.duplicated === 0) problems.push('the rollups differ from what was accepted (sums or groups)');
  if (poison && quarantined !== poison.sent) problems.push(`poison: ${poison.sent} malformed records sent, ${quarantined ?? 'unknown'} in the quarantine`);
  if (poison && poison.failed > 0) problems.push(`poison: ${poison.failed} malformed records were not taken by Kinesis`);
  for (const c of chaos) {
    if (c.firedAtSec === null) problems.push(`chaos ${c.kind}@${c.atSec}s never fired: the run ended first`);
    if (c.error) problems.push(`chaos ${c.kind}: ${c.error}`);
  }

  return {
    runId: p.runId, seed: p.seed, target: o.target, endpoint: sink.endpoint, options: o, startedAt: startedAt.toISOString(),
    schedule: schedule.describe(),
    offered: tally.offered, sent: tally.sent, shortfall: tally.shortfall, accepted: tally.accepted, failed: tally.failed, failures: tally.failures,
    sendDurationMs,
    achievedEventsPerSec,
    latency: { ack: tally.ack.summary(), e2e: tally.visibility.e2e.summary() },
    lost: rollups.lost, duplicated: rollups.duplicated,
    db,
    poison: { sent: poison?.sent ?? 0, quarantined },
    chaos,
    costPerMillionEventsUsd: cost?.perMillionEventsUsd ?? null,
    cost,
    timeline: tally.timeline.samples(),
    sinkMetrics,
    rollups,
    meanEventBytes: sizes.n ? sizes.total / sizes.n : 0,
    problems,
    ok: problems.length === 0 && (!o.verify || rollups.matched),
  };
}

function dbWork(before: DbCounters, after: DbCounters, events: number): DbWork {
  const per10k = (v: number | null) => (v === null || events === 0 ? null : (v / events) * 10_000);
  const calls = before.dataApiCalls !== undefined && after.dataApiCalls !== undefined ? after.dataApiCalls - before.dataApiCalls : null;
  const writes = before.tupleWrites !== undefined && after.tupleWrites !== undefined ? after.tupleWrites - before.tupleWrites : null;
  return {
    dataApiCalls: calls,
    statementsPer10kEvents: per10k(calls),
    eventsPerStatement: calls ? events / calls : null,
    tupleWrites: writes,
    tupleWritesPer10kEvents: per10k(writes),
    transactions: before.transactions !== undefined && after.transactions !== undefined ? after.transactions - before.transactions : null,
    maxConcurrentTransactions: after.maxOpenTransactions ?? 'not measured',
  };
}
