// NDJSON input cut into chunks of whole lines, each knowing the number of its first
// line, so several senders can take chunks in any order and still name every line
// by its number in the file. Bytes, never text: decoding first would turn bytes that
// are not UTF-8 into U+FFFD before they can be refused.
import { stripBom } from '../core/index.ts';

/** Whole lines of the input: `bytes` holds them newline-separated (the last one may end without a newline). */
export interface LineChunk {
  /** Its own memory (not a view of a pooled buffer), so it can be moved to a worker thread. */
  bytes: Buffer;
  /** The number of the chunk's first line in the input, counting from 1. */
  firstLine: number;
  /** Lines in the chunk. */
  lines: number;
}

const NEWLINE = 0x0a;

/** Newlines in `buf`. */
function countLines(buf: Buffer): number {
  let n = 0;
  for (let at = buf.indexOf(NEWLINE); at >= 0; at = buf.indexOf(NEWLINE, at + 1)) n++;
  return n;
}

/** A copy of `bytes` in memory of its own. */
function own(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(out);
  return out;
}

/**
 * The input's lines, a chunk for each piece the input gives (a file read in pieces
 * of its stream's highWaterMark, a pipe in what it has when it pauses: a line is never
 * held back waiting for more), cut after the piece's last newline; the rest goes
 * ahead of the next piece. A leading byte order mark is dropped.
 */
export async function* lineChunks(source: AsyncIterable<Buffer | string>): AsyncGenerator<LineChunk> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let nextLine = 1;
  let first = true;
  for await (const piece of source) {
    const buf = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    pending.push(buf);
    pendingBytes += buf.length;
    // The mark is three bytes, and a pipe may hand them over one at a time.
    if (first && pendingBytes < 3) continue;
    const lastNewline = buf.lastIndexOf(NEWLINE);
    if (lastNewline < 0) continue;
    let whole = pending.length === 1 ? buf : Buffer.concat(pending, pendingBytes);
    const rest = buf.length - lastNewline - 1;
    if (first) {
      whole = stripBom(whole);
      first = false;
    }
    const chunk = own(whole.subarray(0, whole.length - rest));
    const lines = countLines(chunk);
    yield { bytes: chunk, firstLine: nextLine, lines };
    nextLine += lines;
    pending = rest ? [buf.subarray(buf.length - rest)] : [];
    pendingBytes = rest;
  }
  let last = Buffer.concat(pending, pendingBytes);
  if (first) last = stripBom(last);
  // The last line may end without a newline; the input's first piece may have been held whole, BOM check and all.
  if (last.length) yield { bytes: own(last), firstLine: nextLine, lines: countLines(last) + (last[last.length - 1] === NEWLINE ? 0 : 1) };
}
