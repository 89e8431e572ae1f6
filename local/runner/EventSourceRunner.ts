// The local Lambda event source mapping for Kinesis: polls every shard of a stream
// through the real Kinesis API, follows reshards (a parent is drained before its
// children start), invokes a handler with Lambda's KinesisStreamEvent and Context,
// and keeps its position per shard in a checkpoint file so a restart goes on from
// where it was.
import { sleep } from '../../core/index.ts';
import { DescribeStreamSummaryCommand, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { interpretBatchResponse, type BatchResponseOutcome } from './BatchResponse.ts';
import { CheckpointFile } from './CheckpointFile.ts';
import { ConcurrencyLimit } from './ConcurrencyLimit.ts';
import { runnerClock, type RunnerClock } from './RunnerClock.ts';
import { FunctionTimeoutError, RunnerNotIdleError } from './errors.ts';
import { createLambdaContext, functionArn } from './LambdaContext.ts';
import { resolveSettings, type MappingSettings } from './MappingSettings.ts';
import { OnFailureDestination } from './OnFailureDestination.ts';
import { ShardPoller, type InvocationResult, type ShardPollerContext, type ShardStart } from './ShardPoller.ts';
import type { EventSourceRunnerOptions, RunnerStats } from './types.ts';

export class EventSourceRunner {
  readonly settings: MappingSettings;
  private readonly options: EventSourceRunnerOptions;
  private readonly checkpoints: CheckpointFile;
  private readonly destination: OnFailureDestination;
  private readonly concurrency: ConcurrencyLimit;
  private readonly pollers = new Map<string, { poller: ShardPoller; done: Promise<void> }>();
  private readonly counters: ShardPollerContext['counters'] = {
    batches: 0, records: 0, errors: 0, partialFailures: 0, retries: 0, bisections: 0, recordsToOnFailure: 0,
  };
  private invocations = 0;
  private iteratorAgeMs = 0;
  private maxIteratorAgeMs = 0;
  private ctx: ShardPollerContext | undefined;
  private readonly clock: RunnerClock;
  private started = false;
  private stopping = false;
  private initialized = false;
  /** What stopped the runner, boxed: any value can be thrown. */
  private fatal: { error: unknown } | undefined;
  private main: Promise<void> = Promise.resolve();
  private refreshChain: Promise<void> = Promise.resolve();
  private refreshPending = 0;
  private readonly log: (line: string) => void;

  /** Checks every setting against Lambda's ranges; throws RunnerConfigError naming the one out of range. */
  constructor(options: EventSourceRunnerOptions) {
    this.settings = resolveSettings(options);
    this.options = options;
    this.clock = runnerClock(options.clock);
    this.checkpoints = new CheckpointFile(options.checkpointPath, options.streamName, options.functionName);
    this.destination = new OnFailureDestination(options.onFailureDir, options.onFailure);
    this.concurrency = new ConcurrencyLimit(this.settings.maxConcurrentInvocations);
    this.log = options.log ?? ((line) => process.stderr.write(`[runner ${options.functionName}] ${line}\n`));
  }

  /** Starts polling in the background; errors surface through waitIdle() and stop(). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.main = this.initialize().catch((err) => this.fail(err));
  }

  /**
   * Stops gracefully: no new reads or batches; invocations in flight complete and
   * their checkpoints are written. Records read but not processed are read again
   * by the next runner on the same checkpoint file.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const { poller } of this.pollers.values()) poller.stop();
    await this.main;
    await this.refreshChain.catch(() => {});
    // A listing that was on the wire when stop() came may have started pollers since.
    for (const { poller } of this.pollers.values()) poller.stop();
    await Promise.all([...this.pollers.values()].map((p) => p.done));
    await this.checkpoints.save();
  }

  /**
   * Resolves once every shard has been read to its tip (by a read that began after
   * this call) with nothing buffered or in flight, and closed shards are drained.
   * Rejects if the runner failed, or after `timeoutMs` if given.
   */
  async waitIdle(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.started) throw new RunnerNotIdleError(`${this.options.functionName}: waitIdle() before start()`);
    const since = this.clock.elapsed();
    const deadline = options.timeoutMs === undefined ? Infinity : since + options.timeoutMs;
    for (;;) {
      if (this.fatal) throw this.fatal.error;
      if (this.stopping) throw new RunnerNotIdleError(`${this.options.functionName}: runner stopped`);
      if (this.isIdleSince(since)) return;
      if (this.clock.elapsed() > deadline) {
        throw new RunnerNotIdleError(`${this.options.functionName}: not idle after ${options.timeoutMs} ms: ${JSON.stringify(this.stats.shards)}`);
      }
      await sleep(20);
    }
  }

  get stats(): RunnerStats {
    const shards: RunnerStats['shards'] = {};
    for (const [id, { poller }] of this.pollers) shards[id] = poller.stats();
    return {
      invocations: this.invocations,
      ...this.counters,
      peakConcurrentInvocations: this.concurrency.peak,
      throttledInvocations: this.concurrency.throttled,
      iteratorAgeMs: this.iteratorAgeMs,
      maxIteratorAgeMs: this.maxIteratorAgeMs,
      shards,
    };
  }

  private isIdleSince(since: number): boolean {
    if (!this.initialized || this.refreshPending > 0) return false;
    for (const { poller } of this.pollers.values()) if (!poller.isIdleSince(since)) return false;
    return true;
  }

  private fail(err: unknown): void {
    this.fatal ??= { error: err };
    this.log(`stopped on error: ${(err as Error)?.stack ?? String(err)}`);
    for (const { poller } of this.pollers.values()) poller.stop();
  }

  private async initialize(): Promise<void> {
    this.checkpoints.load();
    const o = this.options;
    const s = this.settings;
    const summary = await o.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: o.streamName }));
    const streamArn = summary.StreamDescriptionSummary?.StreamARN ?? `arn:aws:kinesis:${s.region}:${s.accountId}:stream/${o.streamName}`;
    this.ctx = {
      kinesis: o.kinesis,
      streamName: o.streamName,
      settings: s,
      checkpoints: this.checkpoints,
      destination: this.destination,
      source: { region: s.region, streamArn, invokeIdentityArn: `arn:aws:iam::${s.accountId}:role/${o.functionName}-role` },
      functionArn: functionArn(s.region, s.accountId, o.functionName),
      clock: this.clock,
      log: this.log,
      invoke: (shardId, records) => this.invoke(shardId, records),
      counters: this.counters,
    };
    await this.refreshShards();
    this.initialized = true;
  }

  /** Lists the shards again and starts those whose parents are drained; calls never overlap. */
  private refreshShards(): Promise<void> {
    this.refreshPending++;
    this.refreshChain = this.refreshChain
      .then(() => this.startReadyShards())
      .finally(() => { this.refreshPending--; });
    return this.refreshChain;
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const res = await this.options.kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.options.streamName }));
      shards.push(...(res.Shards ?? []));
      token = res.NextToken;
    } while (token);
    return shards;
  }

  private async startReadyShards(): Promise<void> {
    if (this.stopping || this.fatal) return;
    const shards = await this.listShards();
    if (this.stopping || this.fatal) return;
    const listed = new Set(shards.map((x) => x.ShardId!));
    const s = this.settings;
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (this.pollers.has(id) || this.checkpoints.get(id).finished) continue;
      // A parent that aged out of the stream no longer holds records to wait for.
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p && listed.has(p));
      if (parents.some((p) => !this.checkpoints.get(p).finished)) continue;
      const seq = this.checkpoints.get(id).sequenceNumber;
      const start: ShardStart = seq
        ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq }
        : parents.length > 0 || s.startingPosition === 'TRIM_HORIZON'
          ? { type: 'TRIM_HORIZON' }
          : s.startingPosition === 'LATEST'
            ? { type: 'LATEST' }
            : { type: 'AT_TIMESTAMP', timestamp: s.startingPositionTimestamp! };
      const poller = new ShardPoller(id, start, this.ctx!, () => { void this.refreshShards().catch((err) => this.fail(err)); });
      const done = poller.run().then(() => {}, (err) => this.fail(err));
      this.pollers.set(id, { poller, done });
    }
  }

  /**
   * One invocation as Lambda makes it: a slot under the concurrency limit, a fresh
   * context, the function timeout, the response read as a batch response.
   */
  private async invoke(shardId: string, records: KinesisStreamRecord[]): Promise<InvocationResult> {
    const s = this.settings;
    await this.concurrency.acquire();
    const context = createLambdaContext({
      functionName: this.options.functionName, region: s.region, accountId: s.accountId,
      timeoutMs: s.functionTimeoutMs, memoryLimitInMB: s.memoryLimitInMB, clock: this.clock,
    });
    this.invocations++;
    let timer: NodeJS.Timeout | undefined;
    let outcome: BatchResponseOutcome;
    let functionError: string | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FunctionTimeoutError(this.options.functionName, s.functionTimeoutMs)), s.functionTimeoutMs);
      });
      const running = Promise.resolve().then(() => this.options.handler({ Records: records }, context));
      // The slot is freed when the handler settles, not at the timeout: a handler
      // still running still holds what it opened.
      running.then(() => this.concurrency.release(), () => this.concurrency.release());
      const response = await Promise.race([running, timeout]);
      outcome = s.reportBatchItemFailures ? interpretBatchResponse(response, records.map((r) => r.kinesis.sequenceNumber)) : { kind: 'success' };
      if (outcome.kind === 'failure') this.log(`${shardId}: batch response read as a full failure: ${outcome.reason}`);
    } catch (err) {
      outcome = { kind: 'failure', reason: (err as Error)?.message ?? String(err) };
      functionError = 'Unhandled';
      this.log(`${shardId}: function error: ${(err as Error)?.name ?? 'Error'}: ${outcome.reason}`);
    } finally {
      clearTimeout(timer);
    }
    const last = records[records.length - 1]!;
    this.iteratorAgeMs = Math.max(0, this.clock.now() - last.kinesis.approximateArrivalTimestamp * 1000);
    this.maxIteratorAgeMs = Math.max(this.maxIteratorAgeMs, this.iteratorAgeMs);
    return { outcome, requestId: context.awsRequestId, functionError };
  }
}
