// Event JSON read from raw bytes. Bytes that are not UTF-8 are found before decoding
// (decoding would turn them into U+FFFD and store that silently) and the event is
// rejected naming the field that holds them. A leading UTF-8 byte order mark of a
// body or a file is accepted and stripped, the same way everywhere (README: "The event").
import { isUtf8 } from 'node:buffer';
import { EventValidationError } from './errors.ts';

const BOM = [0xef, 0xbb, 0xbf] as const;

/** Stands for one byte that is not UTF-8 in the decoded text: noncharacters no encoder emits together. */
const MARK = '\uFDD0\uFDEF';

/** `bytes` without a leading UTF-8 byte order mark. */
export function stripBom<T extends Uint8Array>(bytes: T): T {
  return bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? (bytes.subarray(3) as T) : bytes;
}

/** Index of the first byte of `bytes` that does not start a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let i = 0; i < end;) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead bytes and the range of their first continuation byte (no overlongs, no surrogates, nothing above U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n >= end) return i;
    const b1 = bytes[i + 1]!;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k <= n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/** JSON parsed from bytes; `invalidByte` is set when some were not UTF-8 (they stand as marks in the strings). */
export interface JsonFromBytes {
  value: unknown;
  invalidByte?: number;
}

/**
 * JSON.parse of UTF-8 bytes. Bytes that are not UTF-8 do not become U+FFFD: each
 * becomes a mark inside its string, so `invalidUtf8Field` can name where it was.
 * Throws SyntaxError when the text is not JSON (a byte that is not UTF-8 outside a
 * string makes it so).
 */
export function parseJsonBytes(bytes: Uint8Array): JsonFromBytes {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) return { value: JSON.parse(buf.toString('utf8')) };
  let text = '';
  let from = 0;
  let invalidByte: number | undefined;
  for (;;) {
    const rest = buf.subarray(from);
    const bad = firstInvalidUtf8(rest);
    if (bad < 0) {
      text += rest.toString('utf8');
      break;
    }
    invalidByte ??= rest[bad]!;
    text += rest.toString('utf8', 0, bad) + MARK;
    from += bad + 1;
  }
  return { value: JSON.parse(text), invalidByte };
}

/**
 * The path of the first string (or member name) in `value` that held bytes that were
 * not UTF-8, as validation errors name fields (`dims.country`, `payload.items.2`), or
 * undefined. `root` names `value` itself when it is such a string.
 */
export function invalidUtf8Field(value: unknown, root = 'event'): string | undefined {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes(MARK)) return path || root;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: path ? `${path}.${i}` : String(i) });
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        const at = path ? `${path}.${k}` : k;
        if (k.includes(MARK)) return at.split(MARK).join('\uFFFD');
        stack.push({ v: (v as Record<string, unknown>)[k], path: at });
      }
    }
  }
  return undefined;
}

/** The error for a value `parseJsonBytes` found bytes that are not UTF-8 in. */
export function invalidUtf8Error(value: unknown, invalidByte: number, root = 'event'): EventValidationError {
  const field = invalidUtf8Field(value, root) ?? root;
  return new EventValidationError(field, `is not valid UTF-8 (byte 0x${invalidByte.toString(16).toUpperCase().padStart(2, '0')} is not part of a UTF-8 character)`);
}

/**
 * One event's JSON from bytes: the parsed value, or an EventValidationError naming
 * the field that holds bytes that are not UTF-8, or 'event' when it is not JSON.
 */
export function eventJsonFromBytes(bytes: Uint8Array): unknown {
  let parsed: JsonFromBytes;
  try {
    parsed = parseJsonBytes(bytes);
  } catch (err) {
    const bad = firstInvalidUtf8(bytes);
    if (bad >= 0) throw new EventValidationError('event', `is not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')} at offset ${bad})`);
    throw new EventValidationError('event', `not valid JSON (${(err as Error).message})`);
  }
  if (parsed.invalidByte !== undefined) throw invalidUtf8Error(parsed.value, parsed.invalidByte);
  return parsed.value;
}
