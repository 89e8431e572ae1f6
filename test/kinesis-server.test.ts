import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { KinesisServer, type KinesisServerOptions } from '../local/index.ts';
import { KINESIS } from '../core/index.ts';

const servers: KinesisServer[] = [];
async function start(opts: Partial<KinesisServerOptions> = {}) {
  const s = await KinesisServer.start({ streams: [{ name: 'events', shardCount: 4 }], ...opts });
  servers.push(s);
  return { server: s, client: new KinesisClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }) };
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function readAll(client: KinesisClient, shardId: string) {
  const it = await client.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const r = await client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }));
  return r.Records ?? [];
}

describe('local Kinesis server', () => {
  it('serves the default (HTTP/2) SDK client with the stream created on 4 shards', async () => {
    const { client } = await start();
    const shards = await client.send(new ListShardsCommand({ StreamName: 'events' }));
    expect(shards.Shards).toHaveLength(4);
  });

  it('keeps accepted records across a restart on the same data directory', async () => {
    const path = mkdtempSync(join(tmpdir(), 'sluice-kinesis-'));
    const first = await start({ path });
    await first.client.send(new PutRecordsCommand({ StreamName: 'events', Records: [{ PartitionKey: 'a', Data: Buffer.from('one'), ExplicitHashKey: '0' }] }));
    await servers.pop()!.close();
    const second = await start({ path });
    const records = await readAll(second.client, 'shardId-000000000000');
    expect(records.map((r) => Buffer.from(r.Data!).toString())).toEqual(['one']);
  });

  it('rejects a PutRecords call over 5 MiB and a record over 1 MiB counting its partition key', async () => {
    const { client } = await start({ shardWriteLimits: false });
    const big = Buffer.alloc(KINESIS.maxRecordBytes - 2);
    await expect(client.send(new PutRecordsCommand({ StreamName: 'events', Records: [{ PartitionKey: 'abc', Data: big }] })))
      .rejects.toMatchObject({ name: 'InvalidArgumentException' });
    const six = Array.from({ length: 6 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.alloc(KINESIS.maxRecordBytes - 10) }));
    await expect(client.send(new PutRecordsCommand({ StreamName: 'events', Records: six })))
      .rejects.toMatchObject({ name: 'InvalidArgumentException' });
  });

  it('throttles a shard past 1,000 records per second with per-record failures', async () => {
    const second = Date.now();
    const { client } = await start({ clock: () => second }); // every call lands in the same metered second
    const records = Array.from({ length: 500 }, () => ({ PartitionKey: 'hot', Data: Buffer.from('x'), ExplicitHashKey: '1' }));
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await client.send(new PutRecordsCommand({ StreamName: 'events', Records: records })));
    const failed = results.reduce((n, r) => n + (r.FailedRecordCount ?? 0), 0);
    expect(failed).toBe(500); // 1,500 sent into a 1,000/s shard within one second
    const throttled = results.flatMap((r) => r.Records ?? []).filter((r) => r.ErrorCode);
    expect(new Set(throttled.map((r) => r.ErrorCode))).toEqual(new Set(['ProvisionedThroughputExceededException']));
  });

  it('answers injected record failures in line with the request entries', async () => {
    const { server, client } = await start();
    server.faults.failNextRecords(2, 'InternalFailure');
    const r = await client.send(new PutRecordsCommand({
      StreamName: 'events',
      Records: ['a', 'b', 'c'].map((k) => ({ PartitionKey: k, Data: Buffer.from(k) })),
    }));
    expect(r.FailedRecordCount).toBe(2);
    expect(r.Records!.map((x) => x.ErrorCode ?? x.ShardId!.slice(0, 8))).toEqual(['InternalFailure', 'InternalFailure', 'shardId-']);
  });
});
