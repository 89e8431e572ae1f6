// Packs rows into JSON-array parameters that keep each Data API request under its
// 4 MiB limit (counting the escaping a JSON string inside the JSON request adds)
// and each response under its 1 MiB limit (by capping rows per chunk).
import { DATA_API, KiB } from '../../core/index.ts';

/** Room left for the SQL text, the ARNs, the other parameters and the HTTP headers. */
export const REQUEST_OVERHEAD_BYTES = 64 * KiB;
export const MAX_PARAMETER_BYTES = DATA_API.maxRequestBytes - REQUEST_OVERHEAD_BYTES;

/**
 * Bytes `text` takes once embedded as a JSON string value in the request body: UTF-8
 * bytes, plus one for each quote or backslash the SDK escapes; a control character or
 * a lone surrogate counts as a six-byte escape (an upper bound). A scan, with no copy.
 */
export function escapedJsonBytes(text: string): number {
  let bytes = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes += c === 0x22 || c === 0x5c ? 2 : c < 0x20 ? 6 : 1;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      bytes += 6;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/** A character that takes more than two bytes once escaped (or any backslash, to stay simple). */
// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes to six bytes
const GROWS_PAST_TWO = /[\\\x00-\x1f\u0080-\uffff]/;

/**
 * Whether `text` surely fits `maxBytes` once escaped; measured only when the cheap
 * bounds do not settle it: a UTF-16 unit never takes more than six bytes escaped,
 * and printable ASCII no more than two (a quote); one native regular-expression scan
 * tells the latter, several times faster than measuring (a batch's event ids: about
 * 1.2 MB of JSON for 30,000 events).
 */
export function fitsEscaped(text: string, maxBytes: number): boolean {
  if (text.length * 6 <= maxBytes) return true;
  if (text.length * 2 <= maxBytes && !GROWS_PAST_TWO.test(text)) return true;
  return escapedJsonBytes(text) <= maxBytes;
}

/**
 * Splits already-serialized JSON values into JSON-array texts, each at most
 * `maxBytes` once escaped and at most `maxItems` long. A single value larger than
 * the budget gets a chunk of its own (the caller then hits the service limit,
 * which is the honest outcome; no single row we build comes near it).
 */
export function chunkJsonArray(items: string[], maxBytes: number = MAX_PARAMETER_BYTES, maxItems = Infinity): string[] {
  return chunkJsonArrayCounted(items, maxBytes, maxItems).map((c) => c.json);
}

/** chunkJsonArray, with how many items each chunk holds. */
export function chunkJsonArrayCounted(items: string[], maxBytes: number = MAX_PARAMETER_BYTES, maxItems = Infinity): { json: string; count: number }[] {
  if (items.length === 0) return [];
  const chunks: { json: string; count: number }[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = escapedJsonBytes(item) + 1;
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxItems)) {
      chunks.push({ json: `[${current.join(',')}]`, count: current.length });
      current = [];
      bytes = 2;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push({ json: `[${current.join(',')}]`, count: current.length });
  return chunks;
}
