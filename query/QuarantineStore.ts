// The quarantine table seen from the tools: list what the aggregator set aside, read
// a record's raw bytes back (in slices, since one can be larger than a Data API
// response), claim the event id a redrive sends, and mark entries redriven once the
// producer has accepted their fix.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApiSession, fieldBytes, fieldNumber, fieldText, sqlParameters, TABLES } from '../schema/index.ts';
import type { DataApiTarget } from '../schema/index.ts';

export type QuarantineStatus = 'pending' | 'redriven';

export interface QuarantineEntry {
  id: number;
  streamArn: string;
  shardId: string;
  sequenceNumber: string;
  /** Position inside a KPL aggregate; -1 for a whole Kinesis record. */
  subSequenceNumber: number;
  partitionKey: string;
  reason: string;
  /** ISO-8601. */
  receivedAt: string;
  status: QuarantineStatus;
  /** Size of the raw bytes. */
  rawBytes: number;
  /** The first bytes of the raw record, for display. */
  preview: Buffer;
  /** What the last redrive did with it (event id sent, or why it could not be fixed). */
  note: string | null;
  /** The event id a redrive claimed for it (every later redrive sends this id), or null. */
  redriveEventId: string | null;
  /** ISO-8601: when the aggregator applied the redriven event (counted it, or found it counted), or null. */
  appliedAt: string | null;
}

/** Slice size for raw reads: a result row may hold 64 KB, and blobs travel base64-encoded. */
const RAW_SLICE_BYTES = 24 * 1024;
const PREVIEW_BYTES = 160;

export class QuarantineStore {
  private readonly session: DataApiSession;

  constructor(client: RDSDataClient, target: DataApiTarget) {
    this.session = new DataApiSession(client, target);
  }

  /** Entries in id order (oldest first). */
  async list(options: { status?: QuarantineStatus | 'all'; ids?: number[]; limit?: number } = {}): Promise<QuarantineEntry[]> {
    const status = options.status ?? 'pending';
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: options.limit ?? 1000, preview: PREVIEW_BYTES };
    if (status !== 'all') {
      where.push('status = :status');
      params.status = status;
    }
    if (options.ids) {
      where.push('id IN (SELECT CAST(value AS bigint) FROM jsonb_array_elements_text(CAST(:ids AS jsonb)))');
      params.ids = JSON.stringify(options.ids.map(String));
    }
    const rows = await this.session.execute(
      `SELECT id, stream_arn, shard_id, sequence_number::text, sub_sequence_number, partition_key, reason,
  to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), status, octet_length(raw),
  substring(raw FROM 1 FOR CAST(:preview AS integer)), redrive_note, redrive_event_id,
  to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
FROM ${TABLES.quarantine} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
ORDER BY id LIMIT CAST(:limit AS integer)`,
      { parameters: sqlParameters(params) },
    );
    return rows.map((f) => ({
      id: fieldNumber(f[0])!,
      streamArn: fieldText(f[1])!,
      shardId: fieldText(f[2])!,
      sequenceNumber: fieldText(f[3])!,
      subSequenceNumber: fieldNumber(f[4])!,
      partitionKey: fieldText(f[5])!,
      reason: fieldText(f[6])!,
      receivedAt: fieldText(f[7])!,
      status: fieldText(f[8]) as QuarantineStatus,
      rawBytes: fieldNumber(f[9])!,
      preview: fieldBytes(f[10]) ?? Buffer.alloc(0),
      note: fieldText(f[11]),
      redriveEventId: fieldText(f[12]),
      appliedAt: fieldText(f[13]),
    }));
  }

  /** How many entries have this status (the quarantine's size, for health). */
  async count(status: QuarantineStatus = 'pending'): Promise<number> {
    const rows = await this.session.execute(
      `SELECT count(*) FROM ${TABLES.quarantine} WHERE status = :status`,
      { parameters: sqlParameters({ status }) },
    );
    return fieldNumber(rows[0]?.[0]) ?? 0;
  }

  /** The whole raw record of entry `id`. */
  async readRaw(id: number, size: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let offset = 0; offset < size || (size === 0 && offset === 0); offset += RAW_SLICE_BYTES) {
      const rows = await this.session.execute(
        `SELECT substring(raw FROM CAST(:from AS integer) FOR CAST(:len AS integer)) FROM ${TABLES.quarantine} WHERE id = :id`,
        { parameters: sqlParameters({ id, from: offset + 1, len: RAW_SLICE_BYTES }) },
      );
      const part = fieldBytes(rows[0]?.[0]);
      if (!part) break;
      parts.push(part);
      if (size === 0) break;
    }
    return Buffer.concat(parts);
  }

  /**
   * Claims `eventId` as the id entry `id`'s fixed event is sent under, unless an
   * earlier redrive claimed one: returns the id to send (the first claim wins, so
   * every resend of an entry carries the same id). From then on the aggregator counts
   * that id once, ever: it marks the entry applied in the transaction that applies it.
   */
  async claimEventId(id: number, eventId: string): Promise<string> {
    const rows = await this.session.execute(
      `UPDATE ${TABLES.quarantine} SET redrive_event_id = COALESCE(redrive_event_id, :eventId) WHERE id = :id RETURNING redrive_event_id`,
      { parameters: sqlParameters({ id, eventId }) },
    );
    return fieldText(rows[0]?.[0]) ?? eventId;
  }

  /** Marks an entry redriven, with the id of the event sent in its place. Idempotent. */
  async markRedriven(id: number, note: string): Promise<void> {
    await this.session.execute(
      `UPDATE ${TABLES.quarantine} SET status = 'redriven', redriven_at = now(), redrive_note = :note WHERE id = :id`,
      { parameters: sqlParameters({ id, note }) },
    );
  }

  /** Keeps an entry pending and notes why the redrive could not fix it. */
  async notePending(id: number, note: string): Promise<void> {
    await this.session.execute(
      `UPDATE ${TABLES.quarantine} SET redrive_note = :note WHERE id = :id AND status = 'pending'`,
      { parameters: sqlParameters({ id, note }) },
    );
  }
}
