// The walking skeleton end to end, in-process: the whole local stack on free ports
// and a fresh data directory, 10,000 events through the producer SDK, and then the
// rollups must equal the totals of what was sent and the archive must hold every
// event id exactly once. Runs on the embedded PostgreSQL (the default), and on the
// PostgreSQL DATABASE_URL names when it is set.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, RESOURCE_NAMES, awsClientConfig, deaggregate, recordFormat } from '../core/index.ts';
import { KinesisProducer } from '../producers/index.ts';
import { queryRollups } from '../query/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';
import { expectedMinuteRollups, makeEvents } from './support/events.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';

/** Cents of a decimal string, exactly (no float on the way). */
function centsOf(decimal: string): bigint {
  const [int, frac = ''] = decimal.split('.');
  const neg = int!.startsWith('-');
  const cents = BigInt(int!.replace('-', '')) * 100n + BigInt((frac + '00').slice(0, 2));
  if (frac.slice(2).replace(/0/g, '') !== '') throw new Error(`${decimal} has more than two decimals`);
  return neg ? -cents : cents;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

const modes = [
  { name: 'embedded PostgreSQL (default)', external: false },
  { name: 'PostgreSQL (DATABASE_URL)', external: true },
];

describe.each(modes)('pipeline end to end on $name', ({ external }) => {
  let stack: LocalStack;
  let scratch: ScratchDatabase | undefined;
  let dataDir: string;
  const skip = external && !process.env.DATABASE_URL;

  beforeAll(async () => {
    if (skip) return;
    // The handlers' EMF lines would flood the test output; their content is tested elsewhere.
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
    scratch = external ? await scratchDatabaseUrl() : undefined;
    stack = await startStack({ dataDir, ...(scratch ? { databaseUrl: scratch.url } : {}) });
  });

  afterAll(async () => {
    if (skip) return;
    await stack?.stop();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(skip)('rolls 10,000 events up exactly and archives each once', async () => {
    const events = makeEvents(10_000, { seed: 1 });
    const kinesis = new KinesisClient(awsClientConfig(stack.env, 'kinesis'));
    const producer = new KinesisProducer({ client: kinesis, streamName: stack.env[ENV.streamName]! });
    const results = await Promise.all(events.map((e) => producer.send(e)));
    await producer.close();
    kinesis.destroy();
    expect(new Set(results.map((r) => r.shardId)).size).toBe(4); // spread over every shard

    await stack.waitIdle();

    const rdsData = new RDSDataClient(awsClientConfig(stack.env, 'rdsData'));
    const target = { resourceArn: stack.env[ENV.dbClusterArn]!, secretArn: stack.env[ENV.dbSecretArn]!, database: stack.env[ENV.dbName]! };
    for (const [type, byBucket] of expectedMinuteRollups(events)) {
      const got = await queryRollups(rdsData, target, { type });
      const want = [...byBucket].sort(([a], [b]) => a.localeCompare(b));
      expect(got.rows.map((r) => ({ bucket: r.bucket, count: r.count, min: r.min, max: r.max, cents: centsOf(r.sumExact) })))
        .toEqual(want.map(([bucket, r]) => ({ bucket, count: r.count, min: r.min, max: r.max, cents: BigInt(Math.round(r.sum * 100)) })));
    }
    // The producer's lane keys bound the consumer's checkpoints: at most 16 per shard,
    // however many events and Kinesis records went through.
    const checkpoints = await rdsData.send(new ExecuteStatementCommand({ ...target, sql: 'SELECT shard_id, partition_key FROM sluice_checkpoints' }));
    const keys = checkpoints.records!.map(([shard, key]) => `${shard!.stringValue} ${key!.stringValue}`);
    expect(keys.length).toBeLessThanOrEqual(4 * 16);
    for (const key of keys) expect(key).toMatch(/^shardId-\d+ sluice-lane-[0-9a-f]$/);
    rdsData.destroy();

    const archived = listFiles(join(dataDir, 'firehose', 's3', RESOURCE_NAMES.bucket)).flatMap((file) => {
      const raw = readFileSync(file);
      const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
      return text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id);
    });
    expect(archived.length).toBe(events.length);
    expect(new Set(archived)).toEqual(new Set(events.map((e) => e.id)));
  });

  it.skipIf(skip)('puts compressed records from the HTTP ingest endpoint, both ends being sluice', async () => {
    const ids = ['ingest-format-1', 'ingest-format-2'];
    const res = await fetch(stack.env[ENV.ingestUrl]!, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ids.map((id) => ({ id, type: 'ingest_format' }))),
    });
    expect(res.status).toBe(200);

    const kinesis = new KinesisClient(awsClientConfig(stack.env, 'kinesis'));
    const streamName = stack.env[ENV.streamName]!;
    const formats = new Set<string>();
    for (const { ShardId } of (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards!) {
      const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      let iterator = ShardIterator;
      while (iterator) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const r of page.Records!) {
          const data = Buffer.from(r.Data!);
          const inside = deaggregate(data, r.PartitionKey!).map((u) => (JSON.parse(u.data.toString('utf8')) as { id: string }).id);
          if (inside.some((id) => ids.includes(id))) formats.add(recordFormat(data));
        }
        iterator = page.Records!.length > 0 ? page.NextShardIterator : undefined;
      }
    }
    kinesis.destroy();
    expect(formats).toEqual(new Set(['compressed']));
  });
});
