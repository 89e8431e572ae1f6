// The aggregator's Lambda handler: decode the batch (pure), apply it in one
// idempotent transaction, retry infrastructure failures while the invocation has
// time, and otherwise report the batch failed so Lambda re-delivers it. Poison
// records never fail a batch: they go to the quarantine.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { sleep } from '../../core/index.ts';
import { DataApiSession } from '../../schema/index.ts';
import type { DataApiTarget } from '../../schema/index.ts';
import { DEFAULT_CONFIG } from '../config/index.ts';
import type { SluiceConfig } from '../config/index.ts';
import { applyBatch } from './applyBatch.ts';
import type { BatchOutcome } from './applyBatch.ts';
import { classifyDataApiError } from './dataApiErrors.ts';
import { decodeBatch } from './decodeBatch.ts';
import { RollupAccumulator } from '../../rollup/index.ts';
import { BatchNotAppliedError } from './errors.ts';
import { retryDelayMs, canRetry, DEFAULT_RETRY_POLICY } from './retryPolicy.ts';
import type { RetryPolicy } from './retryPolicy.ts';
import { DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS, pruneStatements } from './batchStatements.ts';
import { AGGREGATOR_METRICS as M } from './metricNames.ts';

export interface AggregatorDeps extends DataApiTarget {
  rdsData: RDSDataClient;
  /** Rollups and horizons. Default: DEFAULT_CONFIG (every type per minute). */
  config?: SluiceConfig;
  /** Powertools logger. Default: none (silent). */
  logger?: Logger;
  /** Powertools metrics, published (EMF) once per batch. Default: none. */
  metrics?: Metrics;
  /** Backoff settings. Default: DEFAULT_RETRY_POLICY. */
  retryPolicy?: RetryPolicy;
  /** Time budget when the context has no getRemainingTimeInMillis. Default 60 s. */
  defaultBudgetMs?: number;
  /**
   * How often, at most, a handler runs the periodic prune (ids of shards that stopped
   * advancing, v1 ids, stale checkpoints; a batch prunes its own shards' ids itself).
   * Default 60 s; 0 never.
   */
  pruneIntervalMs?: number;
  /**
   * How long PostgreSQL lets a batch transaction sit idle before it ends it, so one
   * this process abandoned (crash, timeout, OOM) stops holding row locks. Default
   * DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS (30 s; batchStatements.ts says why).
   */
  idleInTransactionTimeoutMs?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
  /**
   * Told after every batch what it read and cost (the local stack's health figures,
   * which have no CloudWatch to read the metrics from). Default: none.
   */
  onBatch?: (report: AggregatorBatchReport) => void;
}

/** What one batch read and cost, as the metrics report it. */
export interface AggregatorBatchReport {
  /** Events and poison records decoded from the batch. */
  eventsIn: number;
  /** Data API calls made, retries included. */
  dataApiCalls: number;
  /** Age of the batch's last record when it was done (ms). */
  lagMs: number;
  failed: boolean;
}

export type AggregatorHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;


export function createAggregatorHandler(deps: AggregatorDeps): AggregatorHandler {
  const config = deps.config ?? DEFAULT_CONFIG;
  const dimensionsRead = RollupAccumulator.dimensionsRead(config);
  const policy = deps.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const now = deps.now ?? Date.now;
  const pruneIntervalMs = deps.pruneIntervalMs ?? 60_000;
  const idleInTransactionTimeoutMs = deps.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS;
  const target: DataApiTarget = { resourceArn: deps.resourceArn, secretArn: deps.secretArn, database: deps.database };
  let lastPrune = now();
  let pruning = false;

  async function prune(): Promise<void> {
    if (pruning || pruneIntervalMs <= 0 || now() - lastPrune < pruneIntervalMs) return;
    pruning = true;
    lastPrune = now();
    try {
      const session = new DataApiSession(deps.rdsData, target);
      for (const st of pruneStatements(config.checkpointRetentionSeconds)) {
        await session.execute(st.sql, { parameters: st.parameters });
      }
    } catch (err) {
      // Pruning is housekeeping; the next interval tries again.
      deps.logger?.warn('periodic prune failed', { error: err as Error });
    } finally {
      pruning = false;
    }
  }

  return async function aggregatorHandler(event, context) {
    const started = now();
    const deadline = started + (typeof context?.getRemainingTimeInMillis === 'function'
      ? context.getRemainingTimeInMillis()
      : deps.defaultBudgetMs ?? 60_000);
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    const first = records[0]!;
    const last = records[records.length - 1]!;
    const logKeys = {
      shardId: first.eventID?.split(':')[0],
      firstSequenceNumber: first.kinesis.sequenceNumber,
      lastSequenceNumber: last.kinesis.sequenceNumber,
      records: records.length,
    };

    const decoded = decodeBatch(event, dimensionsRead);
    const eventsIn = decoded.reduce((n, r) => n + r.events.length + r.poison.length, 0);
    const latencies: number[] = [];
    const session = new DataApiSession(deps.rdsData, target, ({ latencyMs }) => latencies.push(latencyMs));

    let outcome: BatchOutcome | undefined;
    let failure: BatchNotAppliedError | undefined;
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = now();
      try {
        outcome = await applyBatch(session, decoded, config, { releaseDeadline: deadline - policy.reserveMs, idleInTransactionTimeoutMs });
        break;
      } catch (err) {
        const kind = classifyDataApiError(err);
        const delay = retryDelayMs(policy, attempt);
        const retry = kind !== 'permanent' && canRetry(policy, deadline - now(), delay, now() - attemptStarted);
        deps.logger?.warn('batch transaction failed', { ...logKeys, attempt, kind, retry, error: err as Error });
        if (!retry) {
          failure = new BatchNotAppliedError(kind, attempt, err);
          break;
        }
        await sleep(delay);
      }
    }

    const arrival = last.kinesis.approximateArrivalTimestamp;
    const lagMs = Number.isFinite(arrival) ? Math.max(0, now() - Math.round(arrival * 1000)) : 0;
    publishMetrics(deps.metrics, { eventsIn, outcome, latencies, lagMs, failed: failure !== undefined });
    deps.onBatch?.({ eventsIn, dataApiCalls: latencies.length, lagMs, failed: failure !== undefined });

    if (failure) {
      deps.logger?.error('batch not applied; reporting it failed so the stream keeps it', { ...logKeys, error: failure });
      // The batch is one transaction, so either all of it applied or none: report the first record.
      return { batchItemFailures: [{ itemIdentifier: first.kinesis.sequenceNumber }] };
    }
    deps.logger?.info('batch applied', { ...logKeys, ...outcome, lagMs });
    if (outcome && outcome.eventsQuarantined > 0) {
      deps.logger?.warn('poison records quarantined', { ...logKeys, quarantined: outcome.eventsQuarantined });
    }
    // Awaited: Lambda freezes the container once the handler returns, so work left
    // running would stall until the next invocation (prune runs once a minute at most).
    await prune();
    return { batchItemFailures: [] };
  };
}

function publishMetrics(
  metrics: Metrics | undefined,
  m: { eventsIn: number; outcome: BatchOutcome | undefined; latencies: number[]; lagMs: number; failed: boolean },
): void {
  if (!metrics) return;
  // Added and flushed without an await in between, so concurrent batches never mix.
  metrics.addMetric(M.eventsIn, MetricUnit.Count, m.eventsIn);
  metrics.addMetric(M.dataApiCalls, MetricUnit.Count, m.latencies.length);
  for (const l of m.latencies) metrics.addMetric(M.dataApiLatency, MetricUnit.Milliseconds, l);
  metrics.addMetric(M.batchLag, MetricUnit.Milliseconds, m.lagMs);
  metrics.addMetric(M.batchesFailed, MetricUnit.Count, m.failed ? 1 : 0);
  if (m.outcome) {
    metrics.addMetric(M.eventsApplied, MetricUnit.Count, m.outcome.eventsApplied);
    metrics.addMetric(M.eventsDuplicate, MetricUnit.Count, m.outcome.eventsDuplicate);
    metrics.addMetric(M.eventsQuarantined, MetricUnit.Count, m.outcome.eventsQuarantined);
    metrics.addMetric(M.recordsAlreadyApplied, MetricUnit.Count, m.outcome.recordsSkipped);
    metrics.addMetric(M.recordsDuplicate, MetricUnit.Count, m.outcome.recordsDuplicate);
    metrics.addMetric(M.rollupRowsWritten, MetricUnit.Count, m.outcome.rollupRows);
    metrics.addMetric(M.eventsPerStatement, MetricUnit.Count, m.outcome.calls > 0 ? m.eventsIn / m.outcome.calls : 0);
  }
  metrics.publishStoredMetrics();
}
