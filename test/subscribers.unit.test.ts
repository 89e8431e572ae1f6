// defineSubscriber without a stack: what the function receives from each record
// format, the partial batch response at the right record, a throw left to the event
// source mapping, and the Powertools metrics of each batch.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamEvent } from 'aws-lambda';
import { ENV, encodeAggregatedRecord, encodeCompressedRecord } from '../core/index.ts';
import { SUBSCRIBER_METRICS, defineSubscriber, type SubscriberEvent, type SubscriberFunction } from '../consumers/index.ts';

/** An event as any producer writes it: its JSON. */
const json = (e: object) => Buffer.from(JSON.stringify(e));

const ts = Date.UTC(2026, 10, 30, 8, 0, 0);
const ev = (id: string, type = 'order') => ({ id, type, ts, value: 1 });
const aggregate = (ids: string[], compressed = false) => (compressed ? encodeCompressedRecord : encodeAggregatedRecord)({
  partitionKeyTable: ['k'], explicitHashKeyTable: [], records: ids.map((id) => ({ partitionKeyIndex: 0, data: json(ev(id)) })),
});
function batch(records: Buffer[]): KinesisStreamEvent {
  return {
    Records: records.map((data, i) => ({
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000001:${700 + i}`, eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/x', awsRegion: 'us-east-1', eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'k', sequenceNumber: String(700 + i), data: data.toString('base64'), approximateArrivalTimestamp: ts / 1000 },
    })),
  };
}
const lambdaContext = { getRemainingTimeInMillis: () => 10_000 } as never;

function instance(fn: SubscriberFunction, env: Record<string, string> = {}) {
  return defineSubscriber(fn).instantiate({
    name: 'unit', env, logger: new Logger({ serviceName: 'sluice-unit', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'sluice', serviceName: 'sluice-unit' }),
  });
}

describe('defineSubscriber', () => {
  let emitted: string[];
  beforeEach(() => {
    emitted = [];
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes('"_aws"')) { emitted.push(text); return true; }
      return write(chunk, ...(rest as []));
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  });

  it('hands over the events of plain, KPL and compressed records in order, each with its position', async () => {
    const seen: SubscriberEvent[] = [];
    const { handler } = instance(async (events) => { seen.push(...events); });

    const out = await handler(batch([json(ev('a')), aggregate(['b', 'c']), aggregate(['d', 'e'], true)]), lambdaContext);

    expect(out).toEqual({ batchItemFailures: [] });
    expect(seen.map((e) => [e.event.id, e.sequenceNumber, e.subSequenceNumber, e.shardId])).toEqual([
      ['a', '700', 0, 'shardId-000000000001'], ['b', '701', 0, 'shardId-000000000001'], ['c', '701', 1, 'shardId-000000000001'],
      ['d', '702', 0, 'shardId-000000000001'], ['e', '702', 1, 'shardId-000000000001'],
    ]);
    expect(seen[0]!.arrivalMs).toBe(ts);
  });

  it('resumes at the record of the earliest event returned, whatever order they come back in', async () => {
    const { handler } = instance(async (events) => [events[4]!, events[2]!]);

    const out = await handler(batch([json(ev('a')), aggregate(['b', 'c']), aggregate(['d', 'e'])]), lambdaContext);

    // c is the second event of record 701: the batch resumes at 701.
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '701' }] });
  });

  it('passes only the types of SLUICE_SUBSCRIBER_TYPES and does not call the function for none', async () => {
    const calls: string[][] = [];
    const { handler } = instance(async (events) => { calls.push(events.map((e) => e.event.id)); }, { [ENV.subscriberTypes]: '["order"]' });

    await handler(batch([json(ev('o1')), json(ev('v1', 'view')), json(ev('o2'))]), lambdaContext);
    await handler(batch([json(ev('v2', 'view'))]), lambdaContext);

    expect(calls).toEqual([['o1', 'o2']]);
  });

  it('never passes a poison record it could not quarantine: the batch resumes at it', async () => {
    const seen: string[] = [];
    const { handler } = instance(async (events) => { seen.push(...events.map((e) => e.event.id)); });

    // No database coordinates in env: no quarantine to keep the record in.
    const out = await handler(batch([json(ev('a')), Buffer.from('not json'), json(ev('b'))]), lambdaContext);

    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '701' }] });
    expect(seen).toEqual(['a']);
  });

  it('lets a throw fail the invocation, so the mapping retries or bisects', async () => {
    const { handler } = instance(async () => { throw new Error('downstream down'); });

    await expect(handler(batch([json(ev('a'))]), lambdaContext)).rejects.toThrow('downstream down');
  });

  it('fails the whole batch when it returns an event that was not in it', async () => {
    const { handler } = instance(async (events) => [{ ...events[0]!, sequenceNumber: '999' }]);

    await expect(handler(batch([json(ev('a'))]), lambdaContext)).rejects.toThrow(/not in this batch/);
  });

  it('publishes events in, failed, filtered and the duration of each batch as EMF', async () => {
    const { handler } = instance(async (events) => [events[1]!], { [ENV.subscriberTypes]: '["order"]' });

    await handler(batch([json(ev('a')), json(ev('b')), json(ev('v', 'view'))]), lambdaContext);

    expect(emitted).toHaveLength(1);
    const emf = JSON.parse(emitted[0]!) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } };
    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe('sluice');
    expect(emf).toMatchObject({
      service: 'sluice-unit',
      [SUBSCRIBER_METRICS.eventsIn]: 2, [SUBSCRIBER_METRICS.eventsFailed]: 1, [SUBSCRIBER_METRICS.eventsFiltered]: 1, [SUBSCRIBER_METRICS.eventsQuarantined]: 0,
    });
    expect(typeof emf[SUBSCRIBER_METRICS.duration]).toBe('number');
  });
});
