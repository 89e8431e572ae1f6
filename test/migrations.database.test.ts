// The schema's migrations against the database, through the local Data API, on the
// embedded PostgreSQL, DATABASE_URL's PostgreSQL (when set) and PGlite: a database
// migrated from nothing and one written before the newest migrations and upgraded
// end with the same functions, and the query engine's distinct counts are right on both.
import { afterEach, describe, expect, it } from 'vitest';
import { executeQuery } from '../query/index.ts';
import { HyperLogLog } from '../rollup/index.ts';
import { DataApiSession, fieldNumber, loadMigrations, migrate } from '../schema/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import { DATABASE_MODES } from './support/database.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import { QUERY_CONFIG as config, QUERY_NOW as now, loadQueryEvents, makeQueryEvents } from './support/queryFixture.ts';

const MIGRATIONS = loadMigrations();
const DROPPED = '005_drop_hll_aggregate';

/** How many functions (aggregates included) of that name the database holds. */
async function functionsNamed(fx: DataApiFixture, name: string): Promise<number> {
  const rows = await new DataApiSession(fx.client, fx.target).execute(`SELECT count(*) FROM pg_proc WHERE proname = '${name}'`);
  return fieldNumber(rows[0]![0])!;
}

/** Distinct users per country over every page view, as the engine answers it. */
async function distinctByCountry(fx: DataApiFixture): Promise<Map<string, number>> {
  const { results: [r] } = await executeQuery(fx.client, fx.target, { types: ['page_view'], groupBy: ['country'] }, { config, now });
  return new Map(r!.groups.map((g) => [g.dims.country!, g.distinct!]));
}

/** The same sketch built here from the events: what the database's merge must reproduce register for register. */
function expectedByCountry(events: SluiceEvent[]): Map<string, number> {
  const sketches = new Map<string, HyperLogLog>();
  for (const e of events) {
    if (e.type !== 'page_view') continue;
    const country = e.dims!.country!;
    if (!sketches.has(country)) sketches.set(country, new HyperLogLog());
    sketches.get(country)!.add(e.dims!.user!);
  }
  return new Map([...sketches].map(([country, hll]) => [country, hll.estimate()]));
}

function expectSameEstimates(got: Map<string, number>, want: Map<string, number>): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [country, n] of want) expect(got.get(country)).toBeCloseTo(n, 6);
}

describe.each(DATABASE_MODES.filter((m) => m.available))('migrations on $name', ({ source }) => {
  let fx: DataApiFixture | undefined;
  const events = makeQueryEvents(1500, 11);

  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('migrated from nothing: no sluice_hll_agg, the upsert\'s merge kept, distinct counts right', async () => {
    fx = await startDataApiFixture(`migrate-new-${source}`, { migrate: false, database: source });

    const { applied } = await migrate(fx.client, fx.target);
    await loadQueryEvents(fx, events, 300);

    expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await functionsNamed(fx, 'sluice_hll_agg')).toBe(0);
    expect(await functionsNamed(fx, 'sluice_hll_merge')).toBe(1);
    expectSameEstimates(await distinctByCountry(fx), expectedByCountry(events));
  });

  it(`upgraded from before ${DROPPED}: the aggregate it had is gone, and its rows and new ones answer the same`, async () => {
    fx = await startDataApiFixture(`migrate-old-${source}`, { migrate: false, database: source });
    await migrate(fx.client, fx.target, { migrations: MIGRATIONS.filter((m) => m.name < DROPPED) });
    const [before, after] = [events.slice(0, 900), events.slice(900)];
    await loadQueryEvents(fx, before, 300);
    const hadAggregate = await functionsNamed(fx, 'sluice_hll_agg');
    const answeredBefore = await distinctByCountry(fx);

    const { applied } = await migrate(fx.client, fx.target);
    const answeredAfterUpgrade = await distinctByCountry(fx);
    await loadQueryEvents(fx, after, 300, 1000 + before.length);

    expect(hadAggregate).toBe(1);
    expect(applied).toEqual(MIGRATIONS.filter((m) => m.name >= DROPPED).map((m) => m.name));
    expect(await functionsNamed(fx, 'sluice_hll_agg')).toBe(0);
    expect(await functionsNamed(fx, 'sluice_hll_merge')).toBe(1);
    expectSameEstimates(answeredBefore, expectedByCountry(before));
    expect(answeredAfterUpgrade).toEqual(answeredBefore);
    expectSameEstimates(await distinctByCountry(fx), expectedByCountry(events));
  });
});
