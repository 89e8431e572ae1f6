// Sends quarantined records back through the producer, fixed. An entry is marked
// redriven only after the producer has the fixed event, and the event's id is the
// original one or, when it had none, one derived from the entry's stream position,
// so running a redrive again after a crash resends the same id and the aggregator's
// id dedup counts it once. Entries that cannot be fixed stay pending: nothing is lost.
import { createHash } from 'node:crypto';
import { normalizeEvent } from '../core/index.ts';
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
  for (const entry of entries) {
    const raw = await store.readRaw(entry.id, entry.rawBytes);
    const text = raw.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    let event: SluiceEvent;
    try {
      const fixed = options.fix ? await options.fix({ entry, raw, text, json }) : (json as EventInput | undefined);
      if (fixed === null || fixed === undefined) throw new Error(options.fix ? 'the fix script left it as it is' : 'not JSON: needs --fix');
      const withId = typeof fixed === 'object' && fixed !== null && (fixed as EventInput).id === undefined
        ? { ...fixed, id: redriveEventId(entry) } : fixed;
      event = normalizeEvent(withId);
    } catch (err) {
      const reason = (err as Error).message;
      result.pending.push({ id: entry.id, reason });
      if (!options.dryRun) await store.notePending(entry.id, `redrive: ${reason}`);
      continue;
    }
    ready.push({ entry, event });
  }
  if (options.dryRun) {
    for (const { entry, event } of ready) result.redriven.push({ id: entry.id, eventId: event.id });
    return result;
  }
  // Sent side by side so the producer can batch them; each is marked once Kinesis has it.
  const outcomes = await Promise.allSettled(ready.map(async ({ entry, event }) => {
    await send(event);
    await store.markRedriven(entry.id, `sent as event ${event.id}`);
  }));
  outcomes.forEach((o, i) => {
    const { entry, event } = ready[i]!;
    if (o.status === 'fulfilled') result.redriven.push({ id: entry.id, eventId: event.id });
    else result.pending.push({ id: entry.id, reason: `not sent: ${(o.reason as Error)?.message ?? String(o.reason)}` });
  });
  return result;
}
