// Reads one archive object into events: gunzips it (salvaging the complete lines of a
// truncated GZIP), splits lines, and reads each as an archive line (core
// archiveLine.ts), a Firehose error document (whose rawData holds the lines Firehose
// could not deliver), or a problem reported with the key and line. Pure: no I/O.
import { constants, gunzipSync } from 'node:zlib';
import { ARCHIVE_LAYOUT, EventValidationError, parseEvent, readArchiveLine } from '../core/index.ts';
import type { ArchiveObjectContent, ArchiveProblem, LinePosition } from './types.ts';

const GZIP_MAGIC = [0x1f, 0x8b];

/** Whether the key is under the error output prefix. */
export function isErrorObjectKey(key: string): boolean {
  return key.startsWith(ARCHIVE_LAYOUT.errorKeyStart);
}

/** The object's text, and a problem when only part of it could be read. */
function decompress(key: string, body: Buffer): { text: string; problem?: ArchiveProblem } {
  if (body.length < 2 || body[0] !== GZIP_MAGIC[0] || body[1] !== GZIP_MAGIC[1]) return { text: body.toString('utf8') };
  try {
    return { text: gunzipSync(body).toString('utf8') };
  } catch (err) {
    // A truncated member: what inflated before the cut is sound; keep its whole lines.
    let partial: string;
    try {
      partial = gunzipSync(body, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      return { text: '', problem: { key, reason: `unreadable GZIP (${(err as Error).message}): object skipped` } };
    }
    const cut = partial.lastIndexOf('\n') + 1;
    const kept = partial.slice(0, cut);
    const lines = kept.split('\n').length - 1;
    return { text: kept, problem: { key, line: lines + 1, reason: `truncated GZIP (${(err as Error).message}): ${lines} whole line(s) read, the rest of the object is lost` } };
  }
}

export function readArchiveObject(key: string, body: Buffer): ArchiveObjectContent {
  const out: ArchiveObjectContent = { events: [], problems: [], archiveErrorLines: 0, lines: 0 };
  const { text, problem } = decompress(key, body);
  if (problem) out.problems.push(problem);
  const errorObject = isErrorObjectKey(key);
  forEachLine(text, (line, n) => {
    out.lines++;
    if (!errorObject) {
      readLine(line, { key, line: n }, out);
      return;
    }
    // A Firehose error document: the record it could not deliver is in rawData, and
    // that record is whole archive lines as the archiver packed them.
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      out.problems.push({ key, line: n, reason: 'error document is not JSON' });
      return;
    }
    const raw = (doc as { rawData?: unknown } | null)?.rawData;
    if (typeof raw !== 'string') {
      out.problems.push({ key, line: n, reason: 'error document has no rawData' });
      return;
    }
    forEachLine(Buffer.from(raw, 'base64').toString('utf8'), (inner, m) => readLine(inner, { key, line: n, rawDataLine: m }, out));
  });
  return out;
}

function forEachLine(text: string, fn: (line: string, n: number) => void): void {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    const line = text.slice(start, end);
    if (line.trim() !== '') fn(line, n);
    start = end + 1;
  }
}

function readLine(line: string, at: LinePosition, out: ArchiveObjectContent): void {
  const problem = (reason: string) => out.problems.push({ ...at, reason });
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    problem(`not JSON (${(err as Error).message})`);
    return;
  }
  const content = readArchiveLine(parsed);
  if (typeof content === 'string') {
    problem(content);
    return;
  }
  if (content.kind === 'archive-error') {
    out.archiveErrorLines++;
    return;
  }
  try {
    const event = parseEvent(content.event);
    out.events.push({ event, envelope: content.kind === 'event' ? content.envelope : undefined, at });
  } catch (err) {
    if (!(err instanceof EventValidationError)) throw err;
    problem(`invalid event: ${err.message}`);
  }
}
