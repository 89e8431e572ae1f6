// Checks AWS Signature Version 4 the way API Gateway and AWS services do: the
// signature of what arrived is computed again, with the SDK's own signer
// (@smithy/signature-v4), from the secret of the access key the request names, and
// must equal the one it carries. A server built on it refuses (403, as API Gateway
// answers) what does not verify and hands the rest on to the real endpoint.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
// The signer's hash, as the producer's signing uses it (an internal, imported directly).
import { Sha256 } from '../../producers/ingest/signIngestRequest.ts';

export interface KnownKey { secretAccessKey: string; sessionToken?: string }

export interface SignedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Verdict = { ok: true; accessKeyId: string; region: string; service: string } | { ok: false; reason: string };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Verifies `req` against the secrets of `keys`; `expect` pins the service and region it must be signed for. */
export async function verifySigV4(req: SignedRequest, keys: Record<string, KnownKey>, expect: { service: string; region: string }): Promise<Verdict> {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? AUTH.exec(auth) : null;
  if (!m) return { ok: false, reason: 'Missing Authentication Token' };
  const [, accessKeyId, day, region, service, signedList, signature] = m as unknown as string[];
  const key = keys[accessKeyId!];
  if (!key) return { ok: false, reason: `The security token included in the request is invalid (unknown key ${accessKeyId})` };
  if (service !== expect.service || region !== expect.region) return { ok: false, reason: `Credential should be scoped to ${expect.region}/${expect.service}, not ${region}/${service}` };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) return { ok: false, reason: 'x-amz-date is missing or not the credential scope\'s day' };
  if (key.sessionToken !== undefined && req.headers['x-amz-security-token'] !== key.sessionToken) return { ok: false, reason: 'The security token included in the request is invalid' };
  // The signer takes a payload hash header as given: the body must match it.
  const declared = req.headers['x-amz-content-sha256'];
  if (typeof declared === 'string' && declared !== 'UNSIGNED-PAYLOAD' && declared !== createHash('sha256').update(req.body).digest('hex')) {
    return { ok: false, reason: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }
  const signedHeaders = signedList!.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    // Over HTTP/2 the host travels as :authority.
    const v = req.headers[name] ?? (name === 'host' ? req.headers[':authority'] : undefined);
    if (v === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  const url = new URL(req.path, 'http://verifier');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    service, region: region!, sha256: Sha256, uriEscapePath: service !== 's3',
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
  });
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const again = await signer.sign({
    method: req.method, protocol: 'http:', hostname: headers.host ?? 'verifier', path: url.pathname, query, headers, body: req.body,
  }, { signingDate, unsignableHeaders: new Set(Object.keys(req.headers).filter((h) => !signedHeaders.includes(h))) });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers.authorization))?.[1];
  if (expected !== signature) return { ok: false, reason: 'The request signature we calculated does not match the signature you provided.' };
  return { ok: true, accessKeyId: accessKeyId!, region: region!, service: service! };
}

export interface SigV4Gate {
  url: string;
  /** Every request's verdict, in arrival order. */
  verdicts: Verdict[];
  close(): Promise<void>;
}

/**
 * An HTTP server standing where a deployed API (IAM authorization) would: a request
 * whose signature verifies goes on to `upstream` (same path) and its answer comes
 * back; any other gets 403 `{"message": ...}`, as API Gateway answers.
 */
export async function startSigV4Gate(upstream: string, keys: Record<string, KnownKey>, expect: { service: string; region: string }): Promise<SigV4Gate> {
  const verdicts: Verdict[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      void verifySigV4({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body }, keys, expect).then(async (verdict) => {
        verdicts.push(verdict);
        if (!verdict.ok) {
          res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'IncompleteSignatureException' });
          res.end(JSON.stringify({ message: verdict.reason }));
          return;
        }
        const target = new URL(req.url ?? '/', upstream);
        const answer = await fetch(target, { method: req.method ?? 'GET', headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') }, ...(req.method === 'GET' ? {} : { body }) });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      }).catch((err: unknown) => {
        res.writeHead(502);
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    verdicts,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
