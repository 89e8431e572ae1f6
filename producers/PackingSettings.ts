// The packing options KinesisProducer and ShardPacker share (aggregate size,
// compression, record limit), checked and defaulted in one place.
import { KINESIS } from '../core/index.ts';
import { ProducerConfigError } from './errors.ts';
import { PRODUCER_DEFAULTS } from './ProducerDefaults.ts';

export interface PackingOptions {
  /** Pack same-shard events into KPL aggregated records. Default `PRODUCER_DEFAULTS.aggregation`. */
  aggregation?: boolean;
  /**
   * Largest aggregate (uncompressed protobuf + magic + digest + partition key), bytes.
   * Default `PRODUCER_DEFAULTS.maxAggregateBytes` (the KPL's), `compressedMaxAggregateBytes`
   * with compression. Capped below the record limit.
   */
  maxAggregateBytes?: number;
  /**
   * Opt-in compressed aggregates (sluice format, read by sluice consumers only).
   * `true` (level `PRODUCER_DEFAULTS.compressionLevel`) or a deflate level 1..9.
   * Default `PRODUCER_DEFAULTS.compression`.
   */
  compression?: boolean | { level?: number };
  /** The stream's record size limit (data + partition key), bytes. Default `PRODUCER_DEFAULTS.maxRecordBytes`. */
  maxRecordBytes?: number;
}

export interface PackingSettings {
  aggregation: boolean;
  maxAggregateBytes: number;
  /** Deflate level of compressed aggregates; undefined for KPL aggregates. */
  compressionLevel: number | undefined;
  maxRecordBytes: number;
}

/** Room deflate may add to an incompressible body (stored blocks), plus the frame. */
const COMPRESSION_HEADROOM = 1024 + Math.ceil(KINESIS.maxRecordBytes / 16_384) * 5;

/** Checks and defaults packing options; throws ProducerConfigError naming the option. */
export function packingSettings(o: PackingOptions): PackingSettings {
  const d = PRODUCER_DEFAULTS;
  const compression = o.compression ?? d.compression;
  const level = compression === true ? d.compressionLevel : compression ? (compression.level ?? d.compressionLevel) : undefined;
  if (level !== undefined && (!Number.isInteger(level) || level < 1 || level > 9)) throw new ProducerConfigError('compression.level must be an integer 1..9');
  const maxRecordBytes = positive('maxRecordBytes', o.maxRecordBytes ?? d.maxRecordBytes);
  const cap = level === undefined ? maxRecordBytes : maxRecordBytes - COMPRESSION_HEADROOM;
  const maxAggregateBytes = Math.min(cap, positive('maxAggregateBytes', o.maxAggregateBytes ?? (level === undefined ? d.maxAggregateBytes : d.compressedMaxAggregateBytes)));
  return { aggregation: o.aggregation ?? d.aggregation, maxAggregateBytes, compressionLevel: level, maxRecordBytes };
}

/** `v` when it is a positive (or, with `allowZero`, non-negative) finite number; else ProducerConfigError. */
export function positive(name: string, v: number, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ProducerConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
  }
  return v;
}
