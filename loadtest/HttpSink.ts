// Sends load-test events as POST /v1/events bodies (JSON arrays) to the HTTP ingest,
// split under the endpoint's event count and body size limits, and reads the
// per-event results it answers with. Requests to a deployed API (`--target aws`, or
// any endpoint not on this machine) are signed with SigV4 for execute-api, with the
// SDK's default credential chain (its routes require IAM); the local stack's
// endpoint takes them unsigned.
import { ENV, isLoopbackUrl, regionOf, type StackEnv } from '../core/index.ts';
import { INGEST_DEFAULTS, apiGatewayRegion, signIngestRequest } from '../producers/index.ts';
import { TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';
import type { LoadSink, SendOutcome } from './types.ts';

/** The ingest's own limits per body (events and bytes), so no body is refused whole. */
const MAX_EVENTS_PER_BODY = INGEST_DEFAULTS.maxEvents;
const MAX_BODY_BYTES = INGEST_DEFAULTS.maxBodyBytes;

interface IngestAnswer {
  results?: Array<{ index: number; status: 'accepted' | 'rejected' | 'failed'; error?: string; field?: string }>;
}

export class HttpSink implements LoadSink {
  readonly description: string;
  readonly endpoint: string;
  /** The region requests are signed for; undefined for the local stack (unsigned). */
  private readonly signingRegion: string | undefined;

  /** `deployed`: the endpoint is a deployed stack's API, signed for wherever it is (a proxy or tunnel may be loopback). */
  constructor(env: StackEnv, allowRemote: boolean, deployed = false) {
    const url = env[ENV.ingestUrl];
    if (!url) throw new TargetNotConfiguredError(ENV.ingestUrl, 'POST events to');
    assertLoopback(url, ENV.ingestUrl, allowRemote);
    this.endpoint = url;
    this.signingRegion = isLoopbackUrl(url) && !deployed ? undefined : (apiGatewayRegion(url) ?? regionOf(env));
    if (deployed && !this.signingRegion) throw new TargetNotConfiguredError(ENV.region, `sign the requests to ${url} for (its region is not in the URL)`);
    this.description = `HTTP ingest ${url}${this.signingRegion ? ' (SigV4)' : ''}`;
  }

  send(batch: ReadonlyArray<{ event: object; partitionKey: string }>): Promise<SendOutcome>[] {
    const out: Promise<SendOutcome>[] = [];
    let body: string[] = [];
    let bytes = 2;
    const post = () => {
      const n = body.length;
      const answer = this.post(`[${body.join(',')}]`, n);
      for (let i = 0; i < n; i++) out.push(answer.then((a) => a[i]!));
      body = [];
      bytes = 2;
    };
    for (const { event } of batch) {
      const json = JSON.stringify(event);
      const size = Buffer.byteLength(json) + 1; // and its comma or bracket
      if (body.length > 0 && (body.length >= MAX_EVENTS_PER_BODY || bytes + size > MAX_BODY_BYTES)) post();
      body.push(json);
      bytes += size;
    }
    if (body.length > 0) post();
    return out;
  }

  /** One outcome per event of the body; a whole-request failure fails each of them. */
  private async post(body: string, count: number): Promise<SendOutcome[]> {
    const all = (error: string): SendOutcome[] => Array.from({ length: count }, () => ({ ok: false, error }));
    let res: Response;
    try {
      const plain = { 'content-type': 'application/json' };
      const headers = this.signingRegion ? await signIngestRequest('POST', this.endpoint, body, plain, { region: this.signingRegion }) : plain;
      res = await fetch(this.endpoint, { method: 'POST', headers, body });
    } catch (err) {
      return all(`fetch: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await res.text();
    let answer: IngestAnswer;
    try {
      answer = JSON.parse(text) as IngestAnswer;
    } catch {
      return all(`HTTP ${res.status}`);
    }
    if (!Array.isArray(answer.results)) return all(`HTTP ${res.status}`);
    const outcomes = all(`HTTP ${res.status}: no result for the event`);
    for (const r of answer.results) {
      if (r.index >= 0 && r.index < count) {
        outcomes[r.index] = r.status === 'accepted' ? { ok: true } : { ok: false, error: r.status === 'rejected' ? `rejected (${r.field ?? 'event'})` : (r.error ?? 'failed') };
      }
    }
    return outcomes;
  }

  async close(): Promise<void> {}
}
