// core's readRecordEvents, the one reading of a Kinesis record every subscriber
// shares: records other producers write (one JSON event, newline-separated events,
// gzip, a CloudWatch Logs subscription message) become events whose missing id and ts
// come from the stream position, the same on every delivery; what is not an event is
// a fault with its position and reason; quarantine redrive completes such an event the
// same way. Pure: no network.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DIGEST_BYTES, EVENT_LIMITS, MAX_INFLATED_RECORD_BYTES, derivedEventId, encodeAggregatedRecord, normalizeEvent, readRecordEvents,
  readStreamEvent, scannedEventReader, serializeEvent, type EventInput, type RecordPosition, type SluiceEvent,
} from '../core/index.ts';
import { redriveEventId, redriveQuarantine, type QuarantineStore } from '../query/index.ts';
import { objectContaining, stringContaining, stringMatching } from './support/matchers.ts';

const ARRIVAL_S = 1_764_338_400.123; // 2026-11-28T14:00:00.123Z
const at = (sequenceNumber: string, shardId = 'shardId-000000000001'): RecordPosition => ({
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/sluice-events', shardId, partitionKey: 'k1',
  sequenceNumber, approximateArrivalTimestamp: ARRIVAL_S,
});
const SEQ = '49590338271490256608559692538361571095921575989136588898';
const read = (data: Buffer | string, position = at(SEQ)) => readRecordEvents(Buffer.from(data), position, readStreamEvent);

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('readRecordEvents: where an id came from, and the record identity', () => {
  it('reads idOrigin from the wire (absent: a client\'s), never accepts "derived" there, and says "derived" of an id it made', () => {
    const out = read([
      '{"id":"p1","idOrigin":"producer","type":"t","ts":1764338400000}',
      '{"id":"c1","type":"t","ts":1764338400000}',
      '{"id":"x1","idOrigin":"derived","type":"t","ts":1764338400000}',
      '{"idOrigin":"derived","type":"t"}',
      '{"type":"t"}',
    ].join('\n'));

    expect(out.events.map((e) => [e.id, e.idOrigin])).toEqual([['p1', 'producer'], ['c1', 'client'], [derivedEventId(at(SEQ), 0, 4), 'derived']]);
    expect(out.faults.map((f) => [f.subSequenceNumber, f.kind, f.reason])).toEqual([
      [2, 'invalid-event', 'invalid event: idOrigin: must be "client" or "producer" when present'],
      [3, 'invalid-event', 'invalid event: idOrigin: must be "client" or "producer" when present'],
    ]);
  });

  it('gives a plain or gzip record the MD5 of its bytes, an aggregate its MD5 trailer, an unreadable aggregate the MD5 of all of it', () => {
    const plain = Buffer.from('{"type":"t"}');
    const gz = gzipSync(plain);
    const agg = encodeAggregatedRecord({ partitionKeyTable: ['k1'], explicitHashKeyTable: [], records: [{ partitionKeyIndex: 0, data: plain }] });
    const broken = Buffer.from(agg);
    broken[broken.length - 1]! ^= 0xff;

    expect(read(plain).digest).toBe(md5(plain));
    expect(read(gz).digest).toBe(md5(gz));
    expect(read(agg).digest).toBe(agg.subarray(agg.length - DIGEST_BYTES).toString('hex'));
    const bad = read(broken);
    expect(bad.faults).toEqual([objectContaining({ subSequenceNumber: -1, kind: 'corrupt-record' })]);
    expect(bad.digest).toBe(md5(broken));
  });

  it('rejects bytes that are not UTF-8 naming the field, line by line, never storing U+FFFD', () => {
    const text = Buffer.concat([Buffer.from('{"type":"ok"}\n{"type":"t","dims":{"country":"'), Buffer.from([0xff]), Buffer.from('"}}')]);

    const out = read(text);

    expect(out.events).toMatchObject([{ type: 'ok' }]);
    expect(out.faults).toEqual([objectContaining({ subSequenceNumber: 1, kind: 'not-utf8', reason: stringMatching(/^invalid event: dims\.country: is not valid UTF-8/) })]);
    expect(out.faults[0]!.raw.includes(0xff)).toBe(true);
  });
});

describe('readRecordEvents: a plain JSON record from any producer', () => {
  it('derives id and ts from the stream position and value 1, the same on every delivery', () => {
    const first = read('{"type":"cli_event"}');
    const again = read('{"type":"cli_event"}');

    expect(first.faults).toEqual([]);
    expect(first.events).toEqual([{
      id: derivedEventId(at(SEQ), 0, 0), type: 'cli_event', ts: Math.round(ARRIVAL_S * 1000), value: 1,
      idOrigin: 'derived', derived: ['id', 'ts', 'value'],
    }]);
    expect(again.events[0]!.id).toBe(first.events[0]!.id);
    expect(first.events[0]!.id.length).toBeLessThanOrEqual(EVENT_LIMITS.maxIdChars);
  });

  it('gives records at other positions other ids', () => {
    const ids = [at(SEQ), at('49590338271490256608559692538361571095921575989136588899'), at(SEQ, 'shardId-000000000002')]
      .map((p) => read('{"type":"t"}', p).events[0]!.id);

    expect(new Set(ids).size).toBe(3);
  });

  it('keeps what the producer wrote: id, ts (ISO or epoch ms), value, dims, payload', () => {
    const out = read('{ "id": "order-17", "type": "order", "ts": "2026-11-28T14:05:00Z", "value": 42.5, "dims": { "country": "JP" }, "payload": { "sku": 1 } }');

    expect(out.events).toEqual([{
      id: 'order-17', type: 'order', ts: Date.UTC(2026, 10, 28, 14, 5), value: 42.5, dims: { country: 'JP' }, payload: { sku: 1 },
      idOrigin: 'client', derived: [],
    }]);
  });

  it('reads a pretty-printed event as one event', () => {
    const out = read(JSON.stringify({ type: 'page_view', value: 3 }, null, 2));

    expect(out.faults).toEqual([]);
    expect(out.events).toMatchObject([{ type: 'page_view', value: 3, derived: ['id', 'ts'] }]);
  });

  it('stays as strict as before about everything else, with the reason', () => {
    const out = read('{"type":"bad type"}');

    expect(out.events).toEqual([]);
    expect(out.faults).toEqual([objectContaining({ subSequenceNumber: -1, kind: 'invalid-event', reason: stringMatching(/^invalid event: type: /) })]);
  });

  it('quarantines data that is not JSON as one fault, even when it has newlines', () => {
    expect(read('click,7').faults).toEqual([objectContaining({ subSequenceNumber: -1, kind: 'not-json', reason: stringContaining('not valid JSON') })]);
    const multi = read('a,b\nc,d\n');
    expect(multi.faults).toEqual([objectContaining({ subSequenceNumber: -1, kind: 'not-json' })]);
    expect(multi.faults[0]!.raw.toString()).toBe('a,b\nc,d\n');
  });
});

describe('readRecordEvents: newline-separated JSON', () => {
  it('reads one event a line, blank lines and CRLF allowed, each line its own derived id', () => {
    const out = read('{"type":"a"}\r\n\n{"type":"b","id":"given"}\n{"type":"c","ts":1764338401000}\n');

    expect(out.faults).toEqual([]);
    expect(out.events.map((e) => [e.type, e.id, e.ts])).toEqual([
      ['a', derivedEventId(at(SEQ), 0, 0), Math.round(ARRIVAL_S * 1000)],
      ['b', 'given', Math.round(ARRIVAL_S * 1000)],
      ['c', derivedEventId(at(SEQ), 0, 3), 1764338401000],
    ]);
  });

  it('quarantines a bad line by its line index and keeps its neighbours', () => {
    const out = read('{"type":"a"}\nnot json\n{"type":"b","value":"x"}\n{"type":"c"}');

    expect(out.events.map((e) => e.type)).toEqual(['a', 'c']);
    expect(out.faults).toEqual([
      objectContaining({ subSequenceNumber: 1, kind: 'not-json' }),
      objectContaining({ subSequenceNumber: 2, kind: 'invalid-event', reason: 'invalid event: value: must be a finite number' }),
    ]);
    expect(out.faults.map((f) => f.raw.toString())).toEqual(['not json', '{"type":"b","value":"x"}']);
  });

  it('reads sluice-layout lines on the aggregator\'s fast path with the same result', () => {
    const evs = [normalizeEvent({ type: 'x', value: 2 }), normalizeEvent({ type: 'y' })];
    const text = Buffer.from(evs.map((e) => serializeEvent(e).toString()).join('\n'));

    const out = readRecordEvents(text, at(SEQ), scannedEventReader());

    expect(out.events).toEqual(evs);
    expect(out.events.map((e) => e.idOrigin)).toEqual(['producer', 'producer']);
  });
});

describe('readRecordEvents: gzip', () => {
  it('inflates a gzip record of one event or of lines', () => {
    expect(read(gzipSync('{"type":"z","value":4}')).events).toMatchObject([{ type: 'z', value: 4, idOrigin: 'derived' }]);
    expect(read(gzipSync('{"type":"a"}\n{"type":"b"}\n')).events.map((e) => e.type)).toEqual(['a', 'b']);
  });

  it('reads a CloudWatch Logs subscription message: one event per log event, its timestamp the default ts', () => {
    const message = {
      messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/app', logStream: 's', subscriptionFilters: ['f'],
      logEvents: [
        { id: '1', timestamp: 1764338460000, message: '{"type":"login","dims":{"country":"JP"}}' },
        { id: '2', timestamp: 1764338470000, message: 'START RequestId: 42' },
        { id: '3', timestamp: 1764338480000, message: '{"type":"login","ts":1764338400000}' },
      ],
    };

    const out = read(gzipSync(JSON.stringify(message)));

    expect(out.events.map((e) => [e.type, e.ts, e.id])).toEqual([
      ['login', 1764338460000, derivedEventId(at(SEQ), 0, 0)],
      ['login', 1764338400000, derivedEventId(at(SEQ), 0, 2)],
    ]);
    expect(out.faults).toEqual([objectContaining({ subSequenceNumber: 1, kind: 'not-json' })]);
    expect(out.faults[0]!.raw.toString()).toBe('START RequestId: 42');
  });

  it('reads no event from CloudWatch Logs\' CONTROL_MESSAGE', () => {
    const out = read(gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', owner: 'CloudWatchLogs', logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.' }] })));

    expect(out).toEqual({ events: [], faults: [], digest: stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('refuses gzip that does not inflate, or inflates past the limit, as a whole-record fault', () => {
    const truncated = gzipSync('{"type":"a"}').subarray(0, 12);
    const bomb = gzipSync(Buffer.alloc(MAX_INFLATED_RECORD_BYTES + 1, 0x20));

    for (const data of [truncated, bomb]) {
      const out = read(data);
      expect(out.events).toEqual([]);
      expect(out.faults).toEqual([objectContaining({ subSequenceNumber: -1, kind: 'unreadable-record', reason: stringContaining('gzip') })]);
      expect(out.faults[0]!.raw.equals(data)).toBe(true);
    }
  });
});

describe('readRecordEvents: KPL aggregates', () => {
  it('derives ids of id-less user records from their sub-sequence numbers', () => {
    const agg = encodeAggregatedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: ['{"type":"a"}', '{"type":"b"}'].map((t) => ({ partitionKeyIndex: 0, data: Buffer.from(t) })) });

    const out = read(agg);

    expect(out.events.map((e) => e.id)).toEqual([derivedEventId(at(SEQ), 0, 0), derivedEventId(at(SEQ), 1, 0)]);
  });
});

describe('quarantine redrive of an event from another producer', () => {
  it('fills a missing ts with the time the record was quarantined, not the time of the redrive', async () => {
    const entry = {
      id: 7, streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/sluice-events', shardId: 'shardId-000000000001', sequenceNumber: SEQ,
      subSequenceNumber: 2, partitionKey: 'agent-1', reason: 'invalid event: value: must be a finite number', receivedAt: '2026-11-28T14:03:10.250Z',
      status: 'pending' as const, rawBytes: 0, preview: Buffer.alloc(0), note: null, redriveEventId: null, appliedAt: null,
    };
    const raw = Buffer.from('{"type":"agent_line","value":"3"}');
    const store = {
      list: async () => [entry], readRaw: async () => raw, claimEventId: async (_: number, id: string) => id,
      markRedriven: async () => {}, notePending: async () => {},
    } as unknown as QuarantineStore;
    const sent: SluiceEvent[] = [];

    const result = await redriveQuarantine(store, async (ev) => { sent.push(ev); }, { fix: ({ json }) => ({ ...(json as EventInput), value: 3 }) });

    expect(result.pending).toEqual([]);
    expect(sent).toEqual([{ id: redriveEventId(entry), idOrigin: 'client', type: 'agent_line', ts: Date.parse('2026-11-28T14:03:10.250Z'), value: 3 }]);
  });
});
