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

/** A record that carries the magic but cannot be read: wrong checksum, truncated body. */
export class CorruptRecordError extends SluiceError {}
