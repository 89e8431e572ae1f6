// Typed errors of the producer SDK: every send() that does not resolve rejects with
// one of these, so callers can tell "fix your input" from "try later" by class.
import { SluiceError } from '../core/index.ts';

/** Base of every producer failure; `eventId` names the event when there is one. */
export class ProducerError extends SluiceError {
  readonly eventId: string | undefined;
  constructor(message: string, options?: { cause?: unknown; eventId?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.eventId = options?.eventId;
  }
}

/** An option the producer cannot work with. */
export class ProducerConfigError extends ProducerError {}

/** send() after close() began. */
export class ProducerClosedError extends ProducerError {}

/** The buffer is full and `onBufferFull` is 'reject'. */
export class BufferFullError extends ProducerError {
  constructor(readonly limit: 'bytes' | 'events', readonly max: number) {
    super(`producer buffer full: ${limit} limit ${max} reached`);
  }
}

/** A partition key or explicit hash key Kinesis would refuse. */
export class InvalidRoutingKeyError extends ProducerError {
  constructor(readonly field: 'partitionKey' | 'explicitHashKey', message: string) {
    super(`${field}: ${message}`);
  }
}

/** One event cannot fit a Kinesis record (data + partition key over the record limit). */
export class RecordTooLargeError extends ProducerError {}

/**
 * Kinesis refused the event for a reason retrying cannot fix (validation, access,
 * stream not found, KMS key state). `code` is the service's error name.
 */
export class NonRetryableSendError extends ProducerError {
  constructor(readonly code: string, message: string, options?: { cause?: unknown; eventId?: string }) {
    super(`${code}: ${message}`, options);
  }
}

/**
 * The event kept failing with retryable errors until its time-to-live ran out.
 * `lastCode` is the last error Kinesis gave; `attempts` how many puts were tried.
 */
export class RetriesExhaustedError extends ProducerError {
  constructor(readonly lastCode: string, readonly attempts: number, message: string, options?: { cause?: unknown; eventId?: string }) {
    super(message, options);
  }
}

/**
 * close({ deadline }) ran out before the event was acknowledged. `mayHaveLanded` is
 * true when its put was in flight: it may be in the stream (its id tells duplicates).
 */
export class CloseDeadlineError extends ProducerError {
  constructor(readonly mayHaveLanded: boolean, options?: { eventId?: string }) {
    super(mayHaveLanded
      ? 'close deadline passed while the put was in flight: the event may or may not be in the stream'
      : 'close deadline passed before the event could be sent', options);
  }
}

/** ListShards failed, so the producer cannot place events on shards. */
export class ShardMapError extends ProducerError {}
