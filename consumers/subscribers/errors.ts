// Errors the subscribers module raises on purpose.
import { SluiceError } from '../../core/index.ts';

/** A subscriber's entry file could not be loaded, or exports no handler. */
export class SubscriberLoadError extends SluiceError {
  readonly subscriber: string;
  constructor(subscriber: string, message: string, options?: { cause?: unknown }) {
    super(`subscriber ${subscriber}: ${message}`, options);
    this.subscriber = subscriber;
  }
}

/** Poison records could not be written to the quarantine (no database configured, or the Data API failed). */
export class QuarantineUnavailableError extends SluiceError {}

/** A subscriber returned, as not handled, an event that was not in its batch. */
export class UnknownFailedEventError extends SluiceError {}
