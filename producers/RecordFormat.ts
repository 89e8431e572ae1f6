// The record format sluice's own writers put on the stream: sluice's compressed
// aggregates by default (about 4.6 times fewer bytes an event, so a shard's 1 MiB/s
// carries that many more events), or KPL aggregates for a stream that consumers
// other than sluice's also read. The consumers read both, and plain records.
import { ENV, type StackEnv } from '../core/index.ts';
import { ProducerConfigError } from './errors.ts';
import type { ProducerOptions } from './types.ts';

export type RecordFormat = 'compressed' | 'kpl';

export const DEFAULT_RECORD_FORMAT: RecordFormat = 'compressed';

/**
 * The deflate level of sluice's own writers: level 1 costs about a third of the CPU
 * of zlib's default 6 for about 15% more bytes an event (45 instead of 39.5 on
 * bench:e2e's events, against 207 in KPL aggregates); the writer's CPU, not the
 * stream, is what runs out first.
 */
export const COMPRESSED_RECORD_LEVEL = 1;

/** The producer's `compression` setting for a format. */
export function compressionFor(format: RecordFormat): ProducerOptions['compression'] {
  return format === 'compressed' ? { level: COMPRESSED_RECORD_LEVEL } : false;
}

/** SLUICE_RECORD_FORMAT, or the default; any other value is refused by name. */
export function recordFormatFromEnv(env: StackEnv): RecordFormat {
  const v = env[ENV.recordFormat];
  if (v === undefined || v === '') return DEFAULT_RECORD_FORMAT;
  if (v === 'compressed' || v === 'kpl') return v;
  throw new ProducerConfigError(`${ENV.recordFormat} must be compressed or kpl, not ${v}`);
}
