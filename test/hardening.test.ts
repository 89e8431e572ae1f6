// The front door and the local stack against hostile and unlucky input (issue 12):
// one test per defect found by probing `npm start`, each through the real part.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { EVENT_LIMITS, EventValidationError, deserializeEvent } from '../core/index.ts';
import { DataDirError, FirehoseServer, KinesisServer, StackLockedError, startStack } from '../local/index.ts';
import { StackLock } from '../local/StackLock.ts';
import { CheckpointFile } from '../local/runner/CheckpointFile.ts';
import { KinesisProducer, createIngestHandler, type IngestResult } from '../producers/index.ts';
import { runCli } from './support/cli.ts';
import { mountTmpfs, type Tmpfs } from './support/tmpfs.ts';
import { objectContaining, stringContaining, stringMatching } from './support/matchers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));

async function kinesisServer(options: Parameters<typeof KinesisServer.start>[0] = {}) {
  const server = await KinesisServer.start({ streams: [{ name: 'events', shardCount: 1 }], shardWriteLimits: false, ...options });
  cleanups.push(() => server.close());
  const client = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  cleanups.push(() => client.destroy());
  return { server, client };
}

/** The ingest endpoint on a real producer and Kinesis server. */
async function ingest() {
  const { server: kinesis, client } = await kinesisServer();
  const producer = new KinesisProducer({ client, streamName: 'events', maxBufferTimeMs: 10 });
  cleanups.push(async () => { await producer.close({ deadline: Date.now() }); });
  const server = http.createServer(createIngestHandler(producer));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
  const post = async (body: Buffer | string, contentType = 'application/json') => {
    const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': contentType } });
    return { status: res.status, body: (await res.json()) as IngestResult };
  };
  return { kinesis, post };
}

/** `sluice send` against a Kinesis server, the way a user runs it. */
function send(kinesis: KinesisServer, file: string, ...args: string[]) {
  return runCli(['send', file, '--json', ...args], {
    env: { AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', SLUICE_STREAM_NAME: 'events', SLUICE_DATA_DIR: tmp('no-stack') },
  });
}

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** An event whose dims.country holds 0xFF, a byte that is never UTF-8. */
const notUtf8Event = Buffer.concat([Buffer.from('{"type":"visit","dims":{"country":"J'), Buffer.from([0xff]), Buffer.from('P"}}')]);

function procStartTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('1. a lock whose owner is not a live sluice stack on the directory', () => {
  it('is taken over when it names this very pid (a restarted container) or a live unrelated process, and still refuses a live owner', () => {
    const dir = tmp('lock');
    const file = join(dir, 'stack.pid');
    const unrelated = spawn('sleep', ['30']);
    cleanups.push(() => { unrelated.kill(); });
    const stale = [
      String(process.pid), // a release before start times, and the pid is ours now
      JSON.stringify({ pid: process.pid, startTime: '1' }),
      JSON.stringify({ pid: unrelated.pid, startTime: '1' }), // alive, but started after the lock was written
    ];

    for (const content of stale) {
      writeFileSync(file, content);
      const lock = StackLock.acquire(dir);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pid: process.pid, startTime: procStartTime(process.pid) });
      lock.release();
    }

    writeFileSync(file, JSON.stringify({ pid: unrelated.pid, startTime: procStartTime(unrelated.pid!) }));
    expect(() => StackLock.acquire(dir)).toThrow(StackLockedError);
    writeFileSync(file, '');
    const held = StackLock.acquire(dir);
    expect(() => StackLock.acquire(dir)).toThrow(/this process already runs a stack/);
    held.release();
  });
});

describe('2. a full disk', () => {
  let fs: Tmpfs | undefined;
  afterEach(() => {
    fs?.unmount();
    fs = undefined;
  });
  const canMount = (() => {
    const probe = mountTmpfs(64);
    probe?.unmount();
    return probe !== undefined;
  })();

  it.skipIf(!canMount)('turns Kinesis writes into retryable 503s, keeps serving, and writes again once there is room', async () => {
    fs = mountTmpfs(16 * 1024)!;
    const { client } = await kinesisServer({ path: join(fs.dir, 'kinesis') });
    const put = (tag: string) => client.send(new PutRecordsCommand({ StreamName: 'events', Records: [{ PartitionKey: 'k', Data: Buffer.alloc(64 * 1024, tag) }] }));
    await put('a');

    fs.fill();
    const refused = await put('b').catch((err: Error & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }) => err);
    fs.free();
    await put('c');

    expect(refused).toMatchObject({ name: 'ServiceUnavailable', message: stringMatching(/could not write .*No space left on device/), $metadata: { httpStatusCode: 503 } });
    const it = await client.send(new GetShardIteratorCommand({ StreamName: 'events', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const records = (await client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }))).Records ?? [];
    expect(records.map((r) => Buffer.from(r.Data!).toString('latin1', 0, 1))).toEqual(['a', 'c']);
  });

  it.skipIf(!canMount)('turns Firehose writes into 503 ServiceUnavailableException, leaves no temporary or torn file, and resumes', async () => {
    fs = mountTmpfs(8 * 1024)!;
    const dataDir = join(fs.dir, 'firehose');
    const server = await FirehoseServer.start({ dataDir, deliveryStreams: [{ name: 'archive', bucket: 'archive-bucket', bufferSizeBytes: 64 * 1024 * 1024, bufferIntervalMs: 3_600_000 }] });
    cleanups.push(() => server.close());
    const client = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const put = (tag: string) => client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: [{ Data: Buffer.from(`${tag}${'.'.repeat(20_000)}\n`) }] }));
    await put('a');

    fs.fill();
    const refused = await put('b').catch((err: Error) => err);
    const flushRefused = await server.flush().catch((err: Error) => err);
    fs.free();
    await put('c');
    const [object] = await server.flush();

    expect(refused).toMatchObject({ name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } });
    expect(flushRefused).toMatchObject({ name: 'FirehoseStorageError' });
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
    expect(FirehoseServer.readObject(object!).toString().split('\n').filter(Boolean).map((l) => l[0])).toEqual(['a', 'c']);
  });

  it.skipIf(!canMount)('keeps runner checkpoints in memory without a stray .tmp file, and writes them once there is room', async () => {
    fs = mountTmpfs(256)!;
    const path = join(fs.dir, 'runner', 'aggregator.json');
    const checkpoints = new CheckpointFile(path, 'events', 'aggregator');
    checkpoints.set('shardId-000000000000', '100');
    await checkpoints.save();

    fs.fill();
    checkpoints.set('shardId-000000000000', '200');
    await checkpoints.save();
    const whileFull = { error: checkpoints.lastWriteError, files: readdirSync(join(fs.dir, 'runner')) };
    fs.free();
    checkpoints.set('shardId-000000000000', '300');
    await checkpoints.save();

    expect(whileFull).toEqual({ error: objectContaining({ code: 'ENOSPC' }), files: ['aggregator.json'] });
    const reread = new CheckpointFile(path, 'events', 'aggregator');
    reread.load();
    expect(reread.get('shardId-000000000000')).toEqual({ sequenceNumber: '300' });
    expect(checkpoints.lastWriteError).toBeUndefined();
  });
});

describe('3. an event nested deeper than the limit', () => {
  it('is rejected naming the payload, by the ingest endpoint (400, not a retryable 503) and by sluice send (rejected, not failed)', async () => {
    const { kinesis, post } = await ingest();
    const file = join(tmp('send'), 'events.ndjson');
    writeFileSync(file, `{"type":"ok","payload":${deep(EVENT_LIMITS.maxPayloadDepth)}}\n{"type":"deep","payload":${deep(5000)}}\n`);

    const res = await post(`[{"type":"deep","payload":${deep(5000)}}]`);
    const cli = await send(kinesis, file);

    expect(res.status).toBe(400);
    expect(res.body.results[0]).toMatchObject({ status: 'rejected', field: 'payload', message: stringContaining(`deeper than ${EVENT_LIMITS.maxPayloadDepth} levels`) });
    expect(JSON.parse(cli.stdout)).toMatchObject({ accepted: 1, rejected: 1, failed: 0 });
    expect(cli.stderr).toMatch(/rejected line 2: payload: nests arrays and objects deeper than/);
    expect(cli.code).toBe(1);
  });
});

describe('4. bytes that are not UTF-8', () => {
  it('are rejected naming the field, in JSON and NDJSON bodies, by sluice send and by the consumer, never stored as U+FFFD', async () => {
    const { kinesis, post } = await ingest();
    const dir = tmp('send');
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, Buffer.concat([Buffer.from('{"type":"ok"}\n'), notUtf8Event, Buffer.from('\n')]));

    const array = await post(Buffer.concat([Buffer.from('[{"type":"ok"},'), notUtf8Event, Buffer.from(']')]));
    const ndjson = await post(Buffer.concat([notUtf8Event, Buffer.from('\n{"type":"ok"}\n')]), 'application/x-ndjson');
    const cli = await send(kinesis, file, '--rejects', join(dir, 'rejects.ndjson'));
    const consumer = (() => { try { return deserializeEvent(Buffer.concat([Buffer.from('{"id":"a","ts":1764338400000,'), notUtf8Event.subarray(1)])); } catch (err) { return err; } })();

    const rejectedCountry = { status: 'rejected', field: 'dims.country', message: stringContaining('not valid UTF-8') };
    expect(array.status).toBe(207);
    expect(array.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected']);
    expect(array.body.results[1]).toMatchObject(rejectedCountry);
    expect(ndjson.body.results[0]).toMatchObject({ ...rejectedCountry, line: 1 });
    expect(JSON.parse(cli.stdout)).toMatchObject({ accepted: 1, rejected: 1, failed: 0 });
    const kept = JSON.parse(readFileSync(join(dir, 'rejects.ndjson'), 'utf8')) as { inputBase64: string; reason: string };
    expect(Buffer.from(kept.inputBase64, 'base64')).toEqual(notUtf8Event); // nothing lost, byte for byte
    expect(kept.reason).toMatch(/^dims\.country: is not valid UTF-8/);
    expect(consumer).toBeInstanceOf(EventValidationError);
    expect(consumer).toMatchObject({ field: 'dims.country' });
  });
});

describe('5. a Kinesis request of the wrong shape', () => {
  it('gets the 400 error type Kinesis uses, never a 500 the SDK would retry', async () => {
    const { server } = await kinesisServer();
    const call = async (body: string) => {
      const res = await fetch(server.endpoint, {
        method: 'POST', body,
        headers: {
          'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords', 'x-amz-date': '20260101T000000Z',
          authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0',
        },
      });
      return [res.status, ((await res.json()) as { __type: string }).__type];
    };

    const answers = await Promise.all(['null', '{"Records":"abc"}', '{"Records":[null]}', '{"StreamName":"events","Records":[{"PartitionKey":"k","Data":5}]}'].map(call));

    expect(answers).toEqual([[400, 'SerializationException'], [400, 'SerializationException'], [400, 'ValidationException'], [400, 'SerializationException']]);
  });
});

describe('6. the Kinesis front', () => {
  it('answers slow headers with 408, closes a silent connection, and refuses a 100 MB body with 413 without buffering it', async () => {
    const { server } = await kinesisServer({ timeouts: { headersMs: 500, idleMs: 1000 } });
    const raw = (write: (s: net.Socket) => void) => new Promise<string>((resolve) => {
      const s = net.connect(server.port, '127.0.0.1', () => write(s));
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.on('error', () => {});
      s.on('close', () => resolve(out));
    });
    let trickle: NodeJS.Timeout | undefined;
    const slowHeaders = raw((s) => {
      s.write('POST / HTTP/1.1\r\nHost: x\r\n');
      trickle = setInterval(() => s.writable && s.write('x-slow: 1\r\n'), 100);
    });
    const silent = raw(() => {});
    const heapBefore = process.memoryUsage().heapUsed;
    const big = await fetch(server.endpoint, {
      method: 'POST', body: Buffer.alloc(100 * 1024 * 1024, 0x61),
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords' },
    }).then(async (r) => [r.status, await r.json()] as const).catch((err: Error) => err);

    const slow = await slowHeaders;
    clearInterval(trickle);
    expect(slow).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(slow.slice(slow.indexOf('\r\n\r\n') + 4))).toMatchObject({ __type: 'RequestTimeout' });
    expect(await silent).toBe('');
    // fetch may see the reset of the upload before the answer; either way nothing was buffered.
    if (!(big instanceof Error)) expect(big).toEqual([413, objectContaining({ __type: 'InvalidArgumentException' })]);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(220 * 1024 * 1024); // the client's own 100 MB body is in this heap too
  });
});

describe('7. a read-only data directory', () => {
  // A read-only mount where the machine allows it, else a directory without write
  // permission (which root could still write: there the test cannot be set up).
  const ro = mountTmpfs(64, true);
  afterEach(() => ro?.unmount());

  it.skipIf(!ro && process.getuid?.() === 0)('stops the start with the OS error and the path, not ENOENT', async () => {
    const dir = ro?.dir ?? tmp('ro');
    if (!ro) chmodSync(dir, 0o555);

    const err = await startStack({ dataDir: dir }).catch((e: Error) => e);

    expect(err).toBeInstanceOf(DataDirError);
    expect((err as Error).message).toMatch(new RegExp(`cannot use the data directory ${dir}: (EROFS|EACCES) .*stack\\.pid`));
  });
});

describe('8. a leading byte order mark', () => {
  it('is stripped from JSON-array and NDJSON bodies and from files sluice send reads', async () => {
    const { kinesis, post } = await ingest();
    const file = join(tmp('send'), 'events.ndjson');
    writeFileSync(file, Buffer.concat([BOM, Buffer.from('{"type":"first"}\n{"type":"second"}\n')]));

    const array = await post(Buffer.concat([BOM, Buffer.from('[{"type":"a"},{"type":"b"}]')]));
    const ndjson = await post(Buffer.concat([BOM, Buffer.from('{"type":"a"}\n{"type":"b"}\n')]), 'application/x-ndjson');
    const cli = await send(kinesis, file);

    expect([array.status, array.body.accepted]).toEqual([200, 2]);
    expect([ndjson.status, ndjson.body.accepted]).toEqual([200, 2]);
    expect(JSON.parse(cli.stdout)).toMatchObject({ accepted: 2, rejected: 0, failed: 0 });
    expect(cli.code).toBe(0);
  });
});
