// `sluice send`'s worker threads, seen from the main thread: each chunk of lines goes
// to the worker with the fewest lines outstanding, and waits while every worker has
// its share of the lines in flight; each chunk's outcome is handed to the caller as
// it settles. Events of one input thus travel through several producers at once:
// `sluice send` keeps no order between events (each event's partition key is its id).
import type { Worker } from 'node:worker_threads';
import { SendWorkerError } from './errors.ts';
import type { LineChunk } from './LineChunks.ts';
import type { ChunkOutcome } from './LineSender.ts';
import type { FromSendWorker, SendWorkerData, ToSendWorker } from './SendWorkerProtocol.ts';
import { startTsWorker } from './tsWorker.ts';

const ENTRY = new URL('./sendWorker.ts', import.meta.url);

interface PoolWorker {
  worker: Worker;
  /** Lines handed over and not settled yet. */
  outstanding: number;
  /** The first and last line of each chunk not settled yet, by chunk id. */
  chunks: Map<number, { firstLine: number; lastLine: number }>;
  /** What its producer put, once it has closed. */
  closed?: { kinesisRecords: number; kinesisBytes: number };
}

export class SendWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private wake: (() => void) | undefined;
  private failure: SendWorkerError | undefined;

  /**
   * `maxLinesPerWorker`: lines a worker may have outstanding before the next chunk
   * waits (a chunk always goes to an idle worker, whatever its size).
   */
  constructor(count: number, data: SendWorkerData, private readonly maxLinesPerWorker: number, private readonly onSettled: (outcome: ChunkOutcome) => void) {
    for (let i = 0; i < count; i++) this.workers.push(this.start(data));
  }

  private start(data: SendWorkerData): PoolWorker {
    const w: PoolWorker = { worker: startTsWorker(ENTRY, { workerData: data }), outstanding: 0, chunks: new Map() };
    w.worker.on('message', (m: FromSendWorker) => {
      if (m.type === 'closed') {
        w.closed = { kinesisRecords: m.kinesisRecords, kinesisBytes: m.kinesisBytes };
      } else {
        const chunk = w.chunks.get(m.id)!;
        w.chunks.delete(m.id);
        w.outstanding -= chunk.lastLine - chunk.firstLine + 1;
        this.onSettled({ accepted: m.accepted, refused: m.refused });
      }
      this.notify();
    });
    w.worker.on('error', (err) => this.fail(w, err.message));
    w.worker.on('exit', (code) => { if (!w.closed) this.fail(w, `stopped with exit code ${code}`); });
    return w;
  }

  /** A worker that stops before it has closed leaves its outstanding lines unaccounted for: the send fails naming them. */
  private fail(w: PoolWorker, reason: string): void {
    if (this.failure) return;
    this.failure = new SendWorkerError(reason, [...w.chunks.values()].map((c) => [c.firstLine, c.lastLine] as const));
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Resolves at the next message from a worker; throws once one has failed. */
  private async nextChange(): Promise<void> {
    this.throwIfFailed();
    await new Promise<void>((r) => { this.wake = r; });
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Hands `chunk` to a worker (its bytes move there), once one has room. */
  async send(chunk: LineChunk): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      const w = this.workers.reduce((a, b) => (b.outstanding < a.outstanding ? b : a));
      if (w.outstanding === 0 || w.outstanding + chunk.lines <= this.maxLinesPerWorker) {
        const id = this.nextId++;
        w.chunks.set(id, { firstLine: chunk.firstLine, lastLine: chunk.firstLine + chunk.lines - 1 });
        w.outstanding += chunk.lines;
        const bytes = new Uint8Array(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
        w.worker.postMessage({ type: 'chunk', id, bytes, firstLine: chunk.firstLine, lines: chunk.lines } satisfies ToSendWorker, [bytes.buffer as ArrayBuffer]);
        return;
      }
      await this.nextChange();
    }
  }

  /** Waits until every chunk has settled and every producer has closed; what they put, summed. */
  async close(): Promise<{ kinesisRecords: number; kinesisBytes: number }> {
    while (this.workers.some((w) => w.outstanding > 0)) await this.nextChange();
    for (const w of this.workers) w.worker.postMessage({ type: 'end' } satisfies ToSendWorker);
    while (this.workers.some((w) => !w.closed)) await this.nextChange();
    let kinesisRecords = 0;
    let kinesisBytes = 0;
    for (const { closed } of this.workers) {
      kinesisRecords += closed!.kinesisRecords;
      kinesisBytes += closed!.kinesisBytes;
    }
    return { kinesisRecords, kinesisBytes };
  }

  /** Stops every worker still running (after close(), or to give up). */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
