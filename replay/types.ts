// Shapes of the archive replay.
import type { ArchiveEnvelope, ScannedEvent } from '../core/index.ts';

/** Where a line sits: the object key and the 1-based line number (inside a Firehose error document's rawData when `rawDataLine` is set). */
export interface LinePosition {
  key: string;
  line: number;
  rawDataLine?: number;
}

/** A valid event read from the archive. */
export interface ArchivedEvent {
  /** The validated event; its payload is dropped once the line is read (rollups never read it). */
  event: ScannedEvent & { payload?: unknown };
  /** Absent on bare lines written before the envelope existed. */
  envelope: ArchiveEnvelope | undefined;
  at: LinePosition;
}

/** Something in the archive that was reported and skipped. */
export interface ArchiveProblem {
  key: string;
  /** Absent when the problem is the whole object (unreadable gzip). */
  line?: number;
  rawDataLine?: number;
  reason: string;
}

/** What one object held. */
export interface ArchiveObjectContent {
  events: ArchivedEvent[];
  problems: ArchiveProblem[];
  /** Lines of the archiver's own error records (`sluiceArchiveError`): data the stream held that was never an event. */
  archiveErrorLines: number;
  lines: number;
}
