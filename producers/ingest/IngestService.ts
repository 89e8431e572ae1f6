// The POST /v1/events contract, independent of transport: the Node http handler and
// the API Gateway Lambda both turn their request into an IngestRequest and send back
// the IngestResponse. Each event is validated and handed to the producer; the answer
// lists, per event, where it landed or why it was refused.
import { EventValidationError, MiB, type EventInput } from '../../core/index.ts';
import { InvalidRoutingKeyError, ProducerError, RecordTooLargeError } from '../errors.ts';
import type { BatchRecord, SendResult } from '../types.ts';
import { IngestRequestError } from './errors.ts';
import { parseIngestBody } from './IngestBody.ts';

export const INGEST_PATH = '/v1/events';

/** What the ingest endpoint needs of a producer (KinesisProducer is one). */
export interface EventSink {
  sendBatch(records: readonly BatchRecord[]): Promise<PromiseSettledResult<SendResult>[]>;
}

export interface IngestOptions {
  /** Largest body accepted, bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Most events in one body. Default 1,000. */
  maxEvents?: number;
}

export interface IngestRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  contentType: string | undefined;
  body: Buffer;
}

export interface IngestResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type EventResult =
  | { index: number; line?: number; status: 'accepted'; id: string; shardId: string; sequenceNumber: string }
  | { index: number; line?: number; status: 'rejected'; field: string; message: string }
  | { index: number; line?: number; status: 'failed'; error: string; message: string; retryable: boolean };

/** The JSON body of every per-event answer (200, 207, 400, 503). */
export interface IngestResult {
  accepted: number;
  rejected: number;
  failed: number;
  results: EventResult[];
}

export const INGEST_DEFAULTS = { maxBodyBytes: 1 * MiB, maxEvents: 1000 } as const;

const JSON_HEADERS = { 'content-type': 'application/json' };

export function errorResponse(err: IngestRequestError): IngestResponse {
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (err.status === 405) headers.allow = 'POST';
  return { status: err.status, headers, body: JSON.stringify({ error: { code: err.code, message: err.message } }) };
}

/** Checks method and path before the body is read. */
export function checkTarget(method: string, path: string): IngestRequestError | undefined {
  if (path !== INGEST_PATH) return new IngestRequestError(404, 'NotFound', `no route ${path}: POST events to ${INGEST_PATH}`);
  if (method !== 'POST') return new IngestRequestError(405, 'MethodNotAllowed', `${method} is not allowed on ${INGEST_PATH}: use POST`);
  return undefined;
}

/**
 * Status for the whole body: 200 all accepted; 207 some accepted; 400 none accepted
 * and only invalid events; 503 none accepted and some could not be sent (retry later).
 */
export function overallStatus(r: IngestResult): number {
  if (r.accepted === r.results.length) return 200;
  if (r.accepted > 0) return 207;
  return r.failed > 0 ? 503 : 400;
}

export async function handleIngest(sink: EventSink, req: IngestRequest, options: IngestOptions = {}): Promise<IngestResponse> {
  const maxBodyBytes = options.maxBodyBytes ?? INGEST_DEFAULTS.maxBodyBytes;
  const maxEvents = options.maxEvents ?? INGEST_DEFAULTS.maxEvents;
  try {
    const target = checkTarget(req.method, req.path);
    if (target) throw target;
    if (req.body.length > maxBodyBytes) throw bodyTooLarge(maxBodyBytes);
    const items = parseIngestBody(req.body, req.contentType, maxEvents);
    // The body's events go to the producer as one batch: one promise, not one per event.
    const valid = items.filter((item) => item.ok);
    const outcomes = await sink.sendBatch(valid.map((item) => ({ event: item.value as EventInput })));
    let next = 0;
    const results = items.map((item): EventResult => {
      const at = item.line === undefined ? { index: item.index } : { index: item.index, line: item.line };
      if (!item.ok) return { ...at, status: 'rejected', field: item.field, message: item.message };
      const o = outcomes[next++]!;
      if (o.status === 'rejected') return { ...at, ...describeFailure(o.reason) };
      const r = o.value;
      return { ...at, status: 'accepted', id: r.eventId, shardId: r.shardId, sequenceNumber: r.sequenceNumber };
    });
    const result: IngestResult = { accepted: 0, rejected: 0, failed: 0, results };
    for (const r of results) result[r.status === 'accepted' ? 'accepted' : r.status === 'rejected' ? 'rejected' : 'failed']++;
    return { status: overallStatus(result), headers: { ...JSON_HEADERS }, body: JSON.stringify(result) };
  } catch (err) {
    if (err instanceof IngestRequestError) return errorResponse(err);
    throw err;
  }
}

export function bodyTooLarge(max: number): IngestRequestError {
  return new IngestRequestError(413, 'PayloadTooLarge', `the body is larger than ${max} bytes: split it into several requests`);
}

function describeFailure(err: unknown): { status: 'rejected'; field: string; message: string } | { status: 'failed'; error: string; message: string; retryable: boolean } {
  if (err instanceof EventValidationError) return { status: 'rejected', field: err.field, message: err.message };
  if (err instanceof InvalidRoutingKeyError) return { status: 'rejected', field: err.field, message: err.message };
  if (err instanceof RecordTooLargeError) return { status: 'rejected', field: 'event', message: err.message };
  if (err instanceof ProducerError) {
    const retryable = err.name !== 'NonRetryableSendError';
    return { status: 'failed', error: err.name, message: err.message, retryable };
  }
  return { status: 'failed', error: 'InternalError', message: (err as Error)?.message ?? String(err), retryable: true };
}
