// Parsing a POST /v1/events body: a JSON array of events, or NDJSON (one event per
// line). A line that is not JSON is rejected on its own; a body that cannot be read
// at all is refused as a whole. Pure.
import {
  EventValidationError, eventJsonFromBytes, firstInvalidUtf8, invalidUtf8Error, invalidUtf8Field, parseJsonBytes, stripBom,
  type JsonFromBytes,
} from '../../core/index.ts';
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

/** JSON whitespace (RFC 8259): what may surround a value or fill a blank line. */
const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const NEWLINE = 0x0a;
const OPEN_BRACKET = 0x5b;

/**
 * Splits and parses a body into events, in order, each with its position. The body
 * is read as UTF-8 bytes: a leading byte order mark is stripped, and an event holding
 * bytes that are not UTF-8 is rejected naming the field (core parseJsonBytes).
 */
export function parseIngestBody(raw: Buffer, contentType: string | undefined, maxEvents: number): ParsedItem[] {
  const declared = bodyFormat(contentType);
  const body = stripBom(raw);
  let start = 0;
  while (start < body.length && isJsonSpace(body[start]!)) start++;
  if (start === body.length) throw new IngestRequestError(400, 'EmptyBody', 'the body holds no events');
  const format: BodyFormat = declared ?? (body[start] === OPEN_BRACKET ? 'json' : 'ndjson');
  let items: ParsedItem[];
  if (format === 'json') {
    let parsed: JsonFromBytes;
    try {
      parsed = parseJsonBytes(body);
    } catch (err) {
      const bad = firstInvalidUtf8(body);
      const why = bad >= 0 ? `byte ${bad} is not UTF-8` : (err as Error).message;
      throw new IngestRequestError(400, 'InvalidJson', `the body is not valid JSON: ${why}`);
    }
    const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
    if (list.length > maxEvents) throw tooMany(list.length, maxEvents);
    items = list.map((value, index): ParsedItem => {
      if (parsed.invalidByte !== undefined && invalidUtf8Field(value) !== undefined) {
        const err = invalidUtf8Error(value, parsed.invalidByte);
        return { ok: false, index, field: err.field, message: err.message };
      }
      return { ok: true, index, value };
    });
  } else {
    items = [];
    let lineNo = 0;
    for (let from = 0; from <= body.length;) {
      let to = body.indexOf(NEWLINE, from);
      if (to < 0) to = body.length;
      const line = body.subarray(from, to);
      from = to + 1;
      lineNo++;
      if (line.every(isJsonSpace)) continue;
      const index = items.length;
      if (index >= maxEvents) throw tooMany(index + countEventLines(body.subarray(from)) + 1, maxEvents);
      try {
        items.push({ ok: true, index, line: lineNo, value: eventJsonFromBytes(line) });
      } catch (err) {
        if (!(err instanceof EventValidationError)) throw err;
        items.push({ ok: false, index, line: lineNo, field: err.field, message: `line ${lineNo}: ${err.message}` });
      }
    }
  }
  if (items.length === 0) throw new IngestRequestError(400, 'EmptyBody', 'the body holds no events');
  return items;
}

/** Lines of `rest` that are not blank. */
function countEventLines(rest: Buffer): number {
  let n = 0;
  for (let from = 0; from < rest.length;) {
    let to = rest.indexOf(NEWLINE, from);
    if (to < 0) to = rest.length;
    if (!rest.subarray(from, to).every(isJsonSpace)) n++;
    from = to + 1;
  }
  return n;
}

function tooMany(count: number, max: number): IngestRequestError {
  return new IngestRequestError(413, 'TooManyEvents', `the body holds ${count} events; at most ${max} per request`);
}
