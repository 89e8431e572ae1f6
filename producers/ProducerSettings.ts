// A KinesisProducer's options checked and defaulted (PRODUCER_DEFAULTS), once, in the
// constructor: the parts of the producer read these settings and never an option.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Backoff } from '../core/index.ts';
import { ProducerConfigError } from './errors.ts';
import { packingSettings, positive, type PackingSettings } from './PackingSettings.ts';
import { PRODUCER_DEFAULTS } from './ProducerDefaults.ts';
import type { ProducerOptions, ShardRateLimit } from './types.ts';

export interface ProducerSettings extends PackingSettings {
  client: KinesisClient;
  /** The target stream, as ListShards and PutRecords take it. */
  stream: { StreamName?: string; StreamARN?: string };
  maxBufferTimeMs: number;
  rate: ShardRateLimit | false;
  recordTtlMs: number;
  backoff: Backoff;
  maxBufferedBytes: number;
  maxBufferedEvents: number;
  onBufferFull: 'wait' | 'reject';
  /** ordering 'perPartitionKey'. */
  ordered: boolean;
  maxConcurrentPuts: number;
  putTimeoutMs: number;
}

/** Checks and defaults the options; throws ProducerConfigError naming the option. */
export function producerSettings(o: ProducerOptions): ProducerSettings {
  const d = PRODUCER_DEFAULTS;
  if (!o.client) throw new ProducerConfigError('client is required');
  if (!o.streamARN && !o.streamName) throw new ProducerConfigError('streamName or streamARN is required');
  const maxBufferTimeMs = positive('maxBufferTimeMs', o.maxBufferTimeMs ?? d.maxBufferTimeMs, true);
  const packing = packingSettings(o);
  if (o.shardRateLimit) {
    positive('shardRateLimit.recordsPerSec', o.shardRateLimit.recordsPerSec);
    positive('shardRateLimit.bytesPerSec', o.shardRateLimit.bytesPerSec);
  }
  return {
    ...packing,
    client: o.client,
    stream: o.streamARN ? { StreamARN: o.streamARN } : { StreamName: o.streamName! },
    maxBufferTimeMs,
    rate: o.shardRateLimit === false ? false : (o.shardRateLimit ?? { ...d.shardRateLimit }),
    recordTtlMs: positive('recordTtlMs', o.recordTtlMs ?? d.recordTtlMs),
    backoff: { baseMs: positive('backoff.baseMs', o.backoff?.baseMs ?? d.backoff.baseMs), maxMs: positive('backoff.maxMs', o.backoff?.maxMs ?? d.backoff.maxMs), jitter: 'equal' },
    maxBufferedBytes: positive('maxBufferedBytes', o.maxBufferedBytes ?? d.maxBufferedBytes),
    maxBufferedEvents: positive('maxBufferedEvents', o.maxBufferedEvents ?? d.maxBufferedEvents),
    onBufferFull: oneOf('onBufferFull', o.onBufferFull ?? d.onBufferFull, ['wait', 'reject'] as const),
    ordered: oneOf('ordering', o.ordering ?? d.ordering, ['none', 'perPartitionKey'] as const) === 'perPartitionKey',
    maxConcurrentPuts: positive('maxConcurrentPuts', o.maxConcurrentPuts ?? d.maxConcurrentPuts),
    putTimeoutMs: positive('putTimeoutMs', o.putTimeoutMs ?? d.putTimeoutMs),
  };
}

function oneOf<T extends string>(name: string, v: T, allowed: readonly T[]): T {
  if (!allowed.includes(v)) throw new ProducerConfigError(`${name} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  return v;
}
