// Signs an HTTP request to the deployed API (API Gateway with IAM authorization)
// with AWS Signature Version 4, for service `execute-api`, using the credentials of
// the SDK's default provider chain: the same ones a Kinesis client would use.
import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape SignatureV4 expects. */
export class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

function bytes(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === 'string') return d;
  return ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
}

/** The region of an API Gateway URL (`{id}.execute-api.{region}.amazonaws.com`), if it is one. */
export function apiGatewayRegion(url: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(url).hostname)?.[1];
}

export interface SignOptions {
  /** Region to sign for. @default the URL's API Gateway region */
  region?: string;
  /** @default the SDK's default provider chain */
  credentials?: ReturnType<typeof defaultProvider>;
  /** When the request is signed. @default now */
  signingDate?: Date;
}

/**
 * Headers for `method url` with `body`, signed for `execute-api`: send them as they
 * are (the signature covers the host, content type, the date and the body's hash).
 */
export async function signIngestRequest(
  method: string, url: string, body: string, headers: Record<string, string>, opts: SignOptions = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const region = opts.region ?? apiGatewayRegion(url);
  if (!region) throw new Error(`cannot tell the region of ${url}: pass one to sign for`);
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: opts.credentials ?? defaultProvider(), sha256: Sha256 });
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) query[k] = v;
  const signed = await signer.sign({
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    ...(u.port ? { port: Number(u.port) } : {}),
    path: u.pathname,
    query,
    headers: { ...headers, host: u.host },
    body,
  }, opts.signingDate ? { signingDate: opts.signingDate } : {});
  // Host is signed but left to the HTTP client, which sends the same value (fetch refuses to set it).
  const { host: _host, ...out } = signed.headers as Record<string, string>;
  return out;
}
