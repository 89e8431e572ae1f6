// Checks a configuration against its schema and fills defaults. Rollup and dimension
// names are the whitelist of what may ever name a column or a JSON key in SQL.
import { EVENT_LIMITS } from '../../core/index.ts';
import { DEFAULT_CONFIG } from './defaults.ts';
import { ConfigError } from './errors.ts';
import type { RollupConfig, SluiceConfig } from './types.ts';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const DAY_S = 86_400;
/** A stream keeps records at most 7 days here (see checkpointRetentionSeconds): no two copies can be further apart. */
const MAX_DEDUP_HORIZON_S = 7 * DAY_S;
const KNOWN_TOP = new Set(['rollups', 'dedupHorizonSeconds', 'checkpointRetentionSeconds', '$schema']);
const KNOWN_ROLLUP = new Set(['name', 'types', 'groupBy', 'windows', 'approxDistinct']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(v: unknown, path: string, max: number, meaning?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > max) {
    throw new ConfigError(path, `must be a whole number between 1 and ${max}${meaning ? ` (${meaning})` : ''}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function dimensionName(v: unknown, path: string): string {
  if (typeof v !== 'string' || !EVENT_LIMITS.dimNamePattern.test(v)) {
    throw new ConfigError(path, `${JSON.stringify(v)} is not a dimension name (^[a-z][a-z0-9_]{0,62}$)`);
  }
  return v;
}

function validateRollup(input: unknown, path: string): RollupConfig {
  if (!isObject(input)) throw new ConfigError(path, 'must be an object');
  for (const k of Object.keys(input)) if (!KNOWN_ROLLUP.has(k)) throw new ConfigError(`${path}.${k}`, 'is not a rollup setting');
  const name = input.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw new ConfigError(`${path}.name`, 'must match ^[a-z][a-z0-9_]{0,62}$');

  let types: RollupConfig['types'] = '*';
  if (input.types !== undefined && input.types !== '*') {
    if (!Array.isArray(input.types) || input.types.length === 0) throw new ConfigError(`${path}.types`, 'must be "*" or a non-empty list of event types');
    types = input.types.map((t, i) => {
      if (typeof t !== 'string' || t.length > EVENT_LIMITS.maxTypeChars || !EVENT_LIMITS.typePattern.test(t)) {
        throw new ConfigError(`${path}.types[${i}]`, `${JSON.stringify(t)} is not an event type`);
      }
      return t;
    });
  }

  const groupByIn = input.groupBy ?? [];
  if (!Array.isArray(groupByIn)) throw new ConfigError(`${path}.groupBy`, 'must be a list of dimension names');
  if (groupByIn.length > EVENT_LIMITS.maxDims) throw new ConfigError(`${path}.groupBy`, `at most ${EVENT_LIMITS.maxDims} dimensions`);
  const groupBy = groupByIn.map((d, i) => dimensionName(d, `${path}.groupBy[${i}]`));
  if (new Set(groupBy).size !== groupBy.length) throw new ConfigError(`${path}.groupBy`, 'names a dimension twice');

  const windowsIn = input.windows ?? [60];
  if (!Array.isArray(windowsIn) || windowsIn.length === 0) throw new ConfigError(`${path}.windows`, 'must be a non-empty list of seconds');
  const windows = windowsIn.map((w, i) => {
    const s = positiveInt(w, `${path}.windows[${i}]`, DAY_S);
    // Buckets must tile a day so every window starts at the same instant on every host.
    if (DAY_S % s !== 0) throw new ConfigError(`${path}.windows[${i}]`, `${s} s does not divide a day (86400 s)`);
    return s;
  });
  if (new Set(windows).size !== windows.length) throw new ConfigError(`${path}.windows`, 'lists a window twice');

  const rollup: RollupConfig = { name, types, groupBy, windows };
  if (input.approxDistinct !== undefined) rollup.approxDistinct = dimensionName(input.approxDistinct, `${path}.approxDistinct`);
  return rollup;
}

/** A complete, checked configuration from parsed JSON; throws ConfigError naming the field. */
export function validateConfig(input: unknown): SluiceConfig {
  if (!isObject(input)) throw new ConfigError('(root)', 'must be a JSON object');
  for (const k of Object.keys(input)) if (!KNOWN_TOP.has(k)) throw new ConfigError(k, 'is not a setting');
  let rollups = DEFAULT_CONFIG.rollups;
  if (input.rollups !== undefined) {
    if (!Array.isArray(input.rollups) || input.rollups.length === 0) throw new ConfigError('rollups', 'must be a non-empty list');
    rollups = input.rollups.map((r, i) => validateRollup(r, `rollups[${i}]`));
    const names = new Set<string>();
    for (const [i, r] of rollups.entries()) {
      if (names.has(r.name)) throw new ConfigError(`rollups[${i}].name`, `"${r.name}" is used twice`);
      names.add(r.name);
    }
  }
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
