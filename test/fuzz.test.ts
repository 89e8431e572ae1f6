// Fuzzing the local stack's front doors (issue 12): arbitrary bytes, JSON of every
// shape and arbitrary headers, at the ingest endpoint, the Kinesis front, the Data API
// and the Firehose endpoint of one running stack. Every answer must be a 2xx or a 4xx
// with a JSON body (never a 5xx a client would retry, never a bare or dropped
// connection), the stack must keep serving, and memory must stay bounded.
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, RESOURCE_NAMES, awsClientConfig } from '../core/index.ts';
import { LOCAL_DB_CLUSTER_ARN, LOCAL_DB_SECRET_ARN, startStack, type LocalStack } from '../local/index.ts';

let stack: LocalStack;
beforeAll(async () => {
  // The consumers' EMF metrics and INFO logs would bury the test's output.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  stack = await startStack({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-fuzz-')) });
});
afterAll(async () => {
  await stack?.stop();
});

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer }
interface Probe { method: string; path: string; headers: Record<string, string>; body: Uint8Array }

/** One request on its own connection; the answer, or the error that ended the connection. */
function request(endpoint: string, p: Probe): Promise<Answer> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, method: p.method, path: p.path, agent: false,
      headers: { ...p.headers, 'content-length': String(p.body.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(p.body);
  });
}

/** Raw bytes on a connection, then end: the status line and body of what comes back ('' for nothing). */
function raw(endpoint: string, bytes: Uint8Array): Promise<string> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const s = net.connect(Number(url.port), url.hostname, () => s.end(bytes));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => resolve(out));
  });
}

/** 2xx or 4xx, and a JSON body (an object) whenever there is one; 4xx always has one. */
function expectWellAnswered(a: Answer, what: string): void {
  expect(a.status, what).toBeGreaterThanOrEqual(200);
  expect(a.status, `${what}\n-> ${a.status} ${a.body.toString().slice(0, 300)}`).toBeLessThan(500);
  if (a.status >= 400 || a.body.length > 0) {
    let parsed: unknown;
    expect(() => { parsed = JSON.parse(a.body.toString('utf8')); }, `${what}\n-> ${a.status} ${a.body.toString().slice(0, 300)}`).not.toThrow();
    expect(typeof parsed, what).toBe('object');
  }
}

const AMZ_JSON = 'application/x-amz-json-1.1';
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade'].includes(n));
const headerValue = fc.string({ maxLength: 60, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const extraHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 4 });
const contentType = (...likely: string[]) => fc.oneof(fc.constantFrom(...likely, 'application/json', 'text/plain', 'application/x-ndjson', 'application/x-amz-json-1.0', ''), headerValue);

/** JSON of every shape, with the occasional deep nest, BOM, or byte that is not UTF-8 spliced in. */
const jsonText = fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v));
const spice = (text: fc.Arbitrary<string>) => fc.tuple(text, fc.constantFrom('none', 'bom', 'deep', 'ff', 'truncate')).map(([t, how]) => {
  const b = Buffer.from(t);
  if (how === 'bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
  if (how === 'deep') return Buffer.from(t.replace(/null|true|false|\d+/, `${'['.repeat(3000)}${']'.repeat(3000)}`));
  if (how === 'ff') return Buffer.concat([b.subarray(0, b.length >> 1), Buffer.from([0xff, 0xc0]), b.subarray(b.length >> 1)]);
  if (how === 'truncate') return b.subarray(0, b.length >> 1);
  return b;
});
const bytes = fc.uint8Array({ maxLength: 2048 });

/** Field values that are right, wrong-typed, or absent, so requests reach deep into each handler. */
const anyOf = <T>(good: fc.Arbitrary<T>) => fc.oneof(good, good, fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
const event = fc.record({
  type: anyOf(fc.constantFrom('page_view', 'order', 'x', 'Bad Type')), id: anyOf(fc.string({ maxLength: 70 })),
  ts: anyOf(fc.oneof(fc.integer(), fc.constantFrom('2026-11-28T14:00:00Z', 'yesterday'))), value: anyOf(fc.double()),
  dims: anyOf(fc.dictionary(fc.constantFrom('country', 'page', 'Bad', 'user'), fc.string({ maxLength: 300 }), { maxKeys: 20 })),
  payload: fc.jsonValue({ maxDepth: 3 }),
}, { requiredKeys: [] });
const base64 = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));

const ingestBody = fc.oneof(
  bytes.map((b) => Buffer.from(b)),
  spice(jsonText),
  spice(fc.array(event, { maxLength: 20 }).map((evs) => JSON.stringify(evs))),
  spice(fc.array(event, { maxLength: 20 }).map((evs) => evs.map((e) => JSON.stringify(e)).join('\n'))),
);
const kinesisBody = fc.oneof(
  bytes.map((b) => Buffer.from(b)),
  spice(jsonText),
  spice(fc.record({
    StreamName: anyOf(fc.constantFrom(RESOURCE_NAMES.stream, 'nope')),
    Records: anyOf(fc.array(fc.record({ Data: anyOf(base64), PartitionKey: anyOf(fc.string({ maxLength: 300 })), ExplicitHashKey: anyOf(fc.constantFrom('0', '-1', '340282366920938463463374607431768211456', 'x')) }, { requiredKeys: [] }), { maxLength: 10 })),
    Data: anyOf(base64), PartitionKey: anyOf(fc.string({ maxLength: 10 })),
    ShardId: anyOf(fc.constantFrom('shardId-000000000000', 'shardId-x')), ShardIteratorType: anyOf(fc.constantFrom('TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER')),
    ShardIterator: anyOf(fc.string()), Limit: anyOf(fc.integer()),
  }, { requiredKeys: [] }).map((r) => JSON.stringify(r))),
);
const kinesisTarget = fc.oneof(
  fc.constantFrom('PutRecords', 'PutRecord', 'GetRecords', 'GetShardIterator', 'DescribeStream', 'DescribeStreamSummary', 'ListShards', 'ListStreams', 'SplitShard', 'Nope')
    .map((op) => `Kinesis_20131202.${op}`),
  headerValue,
);
const kinesisAuth = fc.constantFrom(
  { authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0', 'x-amz-date': '20260101T000000Z' },
  {} as Record<string, string>,
);

const dataApiBody = fc.oneof(
  bytes.map((b) => Buffer.from(b)),
  spice(jsonText),
  spice(fc.record({
    resourceArn: anyOf(fc.constant(() => stack.env[ENV.dbClusterArn]!)), secretArn: anyOf(fc.constant(() => stack.env[ENV.dbSecretArn]!)),
    database: anyOf(fc.constantFrom(RESOURCE_NAMES.database, 'other')),
    sql: anyOf(fc.oneof(fc.constantFrom('SELECT 1', 'SELECT $1', 'SELECT :a::int', 'SELECT repeat(\'x\', 100)', 'SELEC'), fc.string({ maxLength: 100 }))),
    parameters: anyOf(fc.array(fc.record({ name: anyOf(fc.constantFrom('a', '1')), value: anyOf(fc.oneof(
      fc.record({ longValue: anyOf(fc.integer()) }), fc.record({ stringValue: anyOf(fc.string()) }), fc.record({ isNull: anyOf(fc.boolean()) }),
      fc.record({ blobValue: anyOf(base64) }), fc.record({ doubleValue: anyOf(fc.double()) }), fc.record({ arrayValue: fc.jsonValue({ maxDepth: 3 }) }),
    )) }, { requiredKeys: [] }), { maxLength: 3 })),
    transactionId: anyOf(fc.string({ maxLength: 40 })), includeResultMetadata: anyOf(fc.boolean()),
    formatRecordsAs: anyOf(fc.constantFrom('JSON', 'NONE', 'XML')), parameterSets: anyOf(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 })),
  }, { requiredKeys: [] }).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'function' ? (v as () => string)() : v)))),
);
const dataApiPath = fc.oneof(fc.constantFrom('/Execute', '/BatchExecute', '/BeginTransaction', '/CommitTransaction', '/RollbackTransaction'), fc.webPath());

const firehoseBody = fc.oneof(
  bytes.map((b) => Buffer.from(b)),
  spice(jsonText),
  spice(fc.record({
    DeliveryStreamName: anyOf(fc.constantFrom(RESOURCE_NAMES.deliveryStream, 'nope', '')),
    Records: anyOf(fc.array(anyOf(fc.record({ Data: anyOf(base64) }, { requiredKeys: [] })), { maxLength: 10 })),
    Record: anyOf(fc.record({ Data: anyOf(base64) }, { requiredKeys: [] })),
  }, { requiredKeys: [] }).map((r) => JSON.stringify(r))),
);
const firehoseTarget = fc.oneof(
  fc.constantFrom('PutRecordBatch', 'PutRecord', 'DescribeDeliveryStream', 'ListDeliveryStreams', 'CreateDeliveryStream').map((op) => `Firehose_20150804.${op}`),
  headerValue,
);
const method = fc.oneof(fc.constant('POST'), fc.constant('POST'), fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'));

const RUNS = { numRuns: 150 };

describe('the local stack under fuzzing', () => {
  it('refuses parameters or a parameter set that is not a list with a JSON 400, changing nothing (a case fuzzing found)', async () => {
    const dataApi = stack.env[ENV.rdsDataEndpoint]!;
    const coords = { resourceArn: LOCAL_DB_CLUSTER_ARN, secretArn: LOCAL_DB_SECRET_ARN };
    const cases: [string, Record<string, unknown>][] = [
      ['/BatchExecute', { ...coords, sql: 'SELECT :a', parameterSets: [-3.4e-313, { ' ': null }, ['x']] }],
      ['/BatchExecute', { ...coords, sql: 'SELECT :a', parameterSets: [[{ name: 'a', value: { longValue: 1 } }], 'x'] }],
      ['/Execute', { ...coords, sql: 'SELECT :a', parameters: { name: 'a', value: { longValue: 1 } } }],
    ];
    for (const [path, body] of cases) {
      const answer = await request(dataApi, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
      expectWellAnswered(answer, `${path} ${JSON.stringify(body)}`);
      expect(answer.status).toBe(400);
      expect((JSON.parse(answer.body.toString('utf8')) as { message: string }).message).toMatch(/must be a list/);
    }
  });

  it('answers every request to the four endpoints with a 2xx or a JSON 4xx, keeps serving, and stays within bounded memory', async () => {
    const ingestUrl = new URL(stack.env[ENV.ingestUrl]!);
    const endpoints = {
      ingest: ingestUrl.origin,
      kinesis: stack.env[ENV.kinesisEndpoint]!,
      dataApi: stack.env[ENV.rdsDataEndpoint]!,
      firehose: stack.env[ENV.firehoseEndpoint]!,
    };
    const probes: [keyof typeof endpoints, fc.Arbitrary<Probe>][] = [
      ['ingest', fc.record({ method, path: fc.oneof(fc.constant(ingestUrl.pathname), fc.constant(ingestUrl.pathname), fc.webPath()), body: ingestBody,
        headers: fc.tuple(contentType(), extraHeaders).map(([ct, h]) => ({ ...h, ...(ct ? { 'content-type': ct } : {}) })) })],
      ['kinesis', fc.record({ method, path: fc.constant('/'), body: kinesisBody,
        headers: fc.tuple(contentType(AMZ_JSON, AMZ_JSON, AMZ_JSON), kinesisTarget, kinesisAuth, extraHeaders).map(([ct, target, auth, h]) => ({ ...h, ...auth, 'x-amz-target': target, ...(ct ? { 'content-type': ct } : {}) })) })],
      ['dataApi', fc.record({ method, path: dataApiPath, body: dataApiBody,
        headers: fc.tuple(contentType('application/json'), extraHeaders).map(([ct, h]) => ({ ...h, ...(ct ? { 'content-type': ct } : {}) })) })],
      ['firehose', fc.record({ method, path: fc.constant('/'), body: firehoseBody,
        headers: fc.tuple(contentType(AMZ_JSON, AMZ_JSON), firehoseTarget, extraHeaders).map(([ct, target, h]) => ({ ...h, 'x-amz-target': target, ...(ct ? { 'content-type': ct } : {}) })) })],
    ];
    const garbage = fc.oneof(bytes, fc.constantFrom('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'POST / HTTP/9.9\r\n\r\n',
      `POST / HTTP/1.1\r\nx: ${'a'.repeat(20_000)}\r\n\r\n`).map((s) => Buffer.from(s)));

    // A first round warms every path up, so what the second one adds is growth, not set-up.
    const round = async (runs: number) => {
      for (const [name, probe] of probes) {
        await fc.assert(fc.asyncProperty(probe, async (p) => {
          expectWellAnswered(await request(endpoints[name], p), `${name} ${p.method} ${p.path} ${JSON.stringify(p.headers)} ${Buffer.from(p.body).toString('latin1').slice(0, 300)}`);
        }), { numRuns: runs });
        await fc.assert(fc.asyncProperty(garbage, async (b) => {
          const out = await raw(endpoints[name], b);
          if (out === '') return; // nothing to answer (e.g. an incomplete request line at end of input)
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1]);
          expect(status, `${name} raw ${Buffer.from(b).toString('latin1').slice(0, 100)} -> ${out.slice(0, 200)}`).toBeGreaterThanOrEqual(200);
          expect(status, `${name} raw -> ${out.slice(0, 200)}`).toBeLessThan(500);
          expect(() => { JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)); }, `${name} raw -> ${out.slice(0, 300)}`).not.toThrow();
        }), { numRuns: Math.ceil(runs / 5) });
      }
    };
    await round(20);
    const heapBefore = process.memoryUsage().heapUsed;
    await round(RUNS.numRuns);
    // Bodies larger than each endpoint takes: refused without being held in memory.
    for (const [name, endpoint] of Object.entries(endpoints)) {
      const answer = await request(endpoint, { method: 'POST', path: name === 'ingest' ? ingestUrl.pathname : name === 'dataApi' ? '/Execute' : '/', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(16 * 1024 * 1024, 0x20) })
        .catch(() => undefined); // the server may close the upload before the client reads the answer
      if (answer) expectWellAnswered(answer, `${name} 16 MiB body`);
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

    // Still serving: each part answers its SDK client.
    const env = stack.env;
    const kinesis = new KinesisClient(awsClientConfig(env, 'kinesis'));
    const firehose = new FirehoseClient(awsClientConfig(env, 'firehose'));
    const rdsData = new RDSDataClient(awsClientConfig(env, 'rdsData'));
    try {
      await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: RESOURCE_NAMES.stream }));
      await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: RESOURCE_NAMES.deliveryStream }));
      const one = await rdsData.send(new ExecuteStatementCommand({ resourceArn: env[ENV.dbClusterArn], secretArn: env[ENV.dbSecretArn], database: env[ENV.dbName], sql: 'SELECT 1' }));
      expect(one.records).toEqual([[{ longValue: 1 }]]);
      const accepted = await fetch(ingestUrl, { method: 'POST', body: '[{"type":"after_fuzz"}]', headers: { 'content-type': 'application/json' } });
      expect(accepted.status).toBe(200);
    } finally {
      kinesis.destroy();
      firehose.destroy();
      rdsData.destroy();
    }
    // Four 16 MiB bodies (64 MiB) sit in this process's heap as the client's own buffers.
    expect(heapGrowth).toBeLessThan(160 * 1024 * 1024);
  }, 600_000);
});
