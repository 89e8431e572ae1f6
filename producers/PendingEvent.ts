// An event the producer has accepted and not yet settled: its encoded bytes, where it
// stands (queued, in a call, settled), its retry history, and who hears how it ends.
// One object per event from send() to settlement; the producer's parts hold references.
import type { EncodedRecord } from './RecordEncoder.ts';
import type { PutEntry } from './AggregateBuilder.ts';
import type { Settlement } from './Settlement.ts';

export interface PendingEvent extends EncodedRecord {
  /** performance.now() when send() was called. */
  acceptedAt: number;
  /** Order of acceptance: flush() and close() wait for every event up to a point. */
  seq: number;
  expiresAt: number;
  attempts: number;
  lastCode: string | undefined;
  lastMessage: string | undefined;
  state: 'queued' | 'inflight' | 'settled';
  /** Who hears how it ended, and where: a send()'s promise, or a batch's slot. */
  done: Settlement;
  slot: number;
}

const NO_DATA = Buffer.alloc(0);

/** A pending event before encoding: every field present from the start, so all events share one shape. */
export function blankPendingEvent(acceptedAt: number, done: Settlement, slot: number): PendingEvent {
  return {
    id: '', partitionKey: '', partitionKeyBytes: 0, explicitHashKey: undefined, hashKeyHex: '', data: NO_DATA, dataOffset: 0, dataBytes: 0,
    acceptedAt, seq: 0, expiresAt: 0, attempts: 0, lastCode: undefined, lastMessage: undefined,
    state: 'queued', done, slot,
  };
}

/** What an event counts against `maxBufferedBytes`: its data and partition key. */
export const bufferBytes = (item: PendingEvent): number => item.dataBytes + item.partitionKeyBytes;

/** When the last event of a record runs out of time-to-live: a record resent unchanged lives as long as its longest-lived event. */
export function lastExpiry(entry: PutEntry<PendingEvent>): number {
  let last = 0;
  for (const item of entry.items) if (item.expiresAt > last) last = item.expiresAt;
  return last;
}
