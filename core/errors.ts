// Base class for every error sluice raises on purpose, so callers catch by class.

export class SluiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An event outside the schema; `field` names the offending field. */
export class EventValidationError extends SluiceError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** Bytes that are not one JSON text, where an event was expected. */
export class EventNotJsonError extends EventValidationError {
  constructor(message: string) {
    super('event', `not valid JSON (${message})`);
  }
}

/** Bytes that are not UTF-8 where an event's JSON was expected; `field` holds them ('event' when outside any string). */
export class EventNotUtf8Error extends EventValidationError {}

/** A record that carries the magic but cannot be read: wrong checksum, truncated body. */
export class CorruptRecordError extends SluiceError {}
