// Generated events for the query suites, loaded through the real aggregator into a
// database behind the local Data API, and the answers computed from the events
// themselves that the engine must reproduce.
import type { Context } from 'aws-lambda';
import { normalizeEvent } from '../../core/index.ts';
import type { SluiceEvent } from '../../core/index.ts';
import { createAggregatorHandler, validateConfig } from '../../consumers/index.ts';
import type { DataApiFixture } from './dataApiFixture.ts';
import { eventRecords } from './kinesisRecords.ts';
import { seededRandom } from '../../loadtest/index.ts';

export const QUERY_T0 = Date.UTC(2026, 10, 28, 0, 0, 0);
/** Three hours of events from QUERY_T0; `now` for relative ranges sits inside the third hour. */
export const QUERY_NOW = QUERY_T0 + 2 * 3600_000 + 40 * 60_000 + 17_000;

export const QUERY_CONFIG = validateConfig({
  rollups: [
    { name: 'by_type', types: '*', windows: [60, 3600] },
    { name: 'by_country', types: ['page_view', 'order'], groupBy: ['country', 'path'], windows: [60, 300], approxDistinct: 'user' },
  ],
});

export const COUNTRIES = ['JP', 'US', 'DE', 'FR', 'BR'];
export const PATHS = ['/', '/a', '/b', '/c', '/d', '/e', '/f'];

/** `n` events of page_view and order over three hours, Zipf-ish countries and paths, values in cents. */
export function makeQueryEvents(n: number, seed = 7): SluiceEvent[] {
  const rand = seededRandom(seed);
  const skewed = <T>(list: T[]) => list[Math.floor(rand() * rand() * list.length)]!;
  return Array.from({ length: n }, (_, i) => normalizeEvent({
    id: `q-${seed}-${i}`,
    type: rand() < 0.7 ? 'page_view' : 'order',
    ts: QUERY_T0 + Math.floor(rand() * 3 * 3600_000),
    value: Math.round((rand() * 100 - 10) * 100) / 100,
    dims: { country: skewed(COUNTRIES), path: skewed(PATHS), user: `u${Math.floor(rand() * 300)}` },
  }));
}

/**
 * Runs the events through the aggregator handler in batches, as Lambda would; their
 * sequence numbers count from `firstSequence` (a later load starts past the earlier's).
 */
export async function loadQueryEvents(fx: DataApiFixture, events: SluiceEvent[], batch = 1000, firstSequence = 1000): Promise<void> {
  const handler = createAggregatorHandler({ rdsData: fx.client, ...fx.target, config: QUERY_CONFIG });
  for (let i = 0; i < events.length; i += batch) {
    const res = await handler({ Records: eventRecords(events.slice(i, i + batch), QUERY_T0, firstSequence + i) }, { getRemainingTimeInMillis: () => 60_000 } as unknown as Context);
    if (res.batchItemFailures.length) throw new Error(`batch at ${i} not applied`);
  }
}

export interface Expected { count: number; cents: number; min: number; max: number; users: Set<string> }

/** The answer from the events: key "bucketS|dim values" (bucket -1 for whole-range groups). */
export function expectedAnswer(events: SluiceEvent[], q: {
  type: string; bucket: number; fromS?: number; toS?: number; groupBy?: string[]; where?: Record<string, string[]>;
}): { rows: Map<string, Expected>; groups: Map<string, Expected>; total: Expected } {
  const rows = new Map<string, Expected>();
  const groups = new Map<string, Expected>();
  const total: Expected = { count: 0, cents: 0, min: Infinity, max: -Infinity, users: new Set() };
  const add = (m: Map<string, Expected> | null, key: string, e: SluiceEvent) => {
    let x = m ? m.get(key) : total;
    if (!x) m!.set(key, (x = { count: 0, cents: 0, min: Infinity, max: -Infinity, users: new Set() }));
    x.count++;
    x.cents += Math.round(e.value * 100);
    x.min = Math.min(x.min, e.value);
    x.max = Math.max(x.max, e.value);
    x.users.add(e.dims?.user ?? '');
  };
  for (const e of events) {
    const s = e.ts / 1000;
    if (e.type !== q.type || (q.fromS !== undefined && s < q.fromS) || (q.toS !== undefined && s >= q.toS)) continue;
    if (Object.entries(q.where ?? {}).some(([d, vs]) => !vs.includes(e.dims?.[d] ?? ''))) continue;
    const dims = (q.groupBy ?? []).map((d) => e.dims?.[d] ?? '').join('|');
    add(rows, `${Math.floor(s / q.bucket) * q.bucket}|${dims}`, e);
    add(groups, dims, e);
    add(null, '', e);
  }
  return { rows, groups, total };
}
