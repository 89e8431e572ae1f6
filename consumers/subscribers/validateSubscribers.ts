// Checks the `"subscribers"` list of sluice.config.json: names, handler paths, the
// event source mapping settings against the ranges Lambda accepts, the type filter.
import { EVENT_LIMITS, LAMBDA_ESM } from '../../core/index.ts';
import { ConfigError } from '../../rollup/index.ts';
import { BUILT_IN_SUBSCRIBER_NAMES } from './registry.ts';
import type { SubscriberConfig } from './types.ts';

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const HANDLER = /\.(ts|mts|js|mjs)$/;
/** Lambda's limits on the event source mapping and the function (aws-semantics.md). */
const RANGES = {
  batchSize: [1, LAMBDA_ESM.maxBatchSize],
  maximumBatchingWindowInSeconds: [0, LAMBDA_ESM.maxBatchingWindowSeconds],
  parallelizationFactor: [1, LAMBDA_ESM.maxParallelizationFactor],
  maximumRetryAttempts: [-1, 10_000],
  functionTimeoutSeconds: [1, 900],
  maxConcurrentInvocations: [1, LAMBDA_ESM.maxReservedConcurrency],
  memorySize: [128, 10_240],
} as const;
const KNOWN = new Set([
  'name', 'handler', 'types', 'enhancedFanOut', 'environment', 'bisectBatchOnFunctionError', 'maximumRecordAgeInSeconds', ...Object.keys(RANGES),
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The checked list (empty when absent); throws ConfigError naming the field. */
export function validateSubscribers(input: unknown): SubscriberConfig[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new ConfigError('subscribers', 'must be a list');
  const names = new Set<string>(BUILT_IN_SUBSCRIBER_NAMES);
  return input.map((s, i) => {
    const path = `subscribers[${i}]`;
    if (!isObject(s)) throw new ConfigError(path, 'must be an object with name and handler');
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new ConfigError(`${path}.${k}`, 'is not a subscriber setting');
    if (typeof s.name !== 'string' || !NAME.test(s.name)) {
      throw new ConfigError(`${path}.name`, `must be 1 to 40 lower-case letters, digits and -, starting with a letter, got ${JSON.stringify(s.name)}`);
    }
    if (names.has(s.name)) throw new ConfigError(`${path}.name`, `"${s.name}" is taken (built-in consumers: ${BUILT_IN_SUBSCRIBER_NAMES.join(', ')})`);
    names.add(s.name);
    if (typeof s.handler !== 'string' || !HANDLER.test(s.handler)) {
      throw new ConfigError(`${path}.handler`, `must be the path of a .ts or .js entry file, got ${JSON.stringify(s.handler)}`);
    }
    const out: SubscriberConfig = { name: s.name, handler: s.handler };
    for (const [key, [min, max]] of Object.entries(RANGES)) {
      const v = s[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw new ConfigError(`${path}.${key}`, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      }
      (out as unknown as Record<string, number>)[key] = v;
    }
    const age = s.maximumRecordAgeInSeconds;
    if (age !== undefined) {
      if (age !== -1 && (typeof age !== 'number' || !Number.isInteger(age) || age < 60 || age > 604_800)) {
        throw new ConfigError(`${path}.maximumRecordAgeInSeconds`, `must be -1 or a whole number from 60 to 604800, got ${JSON.stringify(age)}`);
      }
      out.maximumRecordAgeInSeconds = age as number;
    }
    for (const key of ['bisectBatchOnFunctionError', 'enhancedFanOut'] as const) {
      if (s[key] === undefined) continue;
      if (typeof s[key] !== 'boolean') throw new ConfigError(`${path}.${key}`, `must be true or false, got ${JSON.stringify(s[key])}`);
      out[key] = s[key];
    }
    if (s.types !== undefined) {
      if (!Array.isArray(s.types) || s.types.length === 0) throw new ConfigError(`${path}.types`, 'must be a non-empty list of event types');
      out.types = s.types.map((t, j) => {
        if (typeof t !== 'string' || t.length > EVENT_LIMITS.maxTypeChars || !EVENT_LIMITS.typePattern.test(t)) throw new ConfigError(`${path}.types[${j}]`, `is not an event type: ${JSON.stringify(t)}`);
        return t;
      });
    }
    if (s.environment !== undefined) {
      if (!isObject(s.environment)) throw new ConfigError(`${path}.environment`, 'must be an object of string values');
      for (const [k, v] of Object.entries(s.environment)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || typeof v !== 'string') throw new ConfigError(`${path}.environment.${k}`, 'must be a variable name with a string value');
      }
      out.environment = s.environment as Record<string, string>;
    }
    return out;
  });
}
