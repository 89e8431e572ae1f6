// Collection: many PutRecords entries into one call, within the call limits
// (500 records, 5 MiB counting data and partition keys). Pure.
import { KINESIS } from '../core/index.ts';

export interface PutBatchLimits {
  maxRecords: number;
  maxBytes: number;
}

export const PUT_BATCH_LIMITS: PutBatchLimits = { maxRecords: KINESIS.maxRecordsPerPut, maxBytes: KINESIS.maxBytesPerPut };

/**
 * How many entries from the front of `entries` go into the next call, and whether
 * that call is full (a limit stopped it, so waiting would not make it bigger).
 */
export function nextPutBatch(entries: readonly { size: number }[], limits: PutBatchLimits = PUT_BATCH_LIMITS): { count: number; full: boolean } {
  let bytes = 0;
  let count = 0;
  for (const e of entries) {
    if (count === limits.maxRecords || (count > 0 && bytes + e.size > limits.maxBytes)) return { count, full: true };
    bytes += e.size;
    count++;
  }
  return { count, full: count === limits.maxRecords };
}

/** Splits entries into calls in order, each within the limits. */
export function splitPutBatches<E extends { size: number }>(entries: readonly E[], limits: PutBatchLimits = PUT_BATCH_LIMITS): E[][] {
  const out: E[][] = [];
  let rest = entries;
  while (rest.length) {
    const { count } = nextPutBatch(rest, limits);
    out.push(rest.slice(0, count));
    rest = rest.slice(count);
  }
  return out;
}
