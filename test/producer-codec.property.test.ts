// Property: any sequence of events, packed the way the producer packs them (KPL or
// compressed, any partition keys and explicit hash keys), decodes to the same
// events with the same keys, in the same order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KINESIS, deaggregate, deserializeEvent, effectiveHashHex, encodeEvent, normalizeEvent, serializeEvent, type SluiceEvent } from '../core/index.ts';
import { AggregateBuilder, type PackableRecord, type PutEntry } from '../producers/index.ts';
// Internal to the producer (not on its surface): the slab events are encoded into.
import { EventSlab } from '../producers/EventSlab.ts';

const dimName = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
const eventArb = fc.record({
  type: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,20}$/),
  ts: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  dims: fc.option(fc.dictionary(dimName, fc.string({ maxLength: 30, unit: 'grapheme' }), { maxKeys: 5 }), { nil: undefined }),
  payload: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
}, { requiredKeys: ['type'] });
const routed = fc.record({
  event: eventArb,
  partitionKey: fc.option(fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }), { nil: undefined }),
  explicitHashKey: fc.option(fc.bigInt({ min: 0n, max: KINESIS.maxHashKey }).map(String), { nil: undefined }),
});

describe('encode then decode', () => {
  it.each([['KPL', undefined], ['compressed', 6]] as const)('any sequence of events survives %s aggregation unchanged', (_name, level) => {
    fc.assert(fc.property(fc.array(routed, { minLength: 1, maxLength: 80 }), fc.integer({ min: 300, max: 20_000 }), (inputs, maxBytes) => {
      const sent: { ev: SluiceEvent; pk: string; ehk: string | undefined }[] = [];
      const records: PackableRecord[] = inputs.map(({ event, partitionKey, explicitHashKey }) => {
        const ev = normalizeEvent(event);
        const pk = partitionKey ?? ev.id;
        sent.push({ ev, pk, ehk: explicitHashKey });
        return { partitionKey: pk, partitionKeyBytes: Buffer.byteLength(pk), explicitHashKey, hashKeyHex: effectiveHashHex(pk, explicitHashKey), data: serializeEvent(ev) };
      });
      const builder = new AggregateBuilder<PackableRecord>(maxBytes);
      const entries = [];
      for (const r of records) {
        if (!builder.tryAdd(r)) {
          entries.push(builder.build(level));
          builder.tryAdd(r);
        }
      }
      entries.push(builder.build(level));

      const received = entries.flatMap((e) => deaggregate(e.Data, e.PartitionKey, e.ExplicitHashKey));

      expect(received.map((u) => u.partitionKey)).toEqual(sent.map((s) => s.pk));
      expect(received.map((u) => u.explicitHashKey)).toEqual(sent.map((s) => s.ehk));
      expect(received.map((u) => deserializeEvent(u.data))).toEqual(sent.map((s) => JSON.parse(JSON.stringify(s.ev)) as unknown));
      // An aggregate stays within the limit (a lone record is sent as it is).
      if (level === undefined) for (const e of entries) if (e.items.length > 1) expect(e.size).toBeLessThanOrEqual(maxBytes);
    }), { numRuns: 150 });
  });
});

describe('packing event text straight into the aggregate (ShardPacker\'s way)', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 300, unit: 'grapheme' }),
    fc.string({ maxLength: 300, unit: 'binary' }), // lone surrogates: 3 bytes each, as Buffer#write makes them
    fc.string({ minLength: 120, maxLength: 20_000 }).map((s) => s.replace(/[^a]/g, 'é')),
  );

  it('builds the same aggregates, cut at the same records, as packing the same bytes', () => {
    fc.assert(fc.property(fc.array(fc.record({ text, key: fc.constantFrom('a', 'b', 'clé', 'd') }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 200, max: 30_000 }), (inputs, maxBytes) => {
      const fromText = new AggregateBuilder<number>(maxBytes);
      const fromBytes = new AggregateBuilder<PackableRecord & { i: number }>(maxBytes);
      const texts: PutEntry<number>[] = [];
      const bytes: PutEntry<PackableRecord & { i: number }>[] = [];
      inputs.forEach(({ text: t, key }, i) => {
        const routing = { partitionKey: key, partitionKeyBytes: Buffer.byteLength(key), hashKeyHex: effectiveHashHex(key) };
        if (!fromText.tryAddText({ ...routing, data: Buffer.alloc(0) }, t, i)) {
          texts.push(fromText.build());
          expect(fromText.tryAddText({ ...routing, data: Buffer.alloc(0) }, t, i)).toBe(true);
        }
        const r = { ...routing, data: Buffer.from(t, 'utf8'), i };
        if (!fromBytes.tryAdd(r)) {
          bytes.push(fromBytes.build());
          fromBytes.tryAdd(r);
        }
      });
      texts.push(fromText.build());
      bytes.push(fromBytes.build());

      expect(texts.map((e) => e.Data.toString('base64'))).toEqual(bytes.map((e) => e.Data.toString('base64')));
      expect(texts.map((e) => e.items)).toEqual(bytes.map((e) => e.items.map((r) => r.i)));
      expect(texts.flatMap((e) => deaggregate(e.Data, e.PartitionKey).map((u) => u.data.toString('utf8')))).toEqual(inputs.map((x) => Buffer.from(x.text, 'utf8').toString('utf8')));
    }), { numRuns: 200 });
  });

  it('refuses text that fits by characters but not by UTF-8 bytes, keeping what it holds', () => {
    const b = new AggregateBuilder<string>(1_000);
    const routing = { partitionKey: 'k', partitionKeyBytes: 1, hashKeyHex: effectiveHashHex('k'), data: Buffer.alloc(0) };
    expect(b.tryAddText(routing, 'a'.repeat(400), 'first')).toBe(true);
    const before = b.size;

    expect(b.tryAddText(routing, '€'.repeat(400), 'second')).toBe(false);
    expect(b.size).toBe(before);
    expect(b.tryAddText(routing, 'b'.repeat(400), 'third')).toBe(true);

    const entry = b.build();
    expect(entry.items).toEqual(['first', 'third']);
    expect(deaggregate(entry.Data, entry.PartitionKey).map((u) => u.data.toString())).toEqual(['a'.repeat(400), 'b'.repeat(400)]);
  });
});

describe('packing events written into shared slabs', () => {
  const NOW = Date.UTC(2026, 10, 28, 14, 0, 0);

  it.each([['KPL', undefined], ['compressed', 6]] as const)('builds the same %s bytes from slab regions as from a Buffer per event', (_name, level) => {
    fc.assert(fc.property(fc.array(routed, { minLength: 1, maxLength: 60 }), fc.integer({ min: 16, max: 4_096 }), (inputs, slabBytes) => {
      const slab = new EventSlab(slabBytes);
      const shared = new AggregateBuilder<PackableRecord>(KINESIS.maxRecordBytes);
      const own = new AggregateBuilder<PackableRecord>(KINESIS.maxRecordBytes);
      for (const { event, partitionKey, explicitHashKey } of inputs) {
        const ev = encodeEvent(event, NOW);
        const pk = partitionKey ?? ev.id;
        const routing = { partitionKey: pk, partitionKeyBytes: Buffer.byteLength(pk), explicitHashKey, hashKeyHex: effectiveHashHex(pk, explicitHashKey) };
        expect(shared.tryAdd({ ...routing, data: slab.write(ev.json), dataOffset: slab.lastOffset, dataBytes: slab.lastBytes })).toBe(true);
        // The id the producer generated, with its origin.
        const settled = { ...normalizeEvent({ ...event, id: ev.id }, NOW), idOrigin: 'producer' as const };
        expect(own.tryAdd({ ...routing, data: serializeEvent(settled) })).toBe(true);
      }

      const fromSlab = shared.build(level);
      const fromOwn = own.build(level);

      expect(fromSlab.Data.equals(fromOwn.Data)).toBe(true);
      expect(fromSlab.size).toBe(fromOwn.size);
    }), { numRuns: 150 });
  });

  it('wraps a lone record in an aggregate of its own bytes, not a view pinning the slab', () => {
    const slab = new EventSlab(1_024);
    const ev = encodeEvent({ type: 'page.view', dims: { country: 'fr' } }, NOW);
    slab.write('{"padding":true}');
    const data = slab.write(ev.json);
    const b = new AggregateBuilder<PackableRecord>(50_000);
    b.tryAdd({ partitionKey: 'k', partitionKeyBytes: 1, hashKeyHex: effectiveHashHex('k'), data, dataOffset: slab.lastOffset, dataBytes: slab.lastBytes });

    const entry = b.build();

    expect(entry.aggregated).toBe(true);
    expect(deaggregate(entry.Data, entry.PartitionKey).map((u) => u.data.toString('utf8'))).toEqual([ev.json]);
    expect(entry.Data.buffer).not.toBe(data.buffer);
  });

  it('writes UTF-8 back to back, starting a new slab when the worst case does not fit, and a big text into a slab of its exact size', () => {
    const slab = new EventSlab(64);
    const first = slab.write('a'.repeat(10));
    const at = slab.lastOffset;
    const again = slab.write('é€'.repeat(3));
    const sizes = [slab.lastOffset, slab.lastBytes];
    const next = slab.write('b'.repeat(20));
    const big = slab.write('€'.repeat(100));

    expect([at, again === first, ...sizes]).toEqual([0, true, 10, 15]);
    expect(again.toString('utf8', 10, 25)).toBe('é€'.repeat(3));
    expect(next).not.toBe(first);
    expect([slab.lastOffset, slab.lastBytes, big.length]).toEqual([0, 300, 300]);
    expect(big.toString('utf8')).toBe('€'.repeat(100));
  });
});
