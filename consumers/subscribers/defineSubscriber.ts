// A subscriber as a function of events: defineSubscriber wraps it into a Kinesis
// Lambda handler that decodes the batch, quarantines poison records, applies the
// subscriber's type filter, calls the function, turns the events it could not handle
// into a partial batch response at the right record, and publishes Powertools metrics.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV, type StackEnv } from '../../core/index.ts';
import type { PoisonRecord } from '../aggregator/index.ts';
import { defineConsumerEntry } from './defineConsumerEntry.ts';
import { UnknownFailedEventError } from './errors.ts';
import { SUBSCRIBER_METRICS as M } from './metricNames.ts';
import { PoisonQuarantine } from './PoisonQuarantine.ts';
import { readSubscriberRecord } from './readBatch.ts';
import type { ConsumerEntry, StreamHandler, SubscriberContext, SubscriberEvent, SubscriberFunction } from './types.ts';

export interface SubscriberOptions {
  /**
   * Event types the function receives; the others are skipped (and counted in
   * EventsFiltered). @default the registration's `types` (SLUICE_SUBSCRIBER_TYPES), else every type
   */
  types?: readonly string[];
}

/** The event types in SLUICE_SUBSCRIBER_TYPES (a JSON list), or undefined for all. */
function typesOf(env: StackEnv): readonly string[] | undefined {
  const raw = env[ENV.subscriberTypes];
  if (!raw) return undefined;
  const parsed = JSON.parse(raw) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((t) => typeof t === 'string')) {
    throw new TypeError(`${ENV.subscriberTypes} must be a JSON list of event types, got ${raw}`);
  }
  return parsed as string[];
}

/**
 * The Lambda handler of a subscriber (export it as `handler` from the entry file
 * named in sluice.config.json). Events reach `fn` at least once, in stream order
 * per shard (per partition key with a parallelization factor above 1).
 */
export function defineSubscriber(fn: SubscriberFunction, options: SubscriberOptions = {}): ConsumerEntry {
  return defineConsumerEntry('sluice-subscriber', (host) => {
    const types = options.types ?? typesOf(host.env);
    const accepts = types ? new Set(types) : undefined;
    const quarantine = new PoisonQuarantine(host.env);
    const { logger, metrics } = host;

    const handler: StreamHandler = async (event, lambdaContext) => {
      const records = event.Records ?? [];
      if (records.length === 0) return { batchItemFailures: [] };
      const range = {
        shardId: records[0]!.eventID?.split(':')[0],
        firstSequenceNumber: records[0]!.kinesis.sequenceNumber,
        lastSequenceNumber: records[records.length - 1]!.kinesis.sequenceNumber,
        records: records.length,
      };
      const decoded = records.map(readSubscriberRecord);

      // Handled up to (not including) this record; the batch resumes from it.
      let resumeAt = records.length;
      const poison: PoisonRecord[] = decoded.flatMap((d) => d.poison);
      let quarantined = 0;
      if (poison.length > 0) {
        try {
          await quarantine.put(poison);
          quarantined = poison.length;
          logger.warn('poison records quarantined', { ...range, quarantined, reasons: [...new Set(poison.map((p) => p.reason))].slice(0, 5) });
        } catch (err) {
          // Nothing at or after the first poison record may pass before it is kept.
          resumeAt = decoded.findIndex((d) => d.poison.length > 0);
          logger.error('poison records not quarantined; the batch resumes at the first of them', { ...range, error: err as Error });
        }
      }

      const recordIndex = new Map<string, number>();
      const events: SubscriberEvent[] = [];
      let filtered = 0;
      for (let i = 0; i < resumeAt; i++) {
        recordIndex.set(records[i]!.kinesis.sequenceNumber, i);
        for (const e of decoded[i]!.events) {
          if (accepts && !accepts.has(e.event.type)) filtered++;
          else events.push(e);
        }
      }

      const context: SubscriberContext = {
        name: host.name, logger, metrics, env: host.env, lambdaContext,
        remainingTimeInMillis: () => lambdaContext.getRemainingTimeInMillis(),
      };
      const started = performance.now();
      let failed: readonly SubscriberEvent[] = [];
      // Boxed: a subscriber may throw any value, `undefined` included.
      let thrown: { error: unknown } | undefined;
      if (events.length > 0) {
        try {
          failed = (await fn(events, context)) ?? [];
        } catch (err) {
          thrown = { error: err };
        }
      }
      const durationMs = performance.now() - started;

      for (const f of failed) {
        const i = recordIndex.get(f?.sequenceNumber);
        if (i === undefined) {
          thrown ??= { error: new UnknownFailedEventError(`returned as not handled an event of record ${String(f?.sequenceNumber)}, which is not in this batch`) };
          break;
        }
        resumeAt = Math.min(resumeAt, i);
      }

      // Added and flushed without an await in between, so concurrent batches never mix.
      metrics.addMetric(M.eventsIn, MetricUnit.Count, events.length);
      metrics.addMetric(M.eventsFailed, MetricUnit.Count, thrown !== undefined ? events.length : failed.length);
      metrics.addMetric(M.eventsFiltered, MetricUnit.Count, filtered);
      metrics.addMetric(M.eventsQuarantined, MetricUnit.Count, quarantined);
      metrics.addMetric(M.duration, MetricUnit.Milliseconds, durationMs);
      metrics.publishStoredMetrics();

      if (thrown !== undefined) {
        // A function error: the mapping retries, bisects or gives up as configured.
        logger.error('subscriber failed on the batch', { ...range, error: thrown.error as Error });
        throw thrown.error;
      }
      if (resumeAt < records.length) {
        logger.warn('events not handled; the batch resumes at their first record', {
          ...range, failedEvents: failed.length, resumeAtSequenceNumber: records[resumeAt]!.kinesis.sequenceNumber,
        });
        return { batchItemFailures: [{ itemIdentifier: records[resumeAt]!.kinesis.sequenceNumber }] };
      }
      return { batchItemFailures: [] };
    };

    return { handler, close: () => quarantine.close() };
  });
}
