// `sluice send` of a file larger than one chunk, from several worker threads, against
// a real Kinesis server: every line accounted for by its number in the file, each
// valid event in the stream exactly once. And the chunking of the input on its own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { readRecordEvents, readStreamEvent, type StreamEvent } from '../core/index.ts';
import { KinesisServer } from '../local/index.ts';
import { lineChunks } from '../cli/LineChunks.ts';
import { runCli } from './support/cli.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

async function kinesisServer() {
  const server = await KinesisServer.start({ streams: [{ name: 'events', shardCount: 2 }], shardWriteLimits: false });
  cleanups.push(() => server.close());
  const client = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  cleanups.push(() => client.destroy());
  return { server, client };
}

/** Every event in the stream, from the start of each shard. */
async function streamEvents(client: KinesisClient): Promise<StreamEvent[]> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: 'events' }))).Shards ?? [];
  const events: StreamEvent[] = [];
  for (const shard of shards) {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (;;) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator! }));
      for (const r of page.Records ?? []) {
        const position = { streamArn: 'events', shardId: shard.ShardId!, partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber!, approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000 };
        const read = readRecordEvents(Buffer.from(r.Data!), position, readStreamEvent);
        expect(read.faults).toEqual([]);
        events.push(...read.events);
      }
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
  }
  return events;
}

describe('sluice send from several workers', () => {
  it('sends a file of many chunks from every worker, names each refused line by its number in the file, and puts each valid event in the stream once', async () => {
    const { server, client } = await kinesisServer();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-send-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // ~4.6 MB: several 1 MiB chunks, so both workers get some, and bad lines in different chunks.
    const bad = new Map<number, string>([[3, 'not json'], [9_001, '{"type":"bad type"}'], [17_773, '{"type":"x","value":"NaN"}'], [29_999, '[1,2']]);
    const blank = new Set([2, 15_000, 30_000]);
    const lines: string[] = [];
    for (let n = 1; n <= 30_000; n++) {
      lines.push(bad.get(n) ?? (blank.has(n) ? '  ' : JSON.stringify({ type: 'chunked', value: n, dims: { shard: `s${n % 7}` }, payload: { n, pad: 'x'.repeat(80) } })));
    }
    const file = join(dir, 'events.ndjson');
    // Every seventh line ends with CRLF (a file edited on Windows): numbered the same, kept without the CR.
    writeFileSync(file, lines.map((l, i) => l + ((i + 1) % 7 === 0 ? '\r\n' : '\n')).join(''));

    const r = await runCli(['send', file, '--json', '--workers', '2', '--rejects', join(dir, 'rejects.ndjson')], {
      env: { AWS_ENDPOINT_URL_KINESIS: server.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', SLUICE_STREAM_NAME: 'events', SLUICE_DATA_DIR: dir },
    });
    const inStream = await streamEvents(client);

    const valid = 30_000 - bad.size - blank.size;
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: valid, rejected: bad.size, failed: 0, workers: 2 });
    expect(r.stderr.split('\n').filter((l) => l.startsWith('rejected')).map((l) => Number(/^rejected line (\d+):/.exec(l)![1]))).toEqual([...bad.keys()]);
    expect(r.stderr).toMatch(/rejected line 9001: type: /);
    const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; kind: string; input: string });
    expect(rejects.map((x) => [x.line, x.kind, x.input]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([...bad].map(([n, text]) => [n, 'rejected', text]));
    const ns = inStream.map((e) => (e.payload as { n: number }).n).sort((a, b) => a - b);
    expect(ns).toEqual(Array.from({ length: 30_000 }, (_, i) => i + 1).filter((n) => !bad.has(n) && !blank.has(n)));
    expect(inStream.every((e) => e.value === (e.payload as { n: number }).n)).toBe(true);
  });
});

describe('sluice send to a stream that does not exist', () => {
  it('fails every valid line, keeps each in --rejects with its number, and exits 1', async () => {
    const { server } = await kinesisServer();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-send-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, '{"type":"a"}\nnot json\n{"type":"b","value":2}\n');

    const r = await runCli(['send', file, '--json', '--stream', 'missing', '--workers', '2', '--rejects', join(dir, 'rejects.ndjson')], {
      env: { AWS_ENDPOINT_URL_KINESIS: server.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', SLUICE_DATA_DIR: dir },
    });

    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 0, rejected: 1, failed: 2 });
    expect(r.stderr).toMatch(/failed line 1: .*missing/);
    const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; kind: string; input: string });
    expect(rejects.map((x) => [x.line, x.kind, x.input]).sort((a, b) => (a[0] as number) - (b[0] as number)))
      .toEqual([[1, 'failed', '{"type":"a"}'], [2, 'rejected', 'not json'], [3, 'failed', '{"type":"b","value":2}']]);
  });
});

describe('lineChunks', () => {
  it('cuts any input, in any pieces, into chunks of whole lines that give back the input and the number of each line', async () => {
    const line = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constant(''), fc.constant('{"type":"a"}\r'));
    await fc.assert(fc.asyncProperty(fc.array(line, { maxLength: 40 }), fc.boolean(), fc.array(fc.nat({ max: 50 }), { maxLength: 10 }), async (texts, bom, cuts) => {
      const text = Buffer.from(texts.join('\n'), 'utf8');
      const input = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]) : text;
      const at = [...new Set(cuts.map((c) => Math.min(c, input.length)))].sort((a, b) => a - b);
      const pieces = [0, ...at].map((from, i) => input.subarray(from, [...at, input.length][i])).filter((p) => p.length > 0);
      // What a reader of the file sees: the bytes after a byte order mark, a line per newline and the text after the last.
      const body = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? input.subarray(3) : input;
      const linesOf = (b: Buffer) => {
        const all = b.toString('utf8').split('\n');
        return all[all.length - 1] === '' ? all.slice(0, -1) : all;
      };

      const chunks = [];
      for await (const c of lineChunks(Readable.from(pieces, { objectMode: true }))) chunks.push(c);

      expect(Buffer.concat(chunks.map((c) => c.bytes))).toEqual(body);
      const numbered = chunks.flatMap((c) => {
        const own = linesOf(c.bytes);
        expect(own).toHaveLength(c.lines);
        return own.map((t, i) => [c.firstLine + i, t] as const);
      });
      expect(numbered).toEqual(linesOf(body).map((t, i) => [i + 1, t] as const));
    }), { numRuns: 300 });
  });
});
