// Cost per million events from what a run counted (Kinesis records and bytes, Data
// API calls) and the price table, with the assumptions it could not measure printed
// beside it. The same arithmetic serves `sluice plan`.
import { AGGREGATOR_MAPPING } from '../core/index.ts';
import { PRICES, type PriceTable } from './prices.ts';

/** Kinesis limits per shard (aws-semantics.md): writes of 1 MiB/s and 1000 records/s. */
export const SHARD_LIMITS = { bytesPerSec: 1024 * 1024, recordsPerSec: 1000 } as const;
/** PUT payload unit size. */
const PUT_UNIT_BYTES = 25 * 1024;

export interface RunCounts {
  /** Events per second the deployment must carry. */
  eventsPerSec: number;
  /** Kinesis records and bytes per event (after the producer's packing). */
  recordsPerEvent: number;
  bytesPerEvent: number;
  /** Data API calls per event (all consumers' statements and transaction calls). */
  dataApiCallsPerEvent: number;
}

export interface CostAssumptions {
  /** Lambda memory of each consumer, MB. */
  lambdaMemoryMb: number;
  /** Handler time per invocation, seconds. */
  secondsPerInvocation: number;
  /** Aurora Serverless v2 capacity held, ACUs. */
  auroraAcu: number;
  /** Consumers reading the stream (aggregator, archiver). */
  consumers: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = { lambdaMemoryMb: 512, secondsPerInvocation: 0.2, auroraAcu: 0.5, consumers: 2 };

export interface CostEstimate {
  perMillionEventsUsd: number;
  /** Each service's part of the figure above. */
  items: Record<string, number>;
  shards: number;
  prices: { region: string; asOf: string };
  assumptions: string[];
}

export function shardsFor(c: Pick<RunCounts, 'eventsPerSec' | 'recordsPerEvent' | 'bytesPerEvent'>): number {
  return Math.max(1, Math.ceil((c.eventsPerSec * c.bytesPerEvent) / SHARD_LIMITS.bytesPerSec), Math.ceil((c.eventsPerSec * c.recordsPerEvent) / SHARD_LIMITS.recordsPerSec));
}

export function estimateCost(c: RunCounts, a: CostAssumptions = DEFAULT_COST_ASSUMPTIONS, p: PriceTable = PRICES): CostEstimate {
  const million = 1_000_000;
  const secondsPerMillion = million / Math.max(1e-9, c.eventsPerSec);
  const shards = shardsFor(c);
  const putUnits = million * c.recordsPerEvent * Math.max(1, Math.ceil(c.bytesPerEvent / Math.max(1e-9, c.recordsPerEvent) / PUT_UNIT_BYTES));
  // Each shard's consumers are invoked at most once per batching window (1 s) when busy.
  const invocations = Math.min(million, (a.consumers * shards * secondsPerMillion) / Math.max(1, AGGREGATOR_MAPPING.maximumBatchingWindowInSeconds));
  const items: Record<string, number> = {
    kinesisShardHours: ((shards * secondsPerMillion) / 3600) * p.kinesis.shardHour,
    kinesisPutUnits: (putUnits / million) * p.kinesis.putPayloadUnitsPerMillion,
    lambdaRequests: (invocations / million) * p.lambda.requestsPerMillion,
    lambdaGbSeconds: invocations * a.secondsPerInvocation * (a.lambdaMemoryMb / 1024) * p.lambda.gbSecond,
    dataApiRequests: c.dataApiCallsPerEvent * p.dataApi.requestsPerMillion,
    auroraAcu: ((a.auroraAcu * secondsPerMillion) / 3600) * p.aurora.acuHour,
    firehoseIngest: ((million * c.bytesPerEvent) / 1e9) * p.firehose.ingestPerGb,
  };
  const total = Object.values(items).reduce((x, y) => x + y, 0);
  return {
    perMillionEventsUsd: total, items, shards, prices: { region: p.region, asOf: p.asOf },
    assumptions: [
      `prices: ${p.region} list prices as of ${p.asOf} (loadtest/prices.ts), provisioned Kinesis`,
      `${shards} shard(s) at ${Math.round(c.eventsPerSec)} events/s (1 MiB/s and 1000 records/s each)`,
      `${a.consumers} consumers invoked once per shard per batching window, ${a.secondsPerInvocation} s each at ${a.lambdaMemoryMb} MB (not measured locally)`,
      `Aurora Serverless v2 held at ${a.auroraAcu} ACU (not measured locally)`,
      `Firehose billed on the raw event bytes`,
    ],
  };
}
