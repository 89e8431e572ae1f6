// Sends the lines of a chunk through a KinesisProducer and accounts for every one:
// accepted once Kinesis has it, rejected (the line is not a valid event), or failed
// (a valid event Kinesis did not take). What `sluice send` runs in each of its worker
// threads; one sendBatch per chunk, so no promise or closure per event.
import { EventValidationError, eventJsonFromBytes, type EventInput } from '../core/index.ts';
import type { BatchRecord, KinesisProducer } from '../producers/index.ts';
import type { LineChunk } from './LineChunks.ts';

/** A line that was not accepted, with its number in the input and why. */
export interface LineRefusal {
  line: number;
  kind: 'rejected' | 'failed';
  reason: string;
  /** The line's bytes, newline excluded. */
  input: Uint8Array;
}

/** How a chunk's lines ended: blank lines are neither accepted nor refused. */
export interface ChunkOutcome {
  accepted: number;
  refused: LineRefusal[];
}

const NEWLINE = 0x0a;

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** Why a line is no event: the parse error without the `event: ` of a whole-event error. */
function validationReason(err: EventValidationError): string {
  return err.field === 'event' ? err.message.slice('event: '.length) : err.message;
}

export class LineSender {
  constructor(private readonly producer: KinesisProducer) {}

  /** Validates every line of `chunk`, sends the valid ones, and resolves once each has settled. */
  async send(chunk: LineChunk): Promise<ChunkOutcome> {
    const { bytes } = chunk;
    const refused: LineRefusal[] = [];
    const records: BatchRecord[] = [];
    const lineOf: number[] = [];
    const spanOf: number[] = [];
    let lineNo = chunk.firstLine;
    for (let start = 0; start < bytes.length; lineNo++) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl < 0 ? bytes.length : nl;
      if (!isBlank(bytes, start, end)) {
        const line = bytes.subarray(start, end);
        try {
          records.push({ event: eventJsonFromBytes(line) as EventInput });
          lineOf.push(lineNo);
          spanOf.push(start, end);
        } catch (err) {
          if (!(err instanceof EventValidationError)) throw err;
          refused.push({ line: lineNo, kind: 'rejected', reason: validationReason(err), input: line });
        }
      }
      start = end + 1;
    }
    const outcomes = await this.producer.sendBatch(records);
    let accepted = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!;
      if (o.status === 'fulfilled') {
        accepted++;
        continue;
      }
      const err: unknown = o.reason;
      refused.push({
        line: lineOf[i]!, kind: err instanceof EventValidationError ? 'rejected' : 'failed',
        reason: err instanceof Error ? err.message : String(err),
        input: bytes.subarray(spanOf[2 * i]!, spanOf[2 * i + 1]!),
      });
    }
    return { accepted, refused };
  }
}
