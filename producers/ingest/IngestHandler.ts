// POST /v1/events for a Node http server: reads the body up to the size limit (a
// larger one is refused without being buffered) and answers with the IngestService.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IngestRequestError } from './errors.ts';
import { INGEST_DEFAULTS, bodyTooLarge, checkTarget, errorResponse, handleIngest, type EventSink, type IngestOptions, type IngestResponse } from './IngestService.ts';

/** A request listener serving POST /v1/events through `producer`. */
export function createIngestHandler(producer: EventSink, options: IngestOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? INGEST_DEFAULTS.maxBodyBytes;
  return (req, res) => {
    serve(producer, options, maxBodyBytes, req, res).catch((err: unknown) => {
      write(res, { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'InternalError', message: String((err as Error)?.message ?? err) } }) });
    });
  };
}

async function serve(producer: EventSink, options: IngestOptions, maxBodyBytes: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const method = req.method ?? 'GET';
  const target = checkTarget(method, path);
  if (target) return refuse(req, res, target);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) return refuse(req, res, bodyTooLarge(maxBodyBytes));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return refuse(req, res, bodyTooLarge(maxBodyBytes));
    chunks.push(chunk as Buffer);
  }
  const contentType = req.headers['content-type'];
  write(res, await handleIngest(producer, { method, path, contentType, body: Buffer.concat(chunks, size) }, options));
}

/** Answers at once and drops the rest of the body, closing the connection. */
function refuse(req: IncomingMessage, res: ServerResponse, err: IngestRequestError): void {
  const out = errorResponse(err);
  out.headers.connection = 'close';
  write(res, out);
  req.resume();
}

function write(res: ServerResponse, out: IngestResponse): void {
  if (res.headersSent) return;
  res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
  res.end(out.body);
}
