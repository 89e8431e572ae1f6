// Sends quarantined records back through the producer, fixed. The raw bytes are an
// event's JSON as core's readRecordEvents cut it out of its record (a user record, a
// line, an inflated gzip record), read with the same parseEntryJson. Before sending, the
// entry claims the event id it is sent under (the original id, or one derived from
// the entry's stream position; an id claimed by an earlier run always wins), and the
// aggregator marks the entry applied in the same transaction that applies that id,
// counting any later copy as a duplicate, however much later. So a redrive re-run
// after a crash (sent, not yet marked) resends the same id and it counts once; an
// entry the aggregator already applied is only marked, not resent. An entry is
// marked redriven only after the producer has the fixed event. Entries that cannot
// be fixed stay pending: nothing is lost.
import { createHash } from 'node:crypto';
import { normalizeEvent, parseEntryJson } from '../core/index.ts';
import type { EventInput, SluiceEvent } from '../core/index.ts';
import type { QuarantineEntry, QuarantineStore } from './QuarantineStore.ts';

/** What a `--fix` script receives for each entry. */
export interface QuarantineFixInput {
  entry: QuarantineEntry;
  raw: Buffer;
  /** The raw bytes as UTF-8 text. */
  text: string;
  /** The text parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** A `--fix` script's default export: the event to send instead, or null to leave the entry pending. */
export type QuarantineFix = (input: QuarantineFixInput) => EventInput | null | undefined | Promise<EventInput | null | undefined>;

export interface RedriveResult {
  redriven: { id: number; eventId: string }[];
  pending: { id: number; reason: string }[];
}

/** An event id derived from where the record sat in the stream: the same on every redrive. */
export function redriveEventId(entry: Pick<QuarantineEntry, 'streamArn' | 'shardId' | 'sequenceNumber' | 'subSequenceNumber'>): string {
  const h = createHash('sha256').update(`${entry.streamArn}|${entry.shardId}|${entry.sequenceNumber}|${entry.subSequenceNumber}`).digest('hex');
  return `q-${h.slice(0, 32)}`;
}

export async function redriveQuarantine(
  store: QuarantineStore,
  send: (event: SluiceEvent) => Promise<unknown>,
  options: { fix?: QuarantineFix; ids?: number[]; limit?: number; dryRun?: boolean } = {},
): Promise<RedriveResult> {
  const entries = await store.list({ status: 'pending', ...(options.ids ? { ids: options.ids } : {}), limit: options.limit ?? 10_000 });
  const result: RedriveResult = { redriven: [], pending: [] };
  const ready: { entry: QuarantineEntry; event: SluiceEvent }[] = [];
  const alreadyApplied: QuarantineEntry[] = [];
  for (const entry of entries) {
    if (entry.appliedAt !== null && entry.redriveEventId !== null) {
      // An earlier run sent it and the aggregator applied it, but the run stopped before marking it.
      alreadyApplied.push(entry);
      continue;
    }
    const raw = await store.readRaw(entry.id, entry.rawBytes);
    const text = raw.toString('utf8');
    let json: unknown;
    try {
      json = parseEntryJson(raw);
    } catch {
      json = undefined;
    }
    let event: SluiceEvent;
    try {
      const fixed = options.fix ? await options.fix({ entry, raw, text, json }) : (json as EventInput | undefined);
      if (fixed === null || fixed === undefined) throw new Error(options.fix ? 'the fix script left it as it is' : 'not JSON: needs --fix');
      // Filled as the aggregator fills an event from any producer: an id from the
      // stream position, and the time the record was set aside (its arrival, to within
      // the consumer's lag) rather than now.
      const complete = typeof fixed === 'object' && fixed !== null
        ? { ...fixed, id: fixed.id ?? redriveEventId(entry), ts: fixed.ts ?? Date.parse(entry.receivedAt) } : fixed;
      event = normalizeEvent(complete);
      // A resend carries the id an earlier run claimed, whatever the fix returns now.
      if (entry.redriveEventId !== null) event = { ...event, id: entry.redriveEventId };
    } catch (err) {
      const reason = (err as Error).message;
      result.pending.push({ id: entry.id, reason });
      if (!options.dryRun) await store.notePending(entry.id, `redrive: ${reason}`);
      continue;
    }
    ready.push({ entry, event });
  }
  if (options.dryRun) {
    for (const entry of alreadyApplied) result.redriven.push({ id: entry.id, eventId: entry.redriveEventId! });
    for (const { entry, event } of ready) result.redriven.push({ id: entry.id, eventId: event.id });
    return result;
  }
  for (const entry of alreadyApplied) {
    await store.markRedriven(entry.id, `sent as event ${entry.redriveEventId}; applied ${entry.appliedAt}`);
    result.redriven.push({ id: entry.id, eventId: entry.redriveEventId! });
  }
  // Sent side by side so the producer can batch them; each is marked once Kinesis has it.
  const outcomes = await Promise.allSettled(ready.map(async ({ entry, event }) => {
    const claimed = await store.claimEventId(entry.id, event.id);
    const sent = claimed === event.id ? event : { ...event, id: claimed };
    await send(sent);
    await store.markRedriven(entry.id, `sent as event ${sent.id}`);
    return sent.id;
  }));
  outcomes.forEach((o, i) => {
    const { entry } = ready[i]!;
    if (o.status === 'fulfilled') result.redriven.push({ id: entry.id, eventId: o.value });
    else result.pending.push({ id: entry.id, reason: `not sent: ${(o.reason as Error)?.message ?? String(o.reason)}` });
  });
  return result;
}
