// Faults a run injects on the local stack, at set seconds of the run:
//   db-outage@20s:10s    the database refuses every call for 10 s from second 20
//   consumer-crash@30s   the aggregator's process is killed inside a batch at second 30
//                        (its commit not made) and the stack restarts it
//   consumer-crash@30s:after-commit   killed once its batch committed, before the
//                        runner heard: the batch comes again and must not count twice
import type { CrashMoment } from '../core/index.ts';
import { LoadTestOptionError } from './errors.ts';

export type ChaosKind = 'db-outage' | 'consumer-crash';

export interface ChaosEvent {
  kind: ChaosKind;
  /** Seconds from the run's start. */
  atSec: number;
  /** How long the fault lasts (db-outage). */
  durationSec: number;
  /** consumer-crash: where in the batch the process dies. @default 'mid-batch' */
  moment?: CrashMoment;
}

export function parseChaos(text: string): ChaosEvent {
  const outage = /^db-outage@(\d+(?:\.\d+)?)s?:(\d+(?:\.\d+)?)s?$/.exec(text.trim());
  if (outage) {
    const durationSec = Number(outage[2]);
    if (!(durationSec > 0)) throw new LoadTestOptionError('chaos', `db-outage needs a positive duration, got "${text}"`);
    return { kind: 'db-outage', atSec: Number(outage[1]), durationSec };
  }
  const crash = /^consumer-crash@(\d+(?:\.\d+)?)s?(?::(mid-batch|after-commit))?$/.exec(text.trim());
  if (crash) return { kind: 'consumer-crash', atSec: Number(crash[1]), durationSec: 0, ...(crash[2] ? { moment: crash[2] as CrashMoment } : {}) };
  throw new LoadTestOptionError('chaos', `must be db-outage@STARTs:LENGTHs or consumer-crash@STARTs[:mid-batch|:after-commit], e.g. db-outage@20s:10s, got "${text}"`);
}

/** `0.1%` or `0.001`: the share of records that are malformed, from 0 to 50%. */
export function parsePoison(text: string): number {
  const t = text.trim();
  const v = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (t === '' || t === '%' || !Number.isFinite(v) || v < 0 || v > 0.5) {
    throw new LoadTestOptionError('poison', `must be a share of records from 0 to 50%, e.g. 0.1%, got "${text}"`);
  }
  return v;
}
