// Event factories for tests: realistic events spread over types, minutes and
// dimensions, plus the exact totals a correct pipeline must end up with.
import type { EventInput } from '../../core/index.ts';
import { seededRandom } from '../../loadtest/index.ts';

export interface ExpectedRollup { count: number; sum: number; min: number; max: number }

/**
 * `n` events over `types` event types and `minutes` consecutive minutes from `start`,
 * values with two decimals (some negative), ids set so the archive can be checked.
 */
export function makeEvents(n: number, opts: { types?: string[]; minutes?: number; start?: number; seed?: number } = {}): (EventInput & { id: string; ts: number; value: number })[] {
  const types = opts.types ?? ['page_view', 'click', 'order', 'signup', 'api.call'];
  const minutes = opts.minutes ?? 7;
  const start = opts.start ?? Date.UTC(2026, 10, 28, 14, 0, 0);
  const rand = seededRandom(opts.seed ?? 42);
  const countries = ['JP', 'US', 'DE', 'FR', 'BR', 'IN'];
  return Array.from({ length: n }, (_, i) => ({
    id: `evt-${opts.seed ?? 42}-${i}`,
    type: types[Math.floor(rand() * types.length)]!,
    ts: start + Math.floor(rand() * minutes * 60_000),
    dims: { country: countries[Math.floor(rand() * countries.length)]!, plan: rand() < 0.3 ? 'pro' : 'free' },
    value: Math.round((rand() * 200 - 20) * 100) / 100,
    payload: { path: `/p/${Math.floor(rand() * 1000)}`, ua: 'Mozilla/5.0 (X11; Linux x86_64)' },
  }));
}

/** Per type, per minute bucket (ISO string): the rollup a correct pipeline produces. */
export function expectedMinuteRollups(events: { type: string; ts: number; value: number }[]): Map<string, Map<string, ExpectedRollup>> {
  const out = new Map<string, Map<string, ExpectedRollup & { cents: number }>>();
  for (const e of events) {
    const bucket = new Date(Math.floor(e.ts / 60_000) * 60_000).toISOString();
    let byBucket = out.get(e.type);
    if (!byBucket) out.set(e.type, (byBucket = new Map<string, ExpectedRollup & { cents: number }>()));
    const r = byBucket.get(bucket);
    // Sum in integer cents: the expected total must not carry float rounding of its own.
    const cents = Math.round(e.value * 100);
    if (!r) byBucket.set(bucket, { count: 1, sum: 0, cents, min: e.value, max: e.value });
    else {
      r.count++;
      r.cents += cents;
      r.min = Math.min(r.min, e.value);
      r.max = Math.max(r.max, e.value);
    }
  }
  for (const byBucket of out.values()) for (const r of byBucket.values()) r.sum = r.cents / 100;
  return out;
}
