// Applies one decoded batch in one Data API transaction: lock and read the
// checkpoints of the batch's (shard, partition key)s, drop what they show as already
// applied, drop Kinesis records already applied within the horizon (by record
// identity: a producer's byte-for-byte resend), drop client-supplied event ids already
// applied within the horizon, then quarantine poison records, upsert the rollup
// deltas, move the checkpoints, forget the batch's shards' identities and ids that
// fell behind the horizon in stream time, and commit. Replaying the same batch, whole
// or in part, changes nothing. Only events whose id a client supplied cost a row
// each; everything else costs one row per Kinesis record.
import { compareSequenceNumbers } from '../../core/index.ts';
import type { ScannedEvent } from '../../core/index.ts';
import { fieldNumber, fieldText } from '../../schema/index.ts';
import type { DataApiSession } from '../../schema/index.ts';
import type { SluiceConfig } from '../config/index.ts';
import {
  advanceCheckpointsStatements, lockCheckpointsStatements, pruneShardIdsStatement, quarantineStatements,
  recordEventIdsStatements, recordRecordIdsStatements, upsertRollupStatements,
} from './batchStatements.ts';
import type { CheckpointKey, EventIdGroup, RecordIdentity, Statement } from './batchStatements.ts';
import { RollupAccumulator } from '../../rollup/index.ts';
import type { DecodedRecord } from './types.ts';

export interface BatchOutcome {
  /** Kinesis records the checkpoints showed as already applied. */
  recordsSkipped: number;
  /** Kinesis records dropped as copies of a record already applied (same identity, within the horizon). */
  recordsDuplicate: number;
  /** Events added to the rollups. */
  eventsApplied: number;
  /** Events dropped: in a copy of an applied record, or with a client id already applied (in this batch or within the horizon). */
  eventsDuplicate: number;
  /** Poison records written to the quarantine. */
  eventsQuarantined: number;
  /** Rollup rows inserted or updated. */
  rollupRows: number;
  /** Client event ids forgot because their shard's stream time moved past the horizon. */
  idsPruned: number;
  /** Record identities forgot because their shard's stream time moved past the horizon. */
  recordIdsPruned: number;
  /** Data API calls the transaction made, BeginTransaction and CommitTransaction included. */
  calls: number;
}

/** Rows a batch may prune at least, so a shard catches up after small batches. */
const MIN_PRUNE_PER_BATCH = 1000;

/** The record's arrival (stream time) in epoch ms; a record without one (not from Lambda) takes `fallback`. */
function arrivalMsOf(r: DecodedRecord, fallback: number): number {
  const a = r.approximateArrivalTimestamp;
  return typeof a === 'number' && Number.isFinite(a) ? Math.round(a * 1000) : fallback;
}

function keyOf(k: CheckpointKey): string {
  return `${k.streamArn}\u0000${k.shardId}\u0000${k.partitionKey}`;
}

/**
 * `releaseDeadline` (epoch ms) bounds how long a failed attempt waits to roll its
 * transaction back (a timed-out statement may still hold locks).
 */
export async function applyBatch(
  session: DataApiSession,
  records: DecodedRecord[],
  config: SluiceConfig,
  options: { releaseDeadline?: number } = {},
): Promise<BatchOutcome> {
  let statements = 0;
  const fallbackArrivalMs = Date.now();
  const outcome = await session.transaction(async (transactionId) => {
    const exec = (st: Statement) => {
      statements++;
      return session.execute(st.sql, { parameters: st.parameters, transactionId });
    };

    const keys = new Map<string, CheckpointKey>();
    for (const r of records) {
      const k = keyOf(r);
      if (!keys.has(k)) keys.set(k, { streamArn: r.streamArn, shardId: r.shardId, partitionKey: r.partitionKey });
    }
    const applied = new Map<string, string>();
    for (const { statement, keys: part } of lockCheckpointsStatements([...keys.values()])) {
      for (const row of await exec(statement)) {
        const ord = fieldNumber(row[0]);
        const seq = fieldText(row[1]);
        if (ord !== null && seq !== null) applied.set(keyOf(part[ord - 1]!), seq);
      }
    }

    const fresh = records.filter((r) => {
      const done = applied.get(keyOf(r));
      return done === undefined || compareSequenceNumbers(r.sequenceNumber, done) > 0;
    });

    // Record identities: a copy of a record in this batch, or applied within the
    // horizon, is dropped whole (its events and its poison).
    const identities: RecordIdentity[] = [];
    const firstOf = new Map<string, DecodedRecord>();
    for (const r of fresh) {
      // A record holding events without an id of their own (a foreign producer's plain
      // JSON) has no identity in its bytes: two clicks can be the same bytes. Those
      // count once per stream position, which the checkpoint already guarantees.
      if (r.hasDerivedIds) continue;
      if (firstOf.has(r.digest)) continue;
      firstOf.set(r.digest, r);
      identities.push({ digest: r.digest, shardId: r.shardId, arrivalMs: arrivalMsOf(r, fallbackArrivalMs) });
    }
    const copies = new Set<string>();
    if (identities.length > 0) {
      for (const { statement, offset } of recordRecordIdsStatements(identities, config.dedupHorizonSeconds)) {
        for (const row of await exec(statement)) {
          for (const ord of (fieldText(row[0]) ?? '').split(',')) if (ord) copies.add(identities[offset + Number(ord) - 1]!.digest);
        }
      }
    }
    const identified = (r: DecodedRecord) => firstOf.has(r.digest) && !r.hasDerivedIds;
    const kept = fresh.filter((r) => !identified(r) || (firstOf.get(r.digest) === r && !copies.has(r.digest)));
    let eventsDuplicate = 0;
    for (const r of fresh) eventsDuplicate += r.events.length;
    for (const r of kept) eventsDuplicate -= r.events.length;

    // Events of the records kept. Ids a client supplied are recorded, grouped by
    // Kinesis record (each with its record's shard and arrival, stream time), and a
    // copy within the horizon is dropped; other ids (generated by the producer,
    // derived by the consumer) cannot repeat outside their record, so cost nothing.
    const events: ScannedEvent[] = [];
    const clientIds = new Set<string>();
    const clientEvents: ScannedEvent[] = [];
    const groups: EventIdGroup[] = [];
    for (const r of kept) {
      let group: EventIdGroup | undefined;
      for (const ev of r.events) {
        if (ev.idOrigin !== 'client') events.push(ev);
        else if (clientIds.has(ev.id)) eventsDuplicate++;
        else {
          clientIds.add(ev.id);
          clientEvents.push(ev);
          if (group === undefined) groups.push(group = { shardId: r.shardId, arrivalMs: arrivalMsOf(r, fallbackArrivalMs), ids: [] });
          group.ids.push(ev.id);
        }
      }
    }
    const duplicate = new Set<number>();
    if (clientEvents.length > 0) {
      for (const { statement, offset } of recordEventIdsStatements(groups, config.dedupHorizonSeconds)) {
        for (const row of await exec(statement)) {
          for (const ord of (fieldText(row[0]) ?? '').split(',')) if (ord) duplicate.add(offset + Number(ord) - 1);
        }
      }
    }
    // Each shard's stream time moved to (at least) its earliest arrival in this batch:
    // forget that shard's identities and ids older than that minus the horizon. One
    // statement, a bounded number of rows (enough to keep pace with what this batch
    // inserted).
    let idsPruned = 0;
    let recordIdsPruned = 0;
    if (fresh.length > 0) {
      const earliest = new Map<string, number>();
      for (const r of records) {
        const a = arrivalMsOf(r, fallbackArrivalMs);
        const prev = earliest.get(r.shardId);
        if (prev === undefined || a < prev) earliest.set(r.shardId, a);
      }
      const shards = [...earliest].map(([shardId, earliestArrivalMs]) => ({ shardId, earliestArrivalMs }));
      const limits = { records: Math.max(MIN_PRUNE_PER_BATCH, 2 * identities.length), events: Math.max(MIN_PRUNE_PER_BATCH, 2 * clientEvents.length) };
      const rows = await exec(pruneShardIdsStatement(shards, config.dedupHorizonSeconds, limits));
      recordIdsPruned = fieldNumber(rows[0]?.[0]) ?? 0;
      idsPruned = fieldNumber(rows[0]?.[1]) ?? 0;
    }
    const acc = new RollupAccumulator(config);
    for (const ev of events) acc.add(ev);
    for (let i = 0; i < clientEvents.length; i++) if (!duplicate.has(i)) acc.add(clientEvents[i]!);
    eventsDuplicate += duplicate.size;
    const deltas = acc.deltas();

    const poison = kept.flatMap((r) => r.poison);
    for (const st of quarantineStatements(poison)) await exec(st);
    for (const st of upsertRollupStatements(deltas)) await exec(st);

    const advances = new Map<string, CheckpointKey & { sequenceNumber: string }>();
    for (const r of fresh) {
      const k = keyOf(r);
      const prev = advances.get(k);
      if (!prev || compareSequenceNumbers(r.sequenceNumber, prev.sequenceNumber) > 0) {
        advances.set(k, { streamArn: r.streamArn, shardId: r.shardId, partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber });
      }
    }
    for (const st of advanceCheckpointsStatements([...advances.values()])) await exec(st);

    return {
      recordsSkipped: records.length - fresh.length,
      recordsDuplicate: fresh.length - kept.length,
      eventsApplied: acc.eventCount,
      eventsDuplicate,
      eventsQuarantined: poison.length,
      rollupRows: deltas.length,
      idsPruned,
      recordIdsPruned,
    };
  }, options);
  return { ...outcome, calls: statements + 2 };
}
