// Checks the `rollups` of a configuration against their schema and fills defaults.
// Rollup and dimension names are the whitelist of what may ever name a column or a
// JSON key in SQL.
import { EVENT_LIMITS } from '../core/index.ts';
import { DEFAULT_ROLLUPS } from './defaults.ts';
import { ConfigError } from './errors.ts';
import type { RollupConfig } from './RollupConfig.ts';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const DAY_S = 86_400;
const KNOWN_ROLLUP = new Set(['name', 'types', 'groupBy', 'windows', 'approxDistinct']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
    if (typeof w !== 'number' || !Number.isInteger(w) || w <= 0 || w > DAY_S) {
      throw new ConfigError(`${path}.windows[${i}]`, `must be a whole number between 1 and ${DAY_S}, got ${JSON.stringify(w)}`);
    }
    // Buckets must tile a day so every window starts at the same instant on every host.
    if (DAY_S % w !== 0) throw new ConfigError(`${path}.windows[${i}]`, `${w} s does not divide a day (86400 s)`);
    return w;
  });
  if (new Set(windows).size !== windows.length) throw new ConfigError(`${path}.windows`, 'lists a window twice');

  const rollup: RollupConfig = { name, types, groupBy, windows };
  if (input.approxDistinct !== undefined) rollup.approxDistinct = dimensionName(input.approxDistinct, `${path}.approxDistinct`);
  return rollup;
}

/**
 * The checked rollups of a configuration's `rollups` value (DEFAULT_ROLLUPS when it
 * is undefined); throws ConfigError naming the field (`rollups[1].windows`).
 */
export function validateRollups(input: unknown): RollupConfig[] {
  if (input === undefined) return DEFAULT_ROLLUPS;
  if (!Array.isArray(input) || input.length === 0) throw new ConfigError('rollups', 'must be a non-empty list');
  const rollups = input.map((r, i) => validateRollup(r, `rollups[${i}]`));
  const names = new Set<string>();
  for (const [i, r] of rollups.entries()) {
    if (names.has(r.name)) throw new ConfigError(`rollups[${i}].name`, `"${r.name}" is used twice`);
    names.add(r.name);
  }
  return rollups;
}
