// `sluice plan`: what a deployment needs at a rate one machine cannot show, from the
// per-event figures a local run measures (bytes on the stream per event byte after
// packing, Kinesis records per event, Data API calls per batch, tuple writes per
// event) and the published service limits. Every figure that is assumed rather than
// measured is listed with the answer.
import { AGGREGATOR_MAPPING } from '../core/index.ts';
import { DEFAULT_COST_ASSUMPTIONS, SHARD_LIMITS, estimateCost, shardsFor, type CostEstimate } from './costModel.ts';
import type { LoadTestReport } from './types.ts';

/** The per-event figures a plan scales. */
export interface MeasuredFigures {
  /** Stream bytes per byte of serialized event (the producer's packing overhead). */
  streamBytesPerEventByte: number;
  /** Kinesis records per event (KPL aggregation packs many events per record). */
  recordsPerEvent: number;
  /** Data API calls per aggregator batch (a batch is one transaction). */
  callsPerBatch: number;
  /** Tuple writes per event (rollup rows, event ids, checkpoints). */
  tupleWritesPerEvent: number;
  /** Where the figures come from. */
  source: string;
}

/**
 * Figures of a local run (`sluice loadtest --rate 2000 --duration 10 --types 5 --json`
 * on 2026-11-30, after the per-record identity rows: embedded stack with PGlite, 4
 * shards, 100-byte payloads, a shared and noisy 2-core machine): used when no report
 * is given.
 */
export const REFERENCE_FIGURES: MeasuredFigures = {
  streamBytesPerEventByte: 1.476,
  recordsPerEvent: 0.01325,
  callsPerBatch: 7,
  tupleWritesPerEvent: 0.0266,
  source: 'reference local run of 2026-11-30 (loadtest/capacityPlan.ts)',
};

/** The per-event figures of a load-test report (its --json output), or why they cannot be read. */
export function figuresFromReport(r: LoadTestReport, source: string): MeasuredFigures {
  const m = r.sinkMetrics;
  if (!r.accepted || !m.kinesisRecords || !m.kinesisBytes || !r.meanEventBytes) throw new Error(`${source}: the report has no Kinesis figures (run the load test through Kinesis, not --http)`);
  if (!r.db.dataApiCalls || !r.db.transactions || r.db.tupleWrites === null) throw new Error(`${source}: the report has no database figures (run it against the local stack)`);
  return {
    streamBytesPerEventByte: m.kinesisBytes / (r.accepted * r.meanEventBytes),
    recordsPerEvent: m.kinesisRecords / r.accepted,
    callsPerBatch: r.db.dataApiCalls / r.db.transactions,
    tupleWritesPerEvent: r.db.tupleWrites / r.accepted,
    source,
  };
}

export interface PlanInput {
  eventsPerSec: number;
  eventBytes: number;
  /** Distinct event types and partition keys (they bound the rollup rows a batch touches). */
  types: number;
  keys: number;
}

export interface CapacityPlan {
  input: PlanInput;
  figures: MeasuredFigures;
  shards: number;
  /** On-demand write throughput needed instead, MB/s. */
  onDemandWriteMBps: number;
  aggregatorConcurrency: number;
  archiverConcurrency: number;
  /** Transactions open at once at most: the aggregator's concurrency, capped by MAX_DATABASE_WRITERS. */
  databaseWriters: number;
  /** Events/s the capped aggregator can apply with full batches. */
  aggregatorCapacityEventsPerSec: number;
  /** The writers that would keep up, when the cap does not. */
  writersNeeded: number;
  eventsPerBatch: number;
  batchesPerSec: number;
  dataApiCallsPerSec: number;
  tupleWritesPerSec: number;
  auroraAcu: number;
  /** Seconds an event waits in the stream (Infinity when the aggregator cannot keep up: it grows without bound). */
  expectedIteratorAgeSec: number;
  monthlyCostUsd: number;
  cost: CostEstimate;
  assumptions: string[];
}

/** Assumed, not measured locally: what one ACU sustains, and the time per Data API call. */
export const PLAN_ASSUMPTIONS = { tupleWritesPerAcuSec: 2_000, callsPerAcuSec: 500, secondsPerCall: 0.02, minAcu: 0.5 } as const;
const SECONDS_PER_MONTH = 30 * 24 * 3600;

export function capacityPlan(input: PlanInput, f: MeasuredFigures = REFERENCE_FIGURES): CapacityPlan {
  const bytesPerEvent = input.eventBytes * f.streamBytesPerEventByte;
  const shards = shardsFor({ eventsPerSec: input.eventsPerSec, bytesPerEvent, recordsPerEvent: f.recordsPerEvent });
  const concurrency = shards * AGGREGATOR_MAPPING.parallelizationFactor;
  const writers = Math.min(concurrency, AGGREGATOR_MAPPING.maxConcurrentInvocations ?? Infinity);
  const A = PLAN_ASSUMPTIONS;
  const batchSeconds = f.callsPerBatch * A.secondsPerCall;
  // A busy shard fills a batch within its window: as many events as it carries per
  // window, up to the batch size; behind the writers' cap, batches wait and are full.
  const perWindow = (input.eventsPerSec / concurrency) * AGGREGATOR_MAPPING.maximumBatchingWindowInSeconds;
  const capped = writers < concurrency;
  const eventsPerBatch = Math.max(1, Math.min(AGGREGATOR_MAPPING.batchSize, capped ? Infinity : perWindow));
  const capacity = (writers * AGGREGATOR_MAPPING.batchSize) / batchSeconds;
  const batchesPerSec = input.eventsPerSec / eventsPerBatch;
  const dataApiCallsPerSec = batchesPerSec * f.callsPerBatch;
  const tupleWritesPerSec = input.eventsPerSec * f.tupleWritesPerEvent;
  const auroraAcu = Math.max(A.minAcu, Math.ceil(2 * Math.max(tupleWritesPerSec / A.tupleWritesPerAcuSec, dataApiCallsPerSec / A.callsPerAcuSec)) / 2);
  const keepsUp = capacity >= input.eventsPerSec;
  const expectedIteratorAgeSec = keepsUp ? AGGREGATOR_MAPPING.maximumBatchingWindowInSeconds + batchSeconds : Infinity;
  const writersNeeded = Math.ceil((input.eventsPerSec * batchSeconds) / AGGREGATOR_MAPPING.batchSize);
  const cost = estimateCost(
    { eventsPerSec: input.eventsPerSec, recordsPerEvent: f.recordsPerEvent, bytesPerEvent, dataApiCallsPerEvent: dataApiCallsPerSec / input.eventsPerSec },
    { ...DEFAULT_COST_ASSUMPTIONS, auroraAcu, secondsPerInvocation: batchSeconds },
  );
  return {
    input, figures: f, shards,
    onDemandWriteMBps: (input.eventsPerSec * bytesPerEvent) / 1e6,
    aggregatorConcurrency: writers, archiverConcurrency: concurrency, databaseWriters: writers,
    aggregatorCapacityEventsPerSec: capacity, writersNeeded,
    eventsPerBatch, batchesPerSec, dataApiCallsPerSec, tupleWritesPerSec, auroraAcu, expectedIteratorAgeSec,
    monthlyCostUsd: (cost.perMillionEventsUsd * input.eventsPerSec * SECONDS_PER_MONTH) / 1e6,
    cost,
    assumptions: [
      `per-event figures from ${f.source}: ${f.streamBytesPerEventByte.toFixed(3)} stream bytes per event byte, ${f.recordsPerEvent.toFixed(4)} records per event, ${f.callsPerBatch.toFixed(1)} Data API calls per batch, ${f.tupleWritesPerEvent.toFixed(2)} tuple writes per event`,
      `shard limits: ${SHARD_LIMITS.bytesPerSec} bytes/s and ${SHARD_LIMITS.recordsPerSec} records/s written per shard`,
      `consumers: parallelization factor ${AGGREGATOR_MAPPING.parallelizationFactor}, batches of at most ${AGGREGATOR_MAPPING.batchSize} events, ${AGGREGATOR_MAPPING.maximumBatchingWindowInSeconds} s batching window, the aggregator capped at ${AGGREGATOR_MAPPING.maxConcurrentInvocations ?? 'no'} writers (MAX_DATABASE_WRITERS)`,
      `Aurora: one ACU per ${A.tupleWritesPerAcuSec} tuple writes/s or ${A.callsPerAcuSec} Data API calls/s (assumed), at least ${A.minAcu} ACU`,
      `${A.secondsPerCall * 1000} ms per Data API call (assumed), so a batch takes ${batchSeconds.toFixed(2)} s`,
      `${input.types} types and ${input.keys} keys: rollup rows per batch grow with them; the tuple writes per event above were measured with the run's own mix`,
      ...cost.assumptions,
    ],
  };
}

export function formatPlan(p: CapacityPlan): string {
  const n = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    `sluice plan for ${n(p.input.eventsPerSec)} events/s of ${p.input.eventBytes} bytes (${p.input.types} types, ${p.input.keys} keys)`,
    `  kinesis          ${p.shards} shards provisioned, or on-demand for ${n(p.onDemandWriteMBps, 1)} MB/s written`,
    `  consumers        ${p.aggregatorConcurrency} aggregator and ${p.archiverConcurrency} archiver invocations at once`,
    `  database         ${p.databaseWriters} writers, ${n(p.batchesPerSec, 1)} batches/s of ${n(p.eventsPerBatch)} events, ${n(p.dataApiCallsPerSec)} Data API calls/s, ${n(p.tupleWritesPerSec)} tuple writes/s`,
    `  aurora           ${p.auroraAcu} ACU`,
    Number.isFinite(p.expectedIteratorAgeSec)
      ? `  iterator age     about ${n(p.expectedIteratorAgeSec, 2)} s (the aggregator applies up to ${n(p.aggregatorCapacityEventsPerSec)} events/s)`
      : `  iterator age     GROWS without bound: ${p.databaseWriters} writers apply about ${n(p.aggregatorCapacityEventsPerSec)} events/s; ${p.writersNeeded} would keep up (raise MAX_DATABASE_WRITERS)`,
    `  cost             $${n(p.cost.perMillionEventsUsd, 4)} per million events, $${n(p.monthlyCostUsd)} per month`,
    `  assumptions:`,
    ...p.assumptions.map((a) => `    - ${a}`),
  ].join('\n') + '\n';
}
