// The load test's defaults and ranges in one place: runLoadTest applies them and
// the CLI's usage text prints them.
import { EVENT_LIMITS } from '../core/index.ts';
import { LoadTestOptionError } from './errors.ts';
import { MAX_TYPES } from './EventGenerator.ts';
import type { LoadTestOptions, LoadTestReport } from './types.ts';

export type ResolvedOptions = LoadTestReport['options'];

export const LOADTEST_DEFAULTS: ResolvedOptions = {
  rate: 1000,
  durationSec: 10,
  types: 5,
  keys: 1000,
  payloadBytes: 100,
  zipfExponent: 1.1,
  target: 'kinesis',
  recordFormat: 'compressed',
  allowRemote: false,
  deployed: false,
  verify: true,
  settleTimeoutSec: 60,
  maxInFlight: 50_000,
  poison: 0,
  mode: 'sluice',
};

/** Ranges of the numeric options, named as on the command line. */
export const LOADTEST_RANGES = {
  rate: { flag: 'rate', min: 1, max: 1_000_000 },
  durationSec: { flag: 'duration', min: 1, max: 36_000 },
  types: { flag: 'types', min: 1, max: MAX_TYPES },
  keys: { flag: 'keys', min: 1, max: 10_000_000 },
  // Room for the rest of the event inside the serialized event limit.
  payloadBytes: { flag: 'payload-bytes', min: 0, max: EVENT_LIMITS.maxEventBytes - 1024 },
  settleTimeoutSec: { flag: 'settle-timeout', min: 0, max: 3600 },
  maxInFlight: { flag: 'max-in-flight', min: 1, max: 10_000_000 },
} as const;

/** Defaults filled in and every value checked; throws LoadTestOptionError naming the flag. */
export function resolveOptions(o: LoadTestOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    rate: o.rate ?? LOADTEST_DEFAULTS.rate,
    durationSec: o.durationSec ?? LOADTEST_DEFAULTS.durationSec,
    types: o.types ?? LOADTEST_DEFAULTS.types,
    keys: o.keys ?? LOADTEST_DEFAULTS.keys,
    payloadBytes: o.payloadBytes ?? LOADTEST_DEFAULTS.payloadBytes,
    zipfExponent: o.zipfExponent ?? LOADTEST_DEFAULTS.zipfExponent,
    target: o.target ?? LOADTEST_DEFAULTS.target,
    recordFormat: o.recordFormat ?? LOADTEST_DEFAULTS.recordFormat,
    allowRemote: o.allowRemote ?? LOADTEST_DEFAULTS.allowRemote,
    deployed: o.deployed ?? LOADTEST_DEFAULTS.deployed,
    verify: o.verify ?? LOADTEST_DEFAULTS.verify,
    settleTimeoutSec: o.settleTimeoutSec ?? LOADTEST_DEFAULTS.settleTimeoutSec,
    maxInFlight: o.maxInFlight ?? LOADTEST_DEFAULTS.maxInFlight,
    poison: o.poison ?? LOADTEST_DEFAULTS.poison,
    mode: o.mode ?? LOADTEST_DEFAULTS.mode,
  };
  if (r.mode !== 'sluice' && r.mode !== 'naive') throw new LoadTestOptionError('mode', `must be sluice or naive, got ${String(r.mode)}`);
  if (o.compare !== undefined && o.compare !== 'naive') throw new LoadTestOptionError('compare', `must be naive, got ${String(o.compare)}`);
  if (o.compare) r.compare = o.compare;
  if (r.mode === 'naive' && r.poison > 0) throw new LoadTestOptionError('poison', 'cannot be used with --mode naive (the baseline has no quarantine)');
  if (r.mode === 'naive' && r.target === 'http') throw new LoadTestOptionError('mode', 'naive sends with PutRecord, not through the HTTP ingest');
  if (o.ramp) r.ramp = o.ramp;
  if (o.steps) {
    r.steps = o.steps;
    r.durationSec = o.steps.rates.length * o.steps.stepSec;
  }
  if (o.ramp && o.steps) throw new LoadTestOptionError('steps', 'cannot be combined with --ramp');
  if (o.chaos?.length) r.chaos = o.chaos;
  if (!(r.poison >= 0 && r.poison <= 0.5)) throw new LoadTestOptionError('poison', `must be a share from 0 to 50%, got ${String(r.poison)}`);
  for (const [key, range] of Object.entries(LOADTEST_RANGES)) {
    const v = r[key as keyof typeof LOADTEST_RANGES];
    const integral = key !== 'durationSec' && key !== 'settleTimeoutSec';
    if (typeof v !== 'number' || !Number.isFinite(v) || (integral && !Number.isInteger(v)) || v < range.min || v > range.max) {
      throw new LoadTestOptionError(range.flag, `must be ${integral ? 'an integer' : 'a number'} from ${range.min} to ${range.max}, got ${String(v)}`);
    }
  }
  if (!Number.isFinite(r.zipfExponent) || r.zipfExponent < 0 || r.zipfExponent > 10) {
    throw new LoadTestOptionError('zipf', `must be a number from 0 to 10, got ${String(r.zipfExponent)}`);
  }
  if (r.target !== 'kinesis' && r.target !== 'http') {
    throw new LoadTestOptionError('target', `must be kinesis or http, got ${String(r.target)}`);
  }
  if (r.recordFormat !== 'compressed' && r.recordFormat !== 'kpl') {
    throw new LoadTestOptionError('kpl', `record format must be compressed or kpl, got ${String(r.recordFormat)}`);
  }
  return r;
}
