// Rebuilds rollups from the archive: reads the objects that can hold the range's
// events, keeps the first copy of each event id, and for each chosen rollup replaces
// the rows of its whole, settled buckets in one Data API transaction, computed by
// rollup/'s RollupAccumulator and written by the aggregator's own upsert statements
// (rollup/'s upsert, chunked to the Data API's limits). Events
// the aggregator has not applied yet (past its checkpoints, read under a share lock
// in that transaction) are left to it, so live traffic is counted once.
import { backoffDelayMs, compareSequenceNumbers, sleep } from '../core/index.ts';
import { classifyDataApiError, upsertRollupStatements } from '../consumers/index.ts';
import type { SluiceConfig, Statement } from '../consumers/index.ts';
import { RollupAccumulator, type RollupDelta } from '../rollup/index.ts';
import { fieldNumber, fieldText, type DataApiSession } from '../schema/index.ts';
import { readArchiveObject } from './ArchiveObjectReader.ts';
import { archiveKeys, arrivalWindow } from './ArchiveRange.ts';
import type { ArchiveSource } from './ArchiveSource.ts';
import { ReplayError } from './errors.ts';
import { bucketCount, planRebuild, type RollupRebuildPlan } from './RebuildPlan.ts';
import { deleteRollupRangeStatement, lockCheckpointsForRebuildStatement, readCheckpointsStatement } from './rebuildStatements.ts';
import type { ArchivedEvent, ArchiveProblem } from './types.ts';

/** Default settle time: a bucket is rebuilt only once it ended this long ago. */
export const DEFAULT_SETTLE_SECONDS = 300;
/** Objects fetched ahead of the one being read. */
const READ_AHEAD = 8;
/** Attempts of one rollup's transaction on transient Data API failures. */
const MAX_ATTEMPTS = 5;

export interface ReplayOptions {
  /** Range start, epoch ms (inclusive). */
  fromMs: number;
  /** Range end, epoch ms (exclusive). */
  toMs: number;
  config: SluiceConfig;
  /** Rollups to rebuild by name. Default: all of `config`. */
  rollups?: string[];
  /** Only this event type's events and rows. */
  eventType?: string;
  /** Read and compute, write nothing. */
  dryRun?: boolean;
  /** Default DEFAULT_SETTLE_SECONDS. */
  settleSeconds?: number;
  /** Read objects up to this long after the range's end (arrival). Default: to the newest object. */
  maxLatenessSeconds?: number;
  /** Default Date.now(). */
  now?: number;
  onProgress?: (p: ReplayProgress) => void;
  /** Called for each problem as it is found (the summary keeps them all too). */
  onProblem?: (p: ArchiveProblem) => void;
}

export interface ReplayProgress {
  objectsRead: number;
  objectsTotal: number;
  eventsRead: number;
  elapsedMs: number;
}

export interface RollupRebuildSummary {
  rollup: string;
  windows: { windowS: number; from: string; to: string; buckets: number }[];
  windowsWithoutBuckets: number[];
  /** Events of the range this rollup counted. */
  events: number;
  /** Rows deleted (the range's rows before the rebuild); 0 on a dry run. */
  rowsDeleted: number;
  /** Rows written (or that would be, on a dry run). */
  rowsWritten: number;
  attempts: number;
}

export interface ReplaySummary {
  source: string;
  dryRun: boolean;
  objectsRead: number;
  linesRead: number;
  /** Valid events read, duplicates included. */
  eventsRead: number;
  duplicatesDropped: number;
  /** Events outside [from, to) or of another type. */
  eventsOutsideRange: number;
  /** Events not applied by the aggregator yet: left to it. */
  eventsLeftToLive: number;
  archiveErrorLines: number;
  problems: ArchiveProblem[];
  rollups: RollupRebuildSummary[];
  bucketsRebuilt: number;
  rowsWritten: number;
  settledBefore: string;
  elapsedMs: number;
}

/** Each (shard, partition key)'s applied sequence number; the highest when several streams share a shard id. */
type Checkpoints = Map<string, string>;
const checkpointKey = (shardId: string, partitionKey: string) => `${shardId}\u0000${partitionKey}`;

export async function replayArchive(source: ArchiveSource, session: DataApiSession, options: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  const now = options.now ?? started;
  const { fromMs, toMs, config } = options;
  if (!(fromMs < toMs)) throw new ReplayError('--from must be before --to');
  const chosen = options.rollups?.length ? options.rollups.map((name) => {
    const r = config.rollups.find((x) => x.name === name);
    if (!r) throw new ReplayError(`no rollup named "${name}" in the configuration (known: ${config.rollups.map((x) => x.name).join(', ')})`);
    return r;
  }) : config.rollups;
  const settledBeforeMs = now - (options.settleSeconds ?? DEFAULT_SETTLE_SECONDS) * 1000;
  const plans = planRebuild(chosen, fromMs, toMs, settledBeforeMs);

  const summary: ReplaySummary = {
    source: source.location, dryRun: options.dryRun ?? false, objectsRead: 0, linesRead: 0, eventsRead: 0, duplicatesDropped: 0,
    eventsOutsideRange: 0, eventsLeftToLive: 0, archiveErrorLines: 0, problems: [], rollups: [], bucketsRebuilt: 0, rowsWritten: 0,
    settledBefore: new Date(settledBeforeMs).toISOString(), elapsedMs: 0,
  };
  const problem = (p: ArchiveProblem) => {
    summary.problems.push(p);
    options.onProblem?.(p);
  };

  // Read: every object that can hold the range's events, first copy of each id kept.
  const keys = await archiveKeys(source, arrivalWindow(fromMs, toMs, options.maxLatenessSeconds));
  const seen = new Set<string>();
  const events: ArchivedEvent[] = [];
  // Objects are fetched a few ahead (S3 latency) but read in key order, so which copy
  // of a duplicate is kept does not depend on timing.
  const fetches: (Promise<Buffer> | undefined)[] = [];
  const fetch = (i: number) => {
    if (i < keys.length && fetches[i] === undefined) {
      fetches[i] = source.read(keys[i]!);
      fetches[i]!.catch(() => {});
    }
  };
  for (let i = 0; i < keys.length; i++) {
    for (let j = i; j < i + READ_AHEAD; j++) fetch(j);
    const key = keys[i]!;
    let body: Buffer;
    try {
      body = await fetches[i]!;
    } catch (err) {
      problem({ key, reason: `could not read the object (${(err as Error).message}): skipped` });
      continue;
    } finally {
      fetches[i] = undefined;
    }
    const content = readArchiveObject(key, body);
    summary.objectsRead++;
    summary.linesRead += content.lines;
    summary.archiveErrorLines += content.archiveErrorLines;
    for (const p of content.problems) problem(p);
    for (const e of content.events) {
      summary.eventsRead++;
      if (e.event.ts < fromMs || e.event.ts >= toMs || (options.eventType !== undefined && e.event.type !== options.eventType)) {
        summary.eventsOutsideRange++;
        continue;
      }
      if (seen.has(e.event.id)) {
        summary.duplicatesDropped++;
        continue;
      }
      seen.add(e.event.id);
      // The rollups never read the payload: do not keep it for the whole replay.
      const { payload: _payload, ...event } = e.event;
      events.push({ ...e, event });
    }
    options.onProgress?.({ objectsRead: summary.objectsRead, objectsTotal: keys.length, eventsRead: summary.eventsRead, elapsedMs: Date.now() - started });
  }

  // Rebuild: one transaction per rollup, replacing the rows of its planned buckets.
  const leftToLive = new Set<string>();
  for (const plan of plans) {
    const result = await rebuildRollup(session, plan, events, options, leftToLive);
    summary.rollups.push(result);
    summary.rowsWritten += result.rowsWritten;
    summary.bucketsRebuilt += result.windows.reduce((n, w) => n + w.buckets, 0);
  }
  summary.eventsLeftToLive = leftToLive.size;
  summary.elapsedMs = Date.now() - started;
  return summary;
}

async function rebuildRollup(
  session: DataApiSession, plan: RollupRebuildPlan, events: ArchivedEvent[], options: ReplayOptions, leftToLive: Set<string>,
): Promise<RollupRebuildSummary> {
  const out: RollupRebuildSummary = {
    rollup: plan.rollup.name,
    windows: plan.ranges.map((r) => ({
      windowS: r.windowS, from: new Date(r.startS * 1000).toISOString(), to: new Date(r.endS * 1000).toISOString(), buckets: bucketCount(r),
    })),
    windowsWithoutBuckets: plan.windowsWithoutBuckets, events: 0, rowsDeleted: 0, rowsWritten: 0, attempts: 0,
  };
  if (plan.ranges.length === 0) return out;

  /** The rollup's rows for the planned buckets, from the events the aggregator has applied. */
  const types = plan.rollup.types === '*' ? null : new Set(plan.rollup.types);
  const prunedBeforeMs = (options.now ?? Date.now()) - options.config.checkpointRetentionSeconds * 1000;
  const compute = (checkpoints: Checkpoints): { deltas: RollupDelta[]; counted: number; pending: string[] } => {
    const acc = new RollupAccumulator({ ...options.config, rollups: [plan.rollup] });
    const pending: string[] = [];
    let counted = 0;
    for (const e of events) {
      const env = e.envelope;
      if (env) {
        const applied = checkpoints.get(checkpointKey(env.shardId, env.partitionKey));
        // No checkpoint: a key the aggregator has not reached yet (left to it), or one
        // idle past the checkpoint retention and pruned (all of it applied long ago).
        const notYet = applied === undefined
          ? Date.parse(env.arrival) >= prunedBeforeMs
          : compareSequenceNumbers(env.sequenceNumber, applied) > 0;
        if (notYet) {
          pending.push(e.event.id);
          continue;
        }
      }
      acc.add(e.event);
      if (types === null || types.has(e.event.type)) counted++;
    }
    const deltas = acc.deltas().filter((d) => plan.ranges.some((r) => r.windowS === d.windowS && d.bucketS >= r.startS && d.bucketS < r.endS));
    return { deltas, counted, pending };
  };

  if (options.dryRun) {
    out.attempts = 1;
    const { deltas, counted, pending } = compute(checkpointsOf(await session.execute(readCheckpointsStatement().sql)));
    for (const id of pending) leftToLive.add(id);
    out.events = counted;
    out.rowsWritten = deltas.length;
    return out;
  }

  for (let attempt = 1; ; attempt++) {
    out.attempts = attempt;
    try {
      const result = await session.transaction(async (tx) => {
        const exec = (st: Statement) => session.execute(st.sql, { parameters: st.parameters, transactionId: tx });
        const lock = lockCheckpointsForRebuildStatement();
        const { deltas, counted, pending } = compute(checkpointsOf(await exec(lock)));
        let deleted = 0;
        for (const range of plan.ranges) {
          const rows = await exec(deleteRollupRangeStatement(plan.rollup.name, range, options.eventType));
          deleted += fieldNumber(rows[0]?.[0]) ?? 0;
        }
        for (const st of upsertRollupStatements(deltas)) await exec(st);
        return { deleted, written: deltas.length, counted, pending };
      });
      for (const id of result.pending) leftToLive.add(id);
      out.rowsDeleted = result.deleted;
      out.rowsWritten = result.written;
      out.events = result.counted;
      return out;
    } catch (err) {
      // The transaction replaces rows whatever they held, so running it again is safe.
      if (attempt >= MAX_ATTEMPTS || classifyDataApiError(err) === 'permanent') throw err;
      await sleep(backoffDelayMs({ baseMs: 200, maxMs: 5_000, jitter: 'full' }, attempt));
    }
  }
}

function checkpointsOf(rows: Awaited<ReturnType<DataApiSession['execute']>>): Checkpoints {
  const out: Checkpoints = new Map();
  for (const row of rows) {
    const shard = fieldText(row[0]);
    const key = fieldText(row[1]);
    const seq = fieldText(row[2]);
    if (shard === null || key === null || seq === null) continue;
    const k = checkpointKey(shard, key);
    const prev = out.get(k);
    if (prev === undefined || compareSequenceNumbers(seq, prev) > 0) out.set(k, seq);
  }
  return out;
}
