// POST /v1/events through a real http server and a real producer on the local
// Kinesis server, and the same contract through the API Gateway (payload v2) Lambda.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { KinesisServer } from '../local/index.ts';
import { KinesisProducer, createIngestHandler, type IngestResult } from '../producers/index.ts';
import { createIngestLambdaHandler } from '../producers/ingest/lambda.ts';
import { stringContaining, stringMatching } from './support/matchers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { maxBodyBytes?: number; maxEvents?: number } = {}) {
  const kinesis = await KinesisServer.start({ streams: [{ name: 'events', shardCount: 4 }] });
  cleanups.push(() => kinesis.close());
  const client = new KinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const producer = new KinesisProducer({ client, streamName: 'events', maxBufferTimeMs: 10, backoff: { baseMs: 5, maxMs: 20 } });
  cleanups.push(async () => { await producer.close({ deadline: Date.now() }); });
  const server = http.createServer(createIngestHandler(producer, options));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
  return { kinesis, producer, url };
}

async function post(url: string, body: string, contentType = 'application/json', method = 'POST') {
  const res = await fetch(url, { method, body: method === 'GET' ? undefined : body, headers: { 'content-type': contentType } });
  return { status: res.status, body: (await res.json()) as IngestResult & { error?: { code: string; message: string } } };
}

describe('POST /v1/events', () => {
  it('accepts a JSON array and answers each event with its id and where it landed', async () => {
    const { url } = await setup();
    const events = [{ type: 'click', value: 2 }, { type: 'view', id: 'my-own-id', dims: { page: '/home' } }];

    const res = await post(url, JSON.stringify(events));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 0, failed: 0 });
    expect(res.body.results[1]).toMatchObject({ index: 1, status: 'accepted', id: 'my-own-id', shardId: stringMatching(/^shardId-/), sequenceNumber: stringMatching(/^\d+$/) });
  });

  it('answers NDJSON with per-event results: accepted, invalid field, unreadable line (207)', async () => {
    const { url } = await setup();
    const body = ['{"type":"ok"}', '', '{"type":"bad","value":"x"}', '{not json', '{"type":"ok2","ts":"2026-11-28T14:00:00Z"}'].join('\n');

    const res = await post(url, body, 'application/x-ndjson');

    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 2, failed: 0 });
    expect(res.body.results.map((r) => [r.index, r.line, r.status])).toEqual([[0, 1, 'accepted'], [1, 3, 'rejected'], [2, 4, 'rejected'], [3, 5, 'accepted']]);
    expect(res.body.results[1]).toMatchObject({ field: 'value', message: stringContaining('finite number') });
    expect(res.body.results[2]).toMatchObject({ field: 'event', message: stringContaining('line 4') });
  });

  it('answers 400 when every event is invalid, naming each field', async () => {
    const { url } = await setup();

    const res = await post(url, JSON.stringify([{ value: 1 }, { type: 'x', dims: { Bad: 'y' } }]));

    expect(res.status).toBe(400);
    expect(res.body.results.map((r) => (r.status === 'rejected' ? r.field : r.status))).toEqual(['type', 'dims.Bad']);
  });

  it.each([
    ['a body that is not JSON', '[{"type":', 'application/json', 'POST', 400, 'InvalidJson'],
    ['an empty body', '  \n', 'application/json', 'POST', 400, 'EmptyBody'],
    ['an unsupported content type', '<x/>', 'application/xml', 'POST', 415, 'UnsupportedMediaType'],
    ['another method', '', 'application/json', 'GET', 405, 'MethodNotAllowed'],
  ])('refuses %s as a whole', async (_what, body, type, method, status, code) => {
    const { url } = await setup();

    const res = await post(url, body, type, method);

    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
  });

  it('refuses a body over the size limit with 413, sending none of it', async () => {
    const { url, producer } = await setup({ maxBodyBytes: 1000 });
    const events = Array.from({ length: 50 }, (_, i) => ({ type: 'big', value: i, payload: { pad: 'x'.repeat(20) } }));

    const res = await post(url, JSON.stringify(events));

    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('PayloadTooLarge');
    expect(producer.metrics.eventsSent).toBe(0);
  });

  it('refuses more events than allowed per request with 413', async () => {
    const { url } = await setup({ maxEvents: 3 });

    const res = await post(url, '{"type":"a"}\n{"type":"a"}\n{"type":"a"}\n{"type":"a"}\n', 'application/x-ndjson');

    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('TooManyEvents');
  });

  it('answers 503 with the reason when Kinesis refuses the events', async () => {
    const { url, kinesis } = await setup();
    await post(url, '[{"type":"warm"}]');
    kinesis.faults.failNextCalls('PutRecords', 1, 'AccessDeniedException', 400);

    const res = await post(url, '[{"type":"a"}]');

    expect(res.status).toBe(503);
    expect(res.body.results[0]).toMatchObject({ status: 'failed', error: 'NonRetryableSendError', retryable: false });
  });
});

describe('ingest Lambda (API Gateway HTTP API, payload v2)', () => {
  function apiEvent(body: string, opts: { base64?: boolean; method?: string; path?: string; contentType?: string } = {}): APIGatewayProxyEventV2 {
    const path = opts.path ?? '/v1/events';
    return {
      version: '2.0', routeKey: `POST ${path}`, rawPath: path, rawQueryString: '',
      headers: { 'Content-Type': opts.contentType ?? 'application/json' },
      body: opts.base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: opts.base64 ?? false,
      requestContext: { http: { method: opts.method ?? 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' } },
    } as unknown as APIGatewayProxyEventV2;
  }

  it('serves the same contract through the same code', async () => {
    const { producer } = await setup();
    const handler = createIngestLambdaHandler(() => producer);

    const ok = await handler(apiEvent('{"type":"a"}\n{"type":""}\n', { base64: true, contentType: 'application/x-ndjson' }));
    const wrongPath = await handler(apiEvent('[]', { path: '/v2/other' }));

    expect(ok.statusCode).toBe(207);
    const body = JSON.parse(ok.body!) as IngestResult;
    expect(body.results.map((r) => r.status)).toEqual(['accepted', 'rejected']);
    expect(wrongPath.statusCode).toBe(404);
  });
});
