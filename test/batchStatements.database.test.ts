// The aggregator's checkpoint and quarantine statements against the database, through
// the local Data API, on the embedded PostgreSQL, DATABASE_URL's (when set) and PGlite:
// what they store, not how their SQL reads.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { advanceCheckpointsStatements, quarantineStatements, type Statement } from '../consumers/aggregator/index.ts';
import { DataApiSession, fieldText, sqlParameters, TABLES } from '../schema/index.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import { DATABASE_MODES } from './support/database.ts';

const KEY = { streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/events', shardId: 'shardId-000000000000', partitionKey: 'lane-0' };

describe.each(DATABASE_MODES)('batch statements on $name', ({ source, available }) => {
  let fx: DataApiFixture;
  let session: DataApiSession;

  beforeAll(async () => {
    if (!available) return;
    fx = await startDataApiFixture('batch-statements', { database: source });
    session = new DataApiSession(fx.client, fx.target);
  });
  afterAll(async () => fx?.close());
  beforeEach(async () => fx?.reset());

  const run = async (statements: Statement[]) => {
    for (const st of statements) await session.execute(st.sql, { parameters: st.parameters });
  };
  const checkpoint = async (): Promise<string | undefined> => {
    const rows = await session.execute(`SELECT sequence_number::text FROM ${TABLES.checkpoints} WHERE stream_arn = :s AND shard_id = :h AND partition_key = :p`,
      { parameters: sqlParameters({ s: KEY.streamArn, h: KEY.shardId, p: KEY.partitionKey }) });
    return rows[0] ? (fieldText(rows[0][0]!) ?? undefined) : undefined;
  };

  it.runIf(available)('advances a checkpoint by sequence-number order (9 < 10 < 49…), never back, as text order would', async () => {
    await session.execute(`INSERT INTO ${TABLES.checkpoints} (stream_arn, shard_id, partition_key, sequence_number) VALUES (:s, :h, :p, 9)`,
      { parameters: sqlParameters({ s: KEY.streamArn, h: KEY.shardId, p: KEY.partitionKey }) });

    await run(advanceCheckpointsStatements([{ ...KEY, sequenceNumber: '10' }]));
    const afterTen = await checkpoint();
    const big = '49590338271490256608559692538361571095921575989136588898';
    await run(advanceCheckpointsStatements([{ ...KEY, sequenceNumber: big }]));
    await run(advanceCheckpointsStatements([{ ...KEY, sequenceNumber: '5' }, { ...KEY, partitionKey: 'no-such-lane', sequenceNumber: '7' }]));

    expect(afterTen).toBe('10');
    expect(await checkpoint()).toBe(big);
  });

  it.runIf(available)('quarantines a record\'s raw bytes exactly, binary and larger than one slice alike', async () => {
    const small = Buffer.from([0xf3, 0x89, 0, 1, 2, 0xff]);
    // Past the 2 MiB first slice, so the tail goes in by appends.
    const large = Buffer.from(Array.from({ length: 2 * 1024 * 1024 + 70_000 }, (_, i) => (i * 7919) & 0xff));
    const poison = [small, large].map((raw, i) => ({ ...KEY, sequenceNumber: String(100 + i), subSequenceNumber: -1, raw, reason: `bad\u0000record ${i}` }));

    await run(quarantineStatements(poison));

    // Length and digest: the bytes themselves would pass the Data API's 1 MiB response limit.
    const rows = await session.execute(`SELECT octet_length(raw), md5(raw), reason FROM ${TABLES.quarantine} ORDER BY sequence_number`);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
    expect(rows.map((r) => r.map((f) => fieldText(f)))).toEqual([
      [String(small.length), md5(small), 'bad\\0record 0'],
      [String(large.length), md5(large), 'bad\\0record 1'],
    ]);
  });
});
