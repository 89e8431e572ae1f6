// The local Kinesis server beside a migrated database behind the local Data API, for
// suites that run the real pipeline (producer, stream, event source runner, aggregator):
// the aggregator's runner as those suites start it, generated events, and the totals
// per type they end by comparing.
import { CreateStreamCommand, KinesisClient, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import type { EventInput } from '../../core/index.ts';
import { createAggregatorHandler } from '../../consumers/index.ts';
import { KinesisServer } from '../../local/index.ts';
import { EventSourceRunner } from '../../local/runner/index.ts';
import { queryRollups } from '../../query/index.ts';
import { startDataApiFixture, type DataApiFixture } from './dataApiFixture.ts';

/** The event types of generated pipeline events. */
export const PIPELINE_TYPES = ['click', 'view', 'buy'];
/** Generated events fall in the four minutes from here. */
export const PIPELINE_T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

/** count and sum per event type. */
export type TypeTotals = Record<string, { count: number; sum: number }>;

export interface AggregatorRunnerOptions {
  /** Default 100. */
  batchSize?: number;
  /** Default 1. */
  parallelizationFactor?: number;
  /** Default: no cap. */
  maxConcurrentInvocations?: number;
}

export interface PipelineFixture {
  data: DataApiFixture;
  kinesisServer: KinesisServer;
  kinesis: KinesisClient;
  /** A new stream of `shards` shards, active, named `<name>-<n>`. */
  createStream(shards: number): Promise<string>;
  /**
   * An event source runner on `streamName`, started, feeding the aggregator handler of
   * this database with short retries (log lines on stderr when DEBUG_PIPELINE is set).
   */
  startAggregatorRunner(streamName: string, opts?: AggregatorRunnerOptions): EventSourceRunner;
  /** count and sum of each type (default PIPELINE_TYPES), read back through the query side. */
  rollupTotals(types?: string[]): Promise<TypeTotals>;
  /** Between tests: empties the tables, clears injected Data API and Kinesis faults and the Data API's transaction peak. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `statementTimeoutMs` as in startDataApiFixture; `kinesisMaxAttempts` the Kinesis
 * client's SDK attempts (1 when a test exercises the producer's own retries).
 */
export async function startPipelineFixture(name: string, opts: { statementTimeoutMs?: number; kinesisMaxAttempts?: number } = {}): Promise<PipelineFixture> {
  const data = await startDataApiFixture(name, opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {});
  const kinesisServer = await KinesisServer.start({ streams: [] });
  const kinesis = new KinesisClient({
    region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, endpoint: kinesisServer.endpoint,
    ...(opts.kinesisMaxAttempts !== undefined ? { maxAttempts: opts.kinesisMaxAttempts } : {}),
  });
  let streams = 0;
  return {
    data, kinesisServer, kinesis,
    async createStream(shards) {
      const streamName = `${name}-${++streams}`;
      await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
      await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: streamName });
      return streamName;
    },
    startAggregatorRunner(streamName, runnerOpts = {}) {
      const runner = new EventSourceRunner({
        kinesis, streamName, functionName: `agg-${streamName}`,
        handler: createAggregatorHandler({ rdsData: data.client, ...data.target, retryPolicy: { baseDelayMs: 50, maxDelayMs: 500, reserveMs: 1000 } }),
        batchSize: runnerOpts.batchSize ?? 100, parallelizationFactor: runnerOpts.parallelizationFactor ?? 1,
        ...(runnerOpts.maxConcurrentInvocations !== undefined ? { maxConcurrentInvocations: runnerOpts.maxConcurrentInvocations } : {}),
        functionTimeoutMs: 20_000, pollIntervalMs: 200, retryBaseDelayMs: 50, retryMaxDelayMs: 500,
        log: (line) => { if (process.env.DEBUG_PIPELINE) console.error(line); },
      });
      runner.start();
      return runner;
    },
    async rollupTotals(types = PIPELINE_TYPES) {
      const out: TypeTotals = {};
      for (const t of types) {
        const { totals } = await queryRollups(data.client, data.target, { type: t });
        out[t] = { count: totals.count, sum: totals.sum };
      }
      return out;
    },
    async reset() {
      await data.reset();
      kinesisServer.faults.clear();
      data.server.resetTransactionPeak();
    },
    async close() {
      kinesis.destroy();
      await kinesisServer.close();
      await data.close();
    },
  };
}

/**
 * A source of events without ids, numbered across calls: types in turn, ts spread over
 * four minutes from PIPELINE_T0, values with a decimal and both signs; `dims` gives
 * the i-th event's dimensions.
 */
export function pipelineInputs(dims?: (i: number) => Record<string, string>): (n: number) => EventInput[] {
  let next = 0;
  return (n) => Array.from({ length: n }, () => {
    const i = next++;
    return {
      type: PIPELINE_TYPES[i % PIPELINE_TYPES.length]!, ts: PIPELINE_T0 + (i % 4) * 60_000 + (i % 59) * 1000,
      value: i % 5 === 0 ? 0.1 : (i % 11) - 3, ...(dims ? { dims: dims(i) } : {}),
    };
  });
}

/** Totals per type (PIPELINE_TYPES and any other the events have), summed in tenths so the expectation is exact too. */
export function totalsOf(events: { type: string; value?: number }[]): TypeTotals {
  const out: TypeTotals = {};
  for (const t of [...new Set([...PIPELINE_TYPES, ...events.map((e) => e.type)])]) {
    const mine = events.filter((e) => e.type === t);
    out[t] = { count: mine.length, sum: mine.reduce((s, e) => s + Math.round((e.value ?? 1) * 10), 0) / 10 };
  }
  return out;
}
