// SigV4 signing of requests to the deployed API (IAM authorization on API Gateway):
// what a client sends must name the key, region and service, carry the session token
// of temporary credentials, and bind the signature to the body. The load test's sinks
// for `--target aws` are checked against servers that verify each signature with the
// SDK's own signer (test/support/sigv4.ts), as API Gateway and Kinesis do: the HTTP
// sink's POSTs, and the Kinesis sink's calls with the default chain's credentials.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../core/index.ts';
import { HttpSink, KinesisSink } from '../loadtest/index.ts';
import { KinesisServer } from '../local/index.ts';
import { apiGatewayRegion, signIngestRequest } from '../producers/index.ts';
import { startRecordingProxy } from './support/recordingProxy.ts';
import { startSigV4Gate, verifySigV4, type SigV4Gate } from './support/sigv4.ts';

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

/** The default chain's credentials for the block: the environment variables, as a user exports them. */
function withEnvCredentials(creds: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string; AWS_SESSION_TOKEN: string }): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(creds)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

const KEY = { AWS_ACCESS_KEY_ID: 'ASIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'sink-token' };
const KNOWN = { [KEY.AWS_ACCESS_KEY_ID]: { secretAccessKey: KEY.AWS_SECRET_ACCESS_KEY, sessionToken: KEY.AWS_SESSION_TOKEN } };
const events = (n: number) => Array.from({ length: n }, (_, i) => ({ event: { type: 'signed.test', id: `e${i}`, value: i }, partitionKey: `k${i}` }));

describe('the load test\'s HTTP sink against a deployed API that verifies SigV4', () => {
  withEnvCredentials(KEY);
  // The ingest behind the gate: answers each event accepted, as the deployed ingest does.
  const received: unknown[][] = [];
  let ingest: http.Server;
  let gate: SigV4Gate;

  beforeAll(async () => {
    ingest = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const batch = JSON.parse(body) as unknown[];
        received.push(batch);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ results: batch.map((_, index) => ({ index, status: 'accepted' })) }));
      });
    });
    await new Promise<void>((ok) => ingest.listen(0, '127.0.0.1', ok));
    gate = await startSigV4Gate(`http://127.0.0.1:${(ingest.address() as AddressInfo).port}`, KNOWN, { service: 'execute-api', region: 'eu-west-1' });
  });
  afterAll(async () => {
    await gate?.close();
    await new Promise<void>((ok) => (ingest ? ingest.close(() => ok()) : ok()));
  });

  it('signs every POST for execute-api in the stack\'s region with the chain\'s credentials, and each verifies', async () => {
    const sink = new HttpSink({ [ENV.ingestUrl]: `${gate.url}/v1/events`, [ENV.region]: 'eu-west-1' }, true, true);

    const outcomes = await Promise.all(sink.send(events(3)));

    expect(outcomes).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(gate.verdicts.at(-1)).toEqual({ ok: true, accessKeyId: KEY.AWS_ACCESS_KEY_ID, region: 'eu-west-1', service: 'execute-api' });
    expect(received.at(-1)).toHaveLength(3);
  });

  it('is refused by the gate when unsigned, signed with another secret, or its body changed after signing', async () => {
    const before = received.length;
    const url = `${gate.url}/v1/events`;
    const unsigned = new HttpSink({ [ENV.ingestUrl]: url, [ENV.region]: 'eu-west-1' }, true, false);
    const body = JSON.stringify([{ type: 'signed.test', value: 1 }]);
    const signed = await signIngestRequest('POST', url, body, json, { region: 'eu-west-1', credentials: async () => ({ accessKeyId: KEY.AWS_ACCESS_KEY_ID, secretAccessKey: KEY.AWS_SECRET_ACCESS_KEY, sessionToken: KEY.AWS_SESSION_TOKEN }) });
    const wrongSecret = await signIngestRequest('POST', url, body, json, { region: 'eu-west-1', credentials: async () => ({ accessKeyId: KEY.AWS_ACCESS_KEY_ID, secretAccessKey: 'not-the-secret', sessionToken: KEY.AWS_SESSION_TOKEN }) });

    const plain = await Promise.all(unsigned.send(events(1)));
    const changed = body.replace('"value":1', '"value":1000');
    const tampered = await fetch(url, { method: 'POST', headers: signed, body: changed });
    // The body's hash header made to match the new body: the signature no longer does.
    const rehashed = await fetch(url, { method: 'POST', headers: { ...signed, 'x-amz-content-sha256': createHash('sha256').update(changed).digest('hex') }, body: changed });
    const forged = await fetch(url, { method: 'POST', headers: wrongSecret, body });
    const genuine = await fetch(url, { method: 'POST', headers: signed, body });

    expect(plain).toEqual([{ ok: false, error: 'HTTP 403' }]);
    expect([tampered.status, rehashed.status, forged.status, genuine.status]).toEqual([403, 403, 403, 200]);
    expect(gate.verdicts.slice(-5).map((v) => (v.ok ? 'ok' : v.reason))).toEqual([
      'Missing Authentication Token',
      'The provided x-amz-content-sha256 header does not match what was computed.',
      'The request signature we calculated does not match the signature you provided.',
      'The request signature we calculated does not match the signature you provided.',
      'ok',
    ]);
    expect(received.length).toBe(before + 1); // only the genuine request reached the ingest
  });

  it('needs a region to sign for when the URL does not name one', () => {
    expect(() => new HttpSink({ [ENV.ingestUrl]: `${gate.url}/v1/events` }, true, true)).toThrow(/AWS_REGION is not set/);
  });
});

describe('the load test\'s Kinesis sink for a deployed stack', () => {
  withEnvCredentials(KEY);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-signed-kinesis-'));
  let server: KinesisServer;
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls Kinesis with the default chain\'s credentials, each call signed for kinesis in the region', async () => {
    server = await KinesisServer.start({ path: dir, streams: [{ name: 'signed-events', shardCount: 1 }], shardWriteLimits: false });
    // The SDK's Kinesis client speaks HTTP/2: the proxy records what it signed, then forwards.
    const proxy = await startRecordingProxy(server.endpoint, { http2: true });
    try {
      const sink = new KinesisSink({ [ENV.kinesisEndpoint]: proxy.url, [ENV.streamName]: 'signed-events', [ENV.region]: 'eu-west-1' }, true, 'compressed', true);

      const outcomes = await Promise.all(sink.send(events(50)));
      await sink.close();

      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(proxy.requests.length).toBeGreaterThan(0);
      for (const r of proxy.requests) {
        expect(await verifySigV4(r, KNOWN, { service: 'kinesis', region: 'eu-west-1' })).toEqual({ ok: true, accessKeyId: KEY.AWS_ACCESS_KEY_ID, region: 'eu-west-1', service: 'kinesis' });
      }
    } finally {
      await proxy.close();
    }
  });
});
