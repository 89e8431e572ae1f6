// SigV4 signing of requests to the deployed API (IAM authorization on API Gateway):
// what a client sends must name the key, region and service, carry the session token
// of temporary credentials, and bind the signature to the body; the load test's
// HTTP sink signs for a remote API and not for the local stack.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../core/index.ts';
import { HttpSink } from '../loadtest/index.ts';
import { apiGatewayRegion, signIngestRequest } from '../producers/index.ts';

const url = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/events';
const temporary = async () => ({ accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'the-session-token' });
const json = { 'content-type': 'application/json' };

describe('signIngestRequest', () => {
  it('reads the region of an API Gateway URL, and none of another', () => {
    expect(apiGatewayRegion(url)).toBe('eu-west-1');
    expect(apiGatewayRegion('https://ingest.example.com/v1/events')).toBeUndefined();
  });

  it('signs for execute-api in the URL region with the key, the session token and the body hash', async () => {
    const h = await signIngestRequest('POST', url, '[{"type":"a"}]', json, { credentials: temporary });

    expect(h.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*\bhost\b[^,]*, Signature=[0-9a-f]{64}$/);
    expect(h.authorization).toMatch(/SignedHeaders=[^,]*content-type[^,]*x-amz-date[^,]*x-amz-security-token/);
    expect(h['x-amz-security-token']).toBe('the-session-token');
    expect(h['content-type']).toBe('application/json');
    expect(h.host).toBeUndefined();
  });

  it('binds the signature to the body', async () => {
    const sig = (h: Record<string, string>) => /Signature=([0-9a-f]+)/.exec(h.authorization!)![1];

    const signingDate = new Date('2026-11-30T12:00:00Z');

    const a = await signIngestRequest('POST', url, '[{"type":"a"}]', json, { credentials: temporary, signingDate });
    const again = await signIngestRequest('POST', url, '[{"type":"a"}]', json, { credentials: temporary, signingDate });
    const b = await signIngestRequest('POST', url, '[{"type":"b"}]', json, { credentials: temporary, signingDate });

    expect(a['x-amz-date']).toBe('20261130T120000Z');
    expect(sig(again)).toBe(sig(a));
    expect(sig(b)).not.toBe(sig(a));
  });

  it('needs a region for a URL that does not say one', async () => {
    await expect(signIngestRequest('POST', 'https://ingest.example.com/v1/events', '[]', json, { credentials: temporary })).rejects.toThrow(/region/);
  });
});

describe('HttpSink against an endpoint that is not loopback', () => {
  // This machine's own non-loopback address stands in for a deployed API: the sink
  // must sign for it, and must not sign for the local stack.
  const address = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  const seen: http.IncomingHttpHeaders[] = [];
  let server: http.Server;
  let port: number;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const n = (JSON.parse(body) as unknown[]).length;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ results: Array.from({ length: n }, (_, index) => ({ index, status: 'accepted' })) }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '0.0.0.0', ok));
    port = (server.address() as AddressInfo).port;
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'sink-token' });
  });
  afterAll(async () => {
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it.skipIf(!address)('signs each POST with the chain\'s credentials for the region, and the local stack\'s unsigned', async () => {
    const remote = new HttpSink({ [ENV.ingestUrl]: `http://${address}:${port}/v1/events`, [ENV.region]: 'eu-west-1' }, true);
    const local = new HttpSink({ [ENV.ingestUrl]: `http://127.0.0.1:${port}/v1/events`, [ENV.region]: 'eu-west-1' }, false);

    const remoteOutcomes = await Promise.all(remote.send([{ event: { type: 'a' }, partitionKey: 'k' }, { event: { type: 'b' }, partitionKey: 'k' }]));
    const localOutcomes = await Promise.all(local.send([{ event: { type: 'c' }, partitionKey: 'k' }]));

    expect([...remoteOutcomes, ...localOutcomes]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(seen[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
    expect(seen[0]!['x-amz-security-token']).toBe('sink-token');
    expect(seen[1]!.authorization).toBeUndefined();
  });
});
