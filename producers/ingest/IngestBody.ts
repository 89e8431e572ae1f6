// Parsing a POST /v1/events body: a JSON array of events, or NDJSON (one event per
// line). A line that is not JSON is rejected on its own; a body that cannot be read
// at all is refused as a whole. Pure.
import { IngestRequestError } from './errors.ts';

export type ParsedItem =
  | { ok: true; index: number; line?: number; value: unknown }
  | { ok: false; index: number; line?: number; field: string; message: string };

export type BodyFormat = 'json' | 'ndjson';

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines', 'text/plain']);

/** The body format a Content-Type names; undefined means "look at the body". */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  if (!contentType) return undefined;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/json') return undefined; // an array, or NDJSON sent with the generic type
  if (NDJSON_TYPES.has(mime)) return 'ndjson';
  throw new IngestRequestError(415, 'UnsupportedMediaType', `Content-Type ${mime} is not accepted: send application/json (an array of events) or application/x-ndjson`);
}

/** Splits and parses a body into events, in order, each with its position. */
export function parseIngestBody(body: Buffer, contentType: string | undefined, maxEvents: number): ParsedItem[] {
  const declared = bodyFormat(contentType);
  const text = body.toString('utf8');
  const start = text.search(/\S/);
  if (start < 0) throw new IngestRequestError(400, 'EmptyBody', 'the body holds no events');
  const format: BodyFormat = declared ?? (text[start] === '[' ? 'json' : 'ndjson');
  let items: ParsedItem[];
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new IngestRequestError(400, 'InvalidJson', `the body is not valid JSON: ${(err as Error).message}`);
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (list.length > maxEvents) throw tooMany(list.length, maxEvents);
    items = list.map((value, index) => ({ ok: true as const, index, value }));
  } else {
    items = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      const index = items.length;
      if (index >= maxEvents) throw tooMany(lines.filter((l) => l.trim() !== '').length, maxEvents);
      try {
        items.push({ ok: true, index, line: i + 1, value: JSON.parse(line) });
      } catch (err) {
        items.push({ ok: false, index, line: i + 1, field: 'event', message: `line ${i + 1} is not valid JSON: ${(err as Error).message}` });
      }
    }
  }
  if (items.length === 0) throw new IngestRequestError(400, 'EmptyBody', 'the body holds no events');
  return items;
}

function tooMany(count: number, max: number): IngestRequestError {
  return new IngestRequestError(413, 'TooManyEvents', `the body holds ${count} events; at most ${max} per request`);
}
