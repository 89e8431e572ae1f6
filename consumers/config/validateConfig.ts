// Checks a configuration against its schema and fills defaults. The rollups are
// checked by rollup/ (validateRollups); the aggregator's horizons here.
import { ConfigError, validateRollups } from '../../rollup/index.ts';
import { DEFAULT_CONFIG } from './defaults.ts';
import type { SluiceConfig } from './types.ts';

const DAY_S = 86_400;
/** A stream keeps records at most 7 days here (see checkpointRetentionSeconds): no two copies can be further apart. */
const MAX_DEDUP_HORIZON_S = 7 * DAY_S;
const KNOWN_TOP = new Set(['rollups', 'dedupHorizonSeconds', 'checkpointRetentionSeconds', '$schema']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(v: unknown, path: string, max: number, meaning?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > max) {
    throw new ConfigError(path, `must be a whole number between 1 and ${max}${meaning ? ` (${meaning})` : ''}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A complete, checked configuration from parsed JSON; throws ConfigError naming the field. */
export function validateConfig(input: unknown): SluiceConfig {
  if (!isObject(input)) throw new ConfigError('(root)', 'must be a JSON object');
  for (const k of Object.keys(input)) if (!KNOWN_TOP.has(k)) throw new ConfigError(k, 'is not a setting');
  const rollups = validateRollups(input.rollups);
  const dedupHorizonSeconds = input.dedupHorizonSeconds === undefined
    ? DEFAULT_CONFIG.dedupHorizonSeconds
    : positiveInt(input.dedupHorizonSeconds, 'dedupHorizonSeconds', MAX_DEDUP_HORIZON_S, 'seconds of stream time (Kinesis arrival) within which an event id counts once');
  const checkpointRetentionSeconds = input.checkpointRetentionSeconds === undefined
    ? DEFAULT_CONFIG.checkpointRetentionSeconds
    : positiveInt(input.checkpointRetentionSeconds, 'checkpointRetentionSeconds', 400 * DAY_S);
  // Ids of shards that stopped advancing are pruned after checkpointRetentionSeconds:
  // a shorter retention would cut the horizon short for them.
  if (checkpointRetentionSeconds < dedupHorizonSeconds) {
    throw new ConfigError('checkpointRetentionSeconds', `must be at least dedupHorizonSeconds (${dedupHorizonSeconds})`);
  }
  return { rollups, dedupHorizonSeconds, checkpointRetentionSeconds };
}
