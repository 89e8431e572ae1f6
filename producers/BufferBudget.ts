// What the producer may hold unacknowledged (maxBufferedBytes, maxBufferedEvents), and
// the send() calls waiting for room, served in the order they came: back-pressure
// without unbounded memory.
import { BufferFullError, type ProducerError } from './errors.ts';

interface SpaceWaiter {
  bytes: number;
  resolve: () => void;
  reject: (e: ProducerError) => void;
}

export class BufferBudget {
  private bytes = 0;
  private events = 0;
  private readonly waiters: SpaceWaiter[] = [];

  constructor(readonly maxBytes: number, readonly maxEvents: number) {}

  get bufferedBytes(): number {
    return this.bytes;
  }

  get bufferedEvents(): number {
    return this.events;
  }

  /** Takes room for one event of `bytes` when it fits and no earlier send() waits for room; false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || !this.fits(bytes)) return false;
    this.bytes += bytes;
    this.events++;
    return true;
  }

  /** Resolves once room for one event of `bytes` is taken for it, after every earlier waiter's. */
  whenRoom(bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => this.waiters.push({ bytes, resolve, reject }));
  }

  /** The error for an event refused now (onBufferFull 'reject'): which limit it would break. */
  fullError(): BufferFullError {
    return this.events + 1 > this.maxEvents ? new BufferFullError('events', this.maxEvents) : new BufferFullError('bytes', this.maxBytes);
  }

  /** Gives back one settled event's room, and hands it to waiters in order while they fit. */
  release(bytes: number): void {
    this.bytes -= bytes;
    this.events--;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.bytes += w.bytes;
      this.events++;
      w.resolve();
    }
  }

  /** Rejects every waiter (the producer is closing). */
  rejectWaiters(error: ProducerError): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  private fits(bytes: number): boolean {
    if (this.events === 0) return true; // one oversized event must still get through
    return this.events + 1 <= this.maxEvents && this.bytes + bytes <= this.maxBytes;
  }
}
