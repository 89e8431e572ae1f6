// SigV4 signing of requests to the deployed API (IAM authorization on API Gateway):
// what a client sends must name the key, region and service, carry the session token
// of temporary credentials, and bind the signature to the body.
import { describe, expect, it } from 'vitest';
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
