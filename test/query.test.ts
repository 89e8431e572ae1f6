// Reading rollups back: queryRollups and `sluice query` against the real local Data
// API over a database the aggregator filled from Lambda-shaped batches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { Context } from 'aws-lambda';
import { ENV, normalizeEvent } from '../core/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import { openDatabase } from '../local/database/index.ts';
import type { SqlDatabase } from '../local/database/index.ts';
import { scratchDatabaseUrl } from './support/database.ts';
import { eventRecords } from './support/kinesisRecords.ts';
import type { ScratchDatabase } from './support/database.ts';
import { DataApiServer } from '../local/dataapi/index.ts';
import { migrate } from '../schema/index.ts';
import { createAggregatorHandler, validateConfig } from '../consumers/index.ts';
import { queryRollups, QueryError, type QueryResult } from '../query/index.ts';
import { runQuery } from '../cli/query.ts';
import { countBar } from '../cli/queryFormats.ts';
import { UsageError } from '../cli/errors.ts';

const target = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:query-test',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:query-test-AbCdEf',
  database: 'sluice',
};
const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const config = validateConfig({
  rollups: [
    { name: 'by_type', types: '*', windows: [60, 3600] },
    { name: 'by_country', types: ['click'], groupBy: ['country'], windows: [60], approxDistinct: 'user' },
  ],
});

let dir: string;
let db: SqlDatabase;
let scratch: ScratchDatabase | undefined;
let server: DataApiServer;
let client: RDSDataClient;
let env: Record<string, string>;
let events: SluiceEvent[];

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { text += chunk.toString(); cb(); } });
  return { stream, text: () => text };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-query-'));
  scratch = await scratchDatabaseUrl();
  db = await openDatabase({ dataDir: join(dir, 'pg'), ...(scratch ? { databaseUrl: scratch.url } : {}) });
  server = await DataApiServer.start({ database: db, resourceArn: target.resourceArn, secretArn: target.secretArn, databaseName: target.database });
  client = new RDSDataClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  env = {
    [ENV.rdsDataEndpoint]: server.endpoint, [ENV.region]: 'us-east-1', [ENV.accessKeyId]: 'x', [ENV.secretAccessKey]: 'x',
    [ENV.dbClusterArn]: target.resourceArn, [ENV.dbSecretArn]: target.secretArn, [ENV.dbName]: target.database,
  };
  await migrate(client, target);
  // 3 minutes of clicks (values 1..), one view; 40 distinct users, 2 countries
  events = Array.from({ length: 240 }, (_, i) => normalizeEvent({
    type: 'click', ts: T0 + Math.floor(i / 80) * 60_000 + (i % 60) * 500, value: i % 10 === 0 ? 2.5 : 1,
    dims: { country: i % 2 ? 'DE' : 'FR', user: `user-${i % 40}` },
  }));
  events.push(normalizeEvent({ type: 'view', ts: T0, value: 7 }));
  const records = eventRecords(events, T0);
  const handler = createAggregatorHandler({ rdsData: client, ...target, config });
  const res = await handler({ Records: records }, { getRemainingTimeInMillis: () => 30_000 } as unknown as Context);
  expect(res.batchItemFailures).toEqual([]);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  await db?.close();
  await scratch?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('queryRollups', () => {
  it('returns one row per minute with exact count, sum, min and max', async () => {
    const r = await queryRollups(client, target, { type: 'click', config });

    expect(r.rows.map((x) => x.bucket)).toEqual([0, 1, 2].map((m) => new Date(T0 + m * 60_000).toISOString()));
    for (const row of r.rows) {
      expect(row).toMatchObject({ count: 80, sum: 8 * 2.5 + 72, min: 1, max: 2.5 });
    }
    expect(r.totals).toMatchObject({ count: 240, sum: 24 * 2.5 + 216 });
  });

  it('honours from (inclusive) and to (exclusive)', async () => {
    const r = await queryRollups(client, target, {
      type: 'click', config, from: new Date(T0 + 60_000).toISOString(), to: new Date(T0 + 120_000).toISOString(),
    });

    expect(r.rows).toHaveLength(1);
    expect(r.totals.count).toBe(80);
  });

  it('reads the hourly window of the same rollup', async () => {
    const r = await queryRollups(client, target, { type: 'click', config, window: 3600 });

    expect(r.rows).toEqual([expect.objectContaining({ bucket: new Date(T0).toISOString(), count: 240 })]);
  });

  it('breaks rows down by a whitelisted dimension and counts distinct users approximately', async () => {
    const r = await queryRollups(client, target, { type: 'click', config, rollup: 'by_country', groupBy: ['country'] });

    expect(r.rows).toHaveLength(6);
    expect(r.rows.filter((x) => x.dims?.country === 'DE').reduce((n, x) => n + x.count, 0)).toBe(120);
    expect(r.totals.distinct).toBeGreaterThanOrEqual(38);
    expect(r.totals.distinct).toBeLessThanOrEqual(42);
    const filtered = await queryRollups(client, target, { type: 'click', config, rollup: 'by_country', dims: { country: 'FR' } });
    expect(filtered.totals.count).toBe(120);
  });

  it('refuses a dimension the rollup does not group by', async () => {
    await expect(queryRollups(client, target, { type: 'click', config, rollup: 'by_country', groupBy: ['user'] }))
      .rejects.toThrow(QueryError);
  });
});

describe('sluice query', () => {
  it('prints the JSON the HTTP API returns', async () => {
    const out = capture();
    const cfg = join(dir, 'sluice.config.json');
    writeFileSync(cfg, JSON.stringify(config));

    const code = await runQuery(['--type', 'click', '--format', 'json', '--config', cfg], env, out.stream);

    expect(code).toBe(0);
    const parsed = JSON.parse(out.text()) as QueryResult;
    expect(parsed).toMatchObject({ bucket: 60, groupBy: [], top: null, by: 'count' });
    expect(parsed.results[0]!.rows[0]).toEqual({ bucket: new Date(T0).toISOString(), count: 80, sum: 92, sumExact: '92', min: 1, max: 2.5 });
    expect(parsed.results[0]!.totals).toEqual({ count: 240, sum: 276, sumExact: '276', min: 1, max: 2.5 });
  });

  it('prints a table with a totals line by default, within 80 columns', async () => {
    const out = capture();

    const code = await runQuery(['--type', 'view'], env, out.stream);

    expect(code).toBe(0);
    expect(out.text()).toMatch(/bucket\s+count\s+sum\s+min\s+max/);
    expect(out.text()).toMatch(/total\s+1\s+7\s+7\s+7/);
  });

  it('keeps a grouped table with long values within 80 columns', async () => {
    const out = capture();
    const cfg = join(dir, 'sluice.config.json');
    writeFileSync(cfg, JSON.stringify(config));

    await runQuery(['--type', 'click', '--config', cfg, '--group-by', 'country', '--bucket', '1m', '--where', 'country=DE', '--where', 'country=FR'], env, out.stream);

    const lines = out.text().trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    expect(out.text()).toMatch(/all\s+DE\s+120\s/);
    expect(out.text()).toMatch(/total\s+240\s/);
  });

  it('prints CSV with a line per row, group and total', async () => {
    const out = capture();
    const cfg = join(dir, 'sluice.config.json');
    writeFileSync(cfg, JSON.stringify(config));

    await runQuery(['--type', 'click', '--config', cfg, '--group-by', 'country', '--bucket', '1h', '--format', 'csv', '--top', '1', '--by', 'sum'], env, out.stream);

    const lines = out.text().trimEnd().split('\r\n');
    expect(lines[0]).toBe('kind,type,bucket,country,count,sum,min,max,distinct');
    expect(lines.filter((l) => l.startsWith('group,'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^total,click,,,240,276,1,2\.5,\d+$/);
  });

  it('draws each row\'s count as a bar scaled to the largest', () => {
    expect(countBar(100, 100)).toBe('█'.repeat(24));
    expect(countBar(50, 100)).toBe('█'.repeat(12));
    expect(countBar(1, 1000)).toBe('▏');
    expect(countBar(0, 100)).toBe('');
  });

  it.each([
    [['--from', '2026-11-28T00:00:00Z'], /--type: is required/],
    [['--type', 'click', '--colour', 'red'], /colour/],
    [['--type', 'click', '--format', 'xml'], /--format must be table, json, csv/],
    [['--type', 'click', '--from', 'yesterday'], /--from: "yesterday" is not a time/],
    [['--type', 'click', '--group-by', 'user'], /--group-by: no rollup of type "click" groups by "user"/],
    [['--type', 'click', '--top', 'ten'], /--top: must be a whole number/],
  ])('rejects %j with a usage error', async (argv, message) => {
    await expect(runQuery(argv, env, capture().stream)).rejects.toThrow(UsageError);
    await expect(runQuery(argv, env, capture().stream)).rejects.toThrow(message);
  });
});
