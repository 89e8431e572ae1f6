// Delivers packed records through PutRecordBatch, retrying only the entries Firehose
// failed (an HTTP 200 with FailedPutCount > 0 is never retried by the SDK) and whole
// calls that failed for a retryable reason, with exponential back-off and full jitter,
// inside the invocation's time budget.
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { awsErrorCode, backoffDelayMs, sleep } from '../../core/index.ts';
import { chunkRecords } from './RecordPacker.ts';
import type { ArchiveRetryPolicy, PackedRecord } from './types.ts';

export const DEFAULT_RETRY_POLICY: ArchiveRetryPolicy = { baseDelayMs: 100, maxDelayMs: 2000, maxAttempts: 10, reserveMs: 3000 };

/** Errors that no retry can fix: the request itself is wrong. */
const NOT_RETRYABLE = new Set([
  'InvalidArgumentException', 'ResourceNotFoundException', 'ValidationException', 'InvalidKMSResourceException',
  'InvalidSourceException', 'AccessDeniedException', 'UnrecognizedClientException',
]);

export interface DeliveryOutcome {
  /** Records not delivered: the chunk that kept failing and every chunk after it. */
  failed: PackedRecord[];
  calls: number;
  retriedEntries: number;
  lastErrorCode: string | undefined;
  lastError: unknown;
}

export class FirehoseDelivery {
  constructor(
    private readonly firehose: FirehoseClient,
    private readonly policy: ArchiveRetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  /**
   * Sends the records in order. Stops at the first chunk that still has failed
   * entries after its retries, since everything from there on will be re-delivered.
   */
  async deliver(deliveryStreamName: string, records: PackedRecord[], remainingMs: () => number): Promise<DeliveryOutcome> {
    const outcome: DeliveryOutcome = { failed: [], calls: 0, retriedEntries: 0, lastErrorCode: undefined, lastError: undefined };
    const chunks = chunkRecords(records);
    for (let c = 0; c < chunks.length; c++) {
      let pending = chunks[c]!;
      for (let attempt = 1; ; attempt++) {
        let retryable = true;
        try {
          outcome.calls++;
          const res = await this.firehose.send(new PutRecordBatchCommand({
            DeliveryStreamName: deliveryStreamName,
            Records: pending.map((r) => ({ Data: r.data })),
          }));
          if (!res.FailedPutCount) {
            pending = [];
          } else {
            const responses = res.RequestResponses ?? [];
            const failed = pending.filter((_, i) => responses[i]?.ErrorCode !== undefined || responses[i]?.RecordId === undefined);
            outcome.lastErrorCode = responses.find((r) => r.ErrorCode)?.ErrorCode ?? 'UnknownFailure';
            pending = failed;
          }
        } catch (err) {
          const name = awsErrorCode(err).code;
          outcome.lastErrorCode = name;
          outcome.lastError = err;
          retryable = !NOT_RETRYABLE.has(name);
        }
        if (pending.length === 0) break;
        const delay = backoffDelayMs({ baseMs: this.policy.baseDelayMs, maxMs: this.policy.maxDelayMs, jitter: 'full' }, attempt);
        if (!retryable || attempt >= this.policy.maxAttempts || remainingMs() - delay < this.policy.reserveMs) {
          outcome.failed = pending.concat(...chunks.slice(c + 1));
          return outcome;
        }
        outcome.retriedEntries += pending.length;
        await sleep(delay);
      }
    }
    return outcome;
  }
}
