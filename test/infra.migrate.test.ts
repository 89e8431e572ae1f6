// The schema custom resource's handler against the local Data API: it applies the
// migrations once, waits out an Aurora cluster resuming from auto-pause within the
// invocation's time, never retries other errors, and keeps the data on Delete.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig, ENV } from '../core/index.ts';
import { createMigrateHandler, isDatabaseResuming, SCHEMA_RESOURCE_ID } from '../infra/index.ts';
import { DataApiServer, openDatabase, type SqlDatabase } from '../local/index.ts';
import { loadMigrations } from '../schema/index.ts';

const target = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:migrate-test',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:migrate-test',
  database: 'sluice',
};

const event = (RequestType: 'Create' | 'Update' | 'Delete'): CdkCustomResourceEvent => ({
  RequestType, PhysicalResourceId: SCHEMA_RESOURCE_ID, ServiceToken: 'x', ResponseURL: 'x', StackId: 'x', RequestId: 'x',
  LogicalResourceId: 'Schema', ResourceType: 'Custom::SluiceSchema', ResourceProperties: { ServiceToken: 'x' }, OldResourceProperties: {},
} as unknown as CdkCustomResourceEvent);

const plenty = { getRemainingTimeInMillis: () => 600_000 };

describe('schema custom resource handler', () => {
  let pgDir: string;
  let database: SqlDatabase;
  let dataApi: DataApiServer;
  let client: RDSDataClient;
  const migrations = loadMigrations();
  const names = migrations.map((m) => m.name);
  const build = (extra: Partial<Parameters<typeof createMigrateHandler>[0]> = {}) =>
    createMigrateHandler({ client, target, loadMigrations: () => migrations, resumeWaitMs: 100, safetyMarginMs: 0, ...extra });

  beforeAll(async () => {
    pgDir = mkdtempSync(join(tmpdir(), 'sluice-migrate-pg-'));
    database = await openDatabase({ dataDir: pgDir });
    dataApi = await DataApiServer.start({ database, resourceArn: target.resourceArn, secretArn: target.secretArn, databaseName: target.database });
    client = new RDSDataClient(awsClientConfig({ [ENV.rdsDataEndpoint]: dataApi.endpoint, [ENV.accessKeyId]: 'l', [ENV.secretAccessKey]: 'l' }, 'rdsData'));
  });
  afterEach(() => dataApi.faults.clear());
  afterAll(async () => {
    client?.destroy();
    await dataApi?.close();
    await database?.close();
    rmSync(pgDir, { recursive: true, force: true });
  });

  it('waits while the cluster resumes, then applies every migration once', async () => {
    dataApi.faults.resumingFor(700);
    let waits = 0;
    const handler = build({ sleep: async (ms) => { waits++; await new Promise((r) => setTimeout(r, ms)); } });

    const created = await handler(event('Create'), plenty);
    const again = await handler(event('Update'), plenty);

    expect(waits).toBeGreaterThan(0);
    expect(created).toEqual({ PhysicalResourceId: SCHEMA_RESOURCE_ID, Data: { Applied: names.join(','), Latest: names.at(-1) } });
    expect(again).toEqual({ PhysicalResourceId: SCHEMA_RESOURCE_ID, Data: { Applied: '', Latest: names.at(-1) } });
  });

  it('gives up on a resuming cluster when the invocation has no time left, with the AWS error', async () => {
    dataApi.faults.resumingFor(60_000);
    const handler = build();

    const attempt = handler(event('Update'), { getRemainingTimeInMillis: () => 50 });

    await expect(attempt).rejects.toSatisfy(isDatabaseResuming);
  });

  it('does not retry other errors', async () => {
    dataApi.faults.failNext(1, 'ForbiddenException');
    let waits = 0;
    const handler = build({ sleep: async () => { waits++; } });

    const attempt = handler(event('Update'), plenty);

    await expect(attempt).rejects.toMatchObject({ name: 'ForbiddenException' });
    expect(waits).toBe(0);
  });

  it('keeps the tables on Delete', async () => {
    const handler = build();

    const deleted = await handler(event('Delete'), plenty);

    expect(deleted).toEqual({ PhysicalResourceId: SCHEMA_RESOURCE_ID });
    const t = await database.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'sluice_rollups'");
    expect(t.rows[0]).toEqual(['1']);
  });
});
