import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DescribeDeliveryStreamCommand, FirehoseClient, ListDeliveryStreamsCommand, PutRecordBatchCommand, PutRecordCommand,
} from '@aws-sdk/client-firehose';
import { ARCHIVE_LAYOUT, FIREHOSE } from '../core/index.ts';
import { FirehoseServer, type DeliveryStreamConfig } from '../local/firehose/index.ts';

const servers: FirehoseServer[] = [];
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-firehose-'));
  dirs.push(d);
  return d;
}

function clientFor(endpoint: string): FirehoseClient {
  return new FirehoseClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
}

async function start(streams: Partial<DeliveryStreamConfig>[] = [{}], dataDir = tempDir(), faultInjection = false) {
  const server = await FirehoseServer.start({
    dataDir,
    faultInjection,
    deliveryStreams: streams.map((s, i) => ({ name: `archive${i || ''}`, bucket: 'sluice-archive', ...s })),
  });
  servers.push(server);
  return { server, client: clientFor(server.endpoint), dataDir };
}

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(`{"n":${from + i}}\n`) }));

describe('local Firehose server', () => {
  it('refuses valid JSON of the wrong shape with a 400 SerializationException, never a 500', async () => {
    const { server } = await start();
    const answers: [number, string][] = [];
    for (const body of ['null', '[]', '42', '"archive"']) {
      const res = await fetch(server.endpoint, {
        method: 'POST', body,
        headers: { 'x-amz-target': 'Firehose_20150804.PutRecordBatch', 'content-type': 'application/x-amz-json-1.1' },
      });
      answers.push([res.status, ((await res.json()) as { __type: string }).__type]);
    }
    expect(answers).toEqual(Array.from({ length: 4 }, () => [400, 'SerializationException']));
  });

  it('buffers PutRecordBatch records and writes them, in order, as one object under bucket/YYYY/MM/dd/HH/', async () => {
    const { server, client } = await start();
    const before = Date.now();

    const res = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(3) }));
    await client.send(new PutRecordCommand({ DeliveryStreamName: 'archive', Record: { Data: Buffer.from('{"n":3}\n') } }));
    const objectsBeforeFlush = server.listObjects('sluice-archive');
    await server.flush();

    expect(res.FailedPutCount).toBe(0);
    expect(res.RequestResponses!.every((r) => typeof r.RecordId === 'string' && r.RecordId.length > 0)).toBe(true);
    expect(objectsBeforeFlush).toEqual([]);
    const objects = server.listObjects('sluice-archive');
    expect(objects).toHaveLength(1);
    const d = new Date(before);
    const hourPrefix = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCHours()).padStart(2, '0')}/`;
    expect(objects[0]!.key.startsWith(hourPrefix)).toBe(true);
    expect(objects[0]!.key.slice(hourPrefix.length)).toMatch(/^archive-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/);
    expect(FirehoseServer.readObject(objects[0]!).toString()).toBe('{"n":0}\n{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  it('answers injected per-record failures in line with the request entries and keeps only accepted records', async () => {
    const { server, client } = await start();
    server.faults.failNextRecords(2);

    const res = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(4) }));
    await server.flush();

    expect(res.FailedPutCount).toBe(2);
    expect(res.RequestResponses!.map((r) => r.ErrorCode ?? 'ok')).toEqual(['ServiceUnavailableException', 'ServiceUnavailableException', 'ok', 'ok']);
    expect(res.RequestResponses![0]!.ErrorMessage).toBeTruthy();
    expect(server.listObjects().map((o) => FirehoseServer.readObject(o).toString()).join('')).toBe('{"n":2}\n{"n":3}\n');
  });

  it('rejects calls over 500 records, a record over 1,000 KiB, 4 MiB per call, and an unknown delivery stream', async () => {
    const { server, client } = await start();

    const put = (Records: { Data: Uint8Array }[], DeliveryStreamName = 'archive') =>
      client.send(new PutRecordBatchCommand({ DeliveryStreamName, Records })).then(() => 'accepted', (err: Error) => err.name);

    const outcomes = await Promise.all([
      put(lines(FIREHOSE.maxRecordsPerBatch + 1)),
      put([{ Data: Buffer.alloc(FIREHOSE.maxRecordBytes + 1) }]),
      put(Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(FIREHOSE.maxRecordBytes) }))),
      put(lines(1), 'nope'),
      put([]),
    ]);

    expect(outcomes).toEqual(['ValidationException', 'ValidationException', 'InvalidArgumentException', 'ResourceNotFoundException', 'ValidationException']);
    await server.flush();
    expect(server.listObjects()).toEqual([]);
  });

  it('accepts exactly 500 records of 4 MiB in total', async () => {
    const { client } = await start();
    const per = Math.floor(FIREHOSE.maxBytesPerBatch / FIREHOSE.maxRecordsPerBatch);

    const res = await client.send(new PutRecordBatchCommand({
      DeliveryStreamName: 'archive', Records: Array.from({ length: FIREHOSE.maxRecordsPerBatch }, () => ({ Data: Buffer.alloc(per, 0x61) })),
    }));

    expect(res.FailedPutCount).toBe(0);
    expect(res.RequestResponses).toHaveLength(FIREHOSE.maxRecordsPerBatch);
  });

  it('writes an object once the buffer size is reached, and after the buffer interval', async () => {
    const { server, client } = await start([{ bufferSizeBytes: 64 }, { bufferIntervalMs: 50, bucket: 'other-bucket' }]);

    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(10) }));
    const bySize = server.listObjects('sluice-archive');
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive1', Records: lines(2) }));
    while (server.listObjects('other-bucket').length === 0) await new Promise((r) => setTimeout(r, 20));

    expect(bySize).toHaveLength(1);
    expect(FirehoseServer.readObject(bySize[0]!).toString().split('\n').filter(Boolean)).toHaveLength(10);
    expect(FirehoseServer.readObject(server.listObjects('other-bucket')[0]!).toString()).toBe('{"n":0}\n{"n":1}\n');
  });

  it('gzips objects and evaluates !{timestamp:...} prefixes', async () => {
    const { server, client } = await start([{ compression: 'GZIP', prefix: 'raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/' }]);
    const year = new Date().getUTCFullYear();

    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(2) }));
    const [obj] = await server.flush();

    expect(obj!.key).toMatch(new RegExp(`^raw/year=${year}/month=\\d{2}/archive-1-.*\\.gz$`));
    expect(FirehoseServer.readObject(obj!).toString()).toBe('{"n":0}\n{"n":1}\n');
  });

  it('writes records whose delivery fails under the error output prefix as Firehose error documents, the rest under the data prefix', async () => {
    const { server, client } = await start([{ compression: 'GZIP', prefix: ARCHIVE_LAYOUT.dataPrefix, errorOutputPrefix: ARCHIVE_LAYOUT.errorPrefix }]);
    server.faults.failDelivery({ text: '"n":1}', count: 1 });
    const before = Date.now();

    const res = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(3) }));
    await server.flush();
    const objects = server.listObjects('sluice-archive');
    const errors = objects.filter((o) => o.key.startsWith('errors/'));
    const data = objects.filter((o) => !o.key.startsWith('errors/'));

    expect(res.FailedPutCount).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.key).toMatch(/^errors\/processing-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/archive-1-.*\.gz$/);
    const docs = FirehoseServer.readObject(errors[0]!).toString().trim().split('\n').map((l) => JSON.parse(l) as { attemptsMade: number; errorCode: string; rawData: string; arrivalTimestamp: number });
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ attemptsMade: 1, errorCode: 'Lambda.FunctionError', rawData: Buffer.from('{"n":1}\n').toString('base64') });
    expect(docs[0]!.arrivalTimestamp).toBeGreaterThanOrEqual(before);
    expect(data.map((o) => FirehoseServer.readObject(o).toString())).toEqual(['{"n":0}\n{"n":2}\n']);
  });

  it('takes faults over HTTP at /_sluice/faults when fault injection is on, and answers them through the SDK', async () => {
    const { server, client } = await start([{}], tempDir(), true);
    const admin = (method: string, body?: unknown) => fetch(`${server.endpoint}/_sluice/faults`, { method, ...(body ? { body: JSON.stringify(body) } : {}) })
      .then(async (r) => ({ status: r.status, body: await r.json() as Record<string, unknown> }));

    const posted = await Promise.all([
      admin('POST', { kind: 'failRecords', count: 1 }),
      admin('POST', { kind: 'failCalls', operation: 'PutRecordBatch', count: 1, code: 'ServiceUnavailableException', status: 503 }),
      admin('POST', { kind: 'failDelivery', text: '"n":2}' }),
    ]);
    const refused = await admin('POST', { kind: 'explode' });
    const whole = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(3) })).then(() => 'ok', (e: Error) => e.name);
    const partial = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(3) }));
    await server.flush();
    const keys = server.listObjects().map((o) => o.key);
    await admin('POST', { kind: 'failRecords', count: 5 });
    const cleared = await admin('DELETE');

    expect(posted.every((p) => p.status === 200)).toBe(true);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/unknown fault kind/);
    expect(whole).toBe('ServiceUnavailableException');
    expect(partial.FailedPutCount).toBe(1);
    expect(keys.filter((k) => k.startsWith('processing-failed/'))).toHaveLength(1);
    expect(cleared.body).toEqual({ recordFailures: 0, callErrors: 0, recordMatchers: 0, deliveryFailures: 0 });
  });

  it('serves no fault API unless fault injection is on', async () => {
    const { server } = await start();

    const res = await fetch(`${server.endpoint}/_sluice/faults`, { method: 'POST', body: JSON.stringify({ kind: 'failRecords' }) });

    expect(res.status).toBe(400);
    expect(server.faults.pending().recordFailures).toBe(0);
  });

  it('describes and lists its delivery streams', async () => {
    const { client } = await start([{ bufferSizeBytes: 5 * 1024 * 1024, bufferIntervalMs: 300_000, prefix: 'events/', errorOutputPrefix: 'errors/' }]);

    const d = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'archive' }));
    const l = await client.send(new ListDeliveryStreamsCommand({}));

    expect(d.DeliveryStreamDescription).toMatchObject({ DeliveryStreamName: 'archive', DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut' });
    expect(d.DeliveryStreamDescription!.Destinations![0]!.ExtendedS3DestinationDescription).toMatchObject({
      BucketARN: 'arn:aws:s3:::sluice-archive', Prefix: 'events/', ErrorOutputPrefix: 'errors/',
      BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 }, CompressionFormat: 'UNCOMPRESSED',
    });
    expect(l.DeliveryStreamNames).toEqual(['archive']);
  });

  it('keeps every acknowledged record when the process is killed, and writes it on the next start', async () => {
    const dataDir = tempDir();
    const script = join(dataDir, 'serve.mts');
    const entry = resolve('local/firehose/index.ts');
    writeFileSync(script, `import { FirehoseServer } from ${JSON.stringify(entry)};
const s = await FirehoseServer.start({ dataDir: ${JSON.stringify(join(dataDir, 'data'))}, deliveryStreams: [{ name: 'archive', bucket: 'sluice-archive' }] });
process.stdout.write(s.endpoint + '\\n');
`);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const endpoint = await new Promise<string>((ok, fail) => {
      let out = '';
      child.stdout!.on('data', (c) => {
        out += String(c);
        if (out.includes('\n')) ok(out.trim());
      });
      child.once('exit', (code) => fail(new Error(`child exited with ${code}`)));
    });
    const client = clientFor(endpoint);
    for (let i = 0; i < 5; i++) await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: lines(100, i * 100) }));
    client.destroy();

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const { server } = await start([{}], join(dataDir, 'data'));

    const content = server.listObjects('sluice-archive').map((o) => FirehoseServer.readObject(o).toString()).join('');
    expect(content).toBe(Array.from({ length: 500 }, (_, i) => `{"n":${i}}\n`).join(''));
  });
});
