// The ingest endpoint as a Node http server: POST /v1/events through the handler, with
// Node's header and request timeouts, and a JSON error body for requests that never
// became a request (bytes that are not HTTP, headers too large, too slow).
import http from 'node:http';
import { answerClientErrors } from '../../core/index.ts';
import { createIngestHandler } from './IngestHandler.ts';
import type { EventSink, IngestOptions } from './IngestService.ts';

const CODES: Record<number, string> = { 408: 'RequestTimeout', 413: 'PayloadTooLarge', 431: 'HeadersTooLarge' };

/** An http server serving POST /v1/events through `producer` (not listening yet). */
export function createIngestServer(producer: EventSink, options: IngestOptions = {}): http.Server {
  const server = http.createServer(createIngestHandler(producer, options));
  answerClientErrors(server, (status, message) => ({
    headers: { 'content-type': 'application/json' },
    body: { error: { code: CODES[status] ?? 'BadRequest', message } },
  }));
  return server;
}
