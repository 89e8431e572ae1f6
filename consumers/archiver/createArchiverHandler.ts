// The archiver Lambda handler: every user record of a Kinesis batch becomes one JSON
// line in Firehose records, so the archive holds the raw events. When Firehose keeps
// refusing, the handler reports the lowest affected Kinesis record as failed, so
// Lambda re-delivers from there and nothing is lost (at-least-once, as Firehose is).
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { archiveLinesOf } from './ArchiveLines.ts';
import { DEFAULT_RETRY_POLICY, FirehoseDelivery } from './FirehoseDelivery.ts';
import { packLines } from './RecordPacker.ts';
import type { ArchiveLine, ArchiverDeps, PackedRecord } from './types.ts';

export type ArchiverHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

export function createArchiverHandler(deps: ArchiverDeps): ArchiverHandler {
  const logger = deps.logger ?? new Logger({ serviceName: 'sluice-archiver' });
  const metrics = deps.metrics ?? new Metrics({ namespace: 'sluice', serviceName: 'archiver' });
  const delivery = new FirehoseDelivery(deps.firehose, { ...DEFAULT_RETRY_POLICY, ...deps.retry });

  return async (event, context) => {
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    const first = records[0]!;
    const last = records[records.length - 1]!;
    const shardId = first.eventID.slice(0, first.eventID.indexOf(':'));
    const range = { shardId, firstSequenceNumber: first.kinesis.sequenceNumber, lastSequenceNumber: last.kinesis.sequenceNumber, records: records.length };

    const events: ArchiveLine[] = [];
    const errors: ArchiveLine[] = [];
    for (let i = 0; i < records.length; i++) {
      const lines = archiveLinesOf(records[i]!, i);
      events.push(...lines.events);
      errors.push(...lines.errors);
    }
    if (errors.length) logger.error('records not archivable as event lines, archived as error lines', { ...range, errorLines: errors.length });

    // Error lines go to their own stream when there is one, else in order with the events.
    const sends: { stream: string; packed: PackedRecord[] }[] = [];
    if (deps.errorDeliveryStreamName && errors.length) {
      sends.push({ stream: deps.deliveryStreamName, packed: packLines(events) });
      sends.push({ stream: deps.errorDeliveryStreamName, packed: packLines(errors) });
    } else {
      const all = errors.length ? [...events, ...errors].sort((a, b) => a.recordIndex - b.recordIndex) : events;
      sends.push({ stream: deps.deliveryStreamName, packed: packLines(all) });
    }

    const remaining = () => context.getRemainingTimeInMillis();
    let lowestFailed = Infinity;
    let calls = 0;
    let retried = 0;
    for (const s of sends) {
      const out = await delivery.deliver(s.stream, s.packed, remaining);
      calls += out.calls;
      retried += out.retriedEntries;
      for (const f of out.failed) lowestFailed = Math.min(lowestFailed, f.firstRecordIndex);
      if (out.failed.length) {
        logger.error('Firehose delivery failed after retries; reporting the batch from the lowest affected record', {
          ...range, deliveryStreamName: s.stream, failedFirehoseRecords: out.failed.length, lastErrorCode: out.lastErrorCode,
          error: out.lastError instanceof Error ? out.lastError.message : undefined,
        });
      }
    }

    const arrival = last.kinesis.approximateArrivalTimestamp * 1000;
    metrics.addMetric('RecordsIn', MetricUnit.Count, records.length);
    metrics.addMetric('EventsArchived', MetricUnit.Count, events.length);
    metrics.addMetric('ErrorLinesArchived', MetricUnit.Count, errors.length);
    metrics.addMetric('FirehoseCalls', MetricUnit.Count, calls);
    metrics.addMetric('FirehoseRetriedEntries', MetricUnit.Count, retried);
    metrics.addMetric('BatchFailures', MetricUnit.Count, lowestFailed === Infinity ? 0 : 1);
    metrics.addMetric('BatchAgeMs', MetricUnit.Milliseconds, Math.max(0, Date.now() - arrival));
    metrics.publishStoredMetrics();

    if (lowestFailed === Infinity) {
      logger.debug('batch archived', { ...range, events: events.length, firehoseCalls: calls });
      return { batchItemFailures: [] };
    }
    return { batchItemFailures: [{ itemIdentifier: records[lowestFailed]!.kinesis.sequenceNumber }] };
  };
}
