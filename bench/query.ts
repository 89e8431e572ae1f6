// Query benchmark: a year of per-minute rows of one type (525,600 rows, plus a per-
// country rollup over the last week), read through the local Data API by (a) the
// engine (executeQuery: one statement per type, merged in SQL on an index range) and
// (b) the baseline: the stored rows of the range read back page by page and merged
// into the same buckets in TypeScript. Both give the same totals (checked). Runs on
// PGlite, or on DATABASE_URL's server. Prints a table, or one JSON object with --json.
//   npm run bench:query [-- --json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApiServer, openDatabase } from '../local/index.ts';
import { executeQuery, planQuery } from '../query/index.ts';
import type { QueryRequest } from '../query/index.ts';
import { validateRollups } from '../rollup/index.ts';
import { DataApiSession, fieldNumber, fieldText, migrate, sqlParameters, TABLES } from '../schema/index.ts';

const json = process.argv.includes('--json');
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const YEAR_MINUTES = 525_600;
const config = { rollups: validateRollups([{ name: 'by_type', types: '*', windows: [60] }, { name: 'by_country', types: ['view'], groupBy: ['country'], windows: [60] }]) };
const target = { resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:bench', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-AbCdEf', database: 'sluice' };

const CASES: { name: string; request: QueryRequest }[] = [
  { name: 'last hour, per minute', request: { types: ['view'], from: '-1h', bucket: '1m' } },
  { name: 'last day, 30-minute buckets', request: { types: ['view'], from: '-1d', bucket: '30m' } },
  { name: 'last 7 days, hourly', request: { types: ['view'], from: '-7d', bucket: '1h' } },
  { name: 'last 7 days per country, daily, top 3', request: { types: ['view'], from: '-7d', bucket: '1d', groupBy: ['country'], top: 3 } },
  { name: 'the whole year, daily', request: { types: ['view'], bucket: '1d' } },
];

/** The baseline: every stored row of the range, paged (keyset on the primary key), merged into buckets in TypeScript. */
async function baseline(session: DataApiSession, request: QueryRequest): Promise<number> {
  const [plan] = planQuery(request, config, NOW);
  const totals = new Map<string, number>();
  let afterS = (plan!.fromS ?? 0) - 1;
  let afterKey = '';
  for (;;) {
    const rows = await session.execute(
      `SELECT CAST(extract(epoch FROM bucket) AS bigint), dims ->> 'country', count, dim_key FROM ${TABLES.rollups}
  WHERE rollup = :rollup AND window_s = :window AND event_type = :type
    AND (bucket, dim_key) > (to_timestamp(CAST(:afterS AS bigint)), :afterKey) AND bucket < to_timestamp(CAST(:to AS bigint))
  ORDER BY bucket, dim_key LIMIT 5000`,
      { parameters: sqlParameters({ rollup: plan!.rollup.name, window: plan!.window, type: plan!.type, afterS, afterKey, to: plan!.toS ?? 4102444800 }) },
    );
    for (const f of rows) {
      const bucketS = fieldNumber(f[0])!;
      const key = `${Math.floor(bucketS / plan!.bucket)}|${fieldText(f[1]) ?? ''}`;
      totals.set(key, (totals.get(key) ?? 0) + fieldNumber(f[2])!);
      afterS = bucketS;
      afterKey = fieldText(f[3])!;
    }
    if (rows.length < 5000) break;
  }
  // Top-N as the engine ranks it: the groups with the largest counts.
  if (plan!.top !== null) {
    const byGroup = new Map<string, number>();
    for (const [k, v] of totals) byGroup.set(k.split('|')[1]!, (byGroup.get(k.split('|')[1]!) ?? 0) + v);
    const kept = new Set([...byGroup].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, plan!.top).map(([g]) => g));
    for (const k of [...totals.keys()]) if (!kept.has(k.split('|')[1]!)) totals.delete(k);
  }
  let sum = 0;
  for (const v of totals.values()) sum += v;
  return sum;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-query-'));
  const db = await openDatabase(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: join(dir, 'pg') });
  const server = await DataApiServer.start({ database: db, resourceArn: target.resourceArn, secretArn: target.secretArn, databaseName: target.database });
  const client = new RDSDataClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    await migrate(client, target);
    const session = new DataApiSession(client, target);
    await session.execute(`DELETE FROM ${TABLES.rollups} WHERE event_type = 'view'`);
    const start = NOW / 1000 - YEAR_MINUTES * 60;
    if (!json) process.stderr.write('writing a year of per-minute rows...\n');
    for (let month = 0; month < 12; month++) {
      await session.execute(`INSERT INTO ${TABLES.rollups} (rollup, window_s, event_type, bucket, dim_key, dims, count, sum, min, max)
SELECT 'by_type', 60, 'view', to_timestamp(CAST(:start AS bigint) + 60 * i), '[]', '{}', 1 + i % 5, 1, 1, 1 FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) i`,
      { parameters: sqlParameters({ start, first: month * 43_800, last: month * 43_800 + 43_799 }) });
    }
    // The last week per country too (5 countries), so group-by and top-N have rows to read.
    await session.execute(`INSERT INTO ${TABLES.rollups} (rollup, window_s, event_type, bucket, dim_key, dims, count, sum, min, max)
SELECT 'by_country', 60, 'view', to_timestamp(CAST(:start AS bigint) + 60 * i), jsonb_build_array(c)::text, jsonb_build_object('country', c), 1 + (i + length(c)) % 5, 1, 1, 1
FROM generate_series(0, 10079) i, unnest(ARRAY['JP', 'US', 'DE', 'FR', 'BR']) c`, { parameters: sqlParameters({ start: NOW / 1000 - 7 * 86_400 }) });
    await session.execute(`ANALYZE ${TABLES.rollups}`);

    const results = [];
    for (const c of CASES) {
      // One warm-up each, then the better of three: the machine is shared.
      const time = async (fn: () => Promise<number>) => {
        let best = Infinity;
        let value = 0;
        for (let i = 0; i < 4; i++) {
          const t = performance.now();
          value = await fn();
          if (i > 0) best = Math.min(best, performance.now() - t);
        }
        return { ms: Math.round(best * 10) / 10, value };
      };
      // With top-N the engine's totals cover every group: compare what the kept groups hold.
      const engine = await time(async () => {
        const r = (await executeQuery(client, target, c.request, { config, now: NOW })).results[0]!;
        return r.groups.length ? r.groups.reduce((n, g) => n + g.count, 0) : r.totals.count;
      });
      const base = await time(() => baseline(session, c.request));
      if (engine.value !== base.value) throw new Error(`${c.name}: engine counted ${engine.value}, baseline ${base.value}`);
      results.push({ case: c.name, count: engine.value, engineMs: engine.ms, baselineMs: base.ms, speedup: Math.round((base.ms / engine.ms) * 10) / 10 });
    }
    const out = { database: process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PGlite', storedRows: YEAR_MINUTES + 5 * 10_080, results };
    if (json) {
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      process.stdout.write(`query engine vs reading stored rows and merging in TypeScript, ${out.database}, ${out.storedRows} stored rows (best of 3 after a warm-up)\n`);
      for (const r of results) process.stdout.write(`  ${r.case.padEnd(40)} ${String(r.count).padStart(8)} events  engine ${String(r.engineMs).padStart(8)} ms  baseline ${String(r.baselineMs).padStart(8)} ms  x${r.speedup}\n`);
      process.stdout.write(JSON.stringify(out) + '\n');
    }
  } finally {
    client.destroy();
    await server.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
